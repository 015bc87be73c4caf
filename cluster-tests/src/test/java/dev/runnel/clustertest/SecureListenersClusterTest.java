package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.testing.TestCertificates;

/**
 * Brokers with two named listeners: an {@code SSL} one that requires client certificates (mutual
 * TLS), all from a test authority, which the brokers also replicate over (each checks the other's
 * certificate and host name, and shows its own), and a {@code PLAIN} one. Unmodified
 * kafka-clients produce and consume over TLS (record bytes then pass through the TLS pipeline
 * instead of sendfile), each listener's clients are told that listener's endpoints, and a client
 * that does not trust the brokers, or shows a certificate nobody signed, gets no further than the
 * handshake.
 */
class SecureListenersClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    static Path certificatesDir;

    private static TestCertificates certificates;
    private static InJvmCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        certificates = TestCertificates.authority(certificatesDir);
        Path brokerKeys = certificates.issue("broker", "broker");
        certificates.issue("alice", "Alice");
        certificates.selfSigned("mallory", "Mallory");
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(2,
                "--runnel.broker.listeners=PLAIN://127.0.0.1:0,SSL://127.0.0.1:0",
                "--runnel.broker.listener-security-protocol-map=PLAIN:PLAINTEXT,SSL:SSL",
                "--runnel.broker.inter-broker-listener-name=SSL",
                "--runnel.broker.ssl.keystore-location=" + brokerKeys,
                "--runnel.broker.ssl.keystore-password=" + TestCertificates.PASSWORD,
                "--runnel.broker.ssl.truststore-location=" + certificates.truststore(),
                "--runnel.broker.ssl.truststore-password=" + TestCertificates.PASSWORD,
                "--runnel.broker.ssl.client-auth=required");
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void recordsGoInAndOutOverTlsAndAreReplicatedOverIt() throws Exception {
        String bootstrap = cluster.bootstrap("SSL", 1, 2);
        try (Admin admin = KafkaClients.admin(bootstrap, tls("alice"))) {
            admin.createTopics(List.of(new NewTopic("tls-orders", 2, (short) 2)
                    .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
        }
        List<String> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, tls("alice"))) {
            for (int i = 0; i < 2_000; i++) {
                String value = "order-" + i + "-" + "x".repeat(i % 300);
                producer.send(new ProducerRecord<>("tls-orders", i % 2, null, KafkaClients.bytes(value)));
                sent.add(value);
            }
            producer.flush();
        }
        List<String> read = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap, tls("alice"))) {
            consumer.assign(List.of(new TopicPartition("tls-orders", 0), new TopicPartition("tls-orders", 1)));
            await().atMost(DEADLINE).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : KafkaClients.drain(consumer)) {
                    read.add(KafkaClients.text(r.value()));
                }
                return read.size() >= sent.size();
            });
        }
        assertThat(read).containsExactlyInAnyOrderElementsOf(sent);
    }

    @Test
    void eachListenersClientsAreToldThatListenersEndpoints() throws Exception {
        List<Integer> sslPorts = List.of(InJvmCluster.kafkaPort(cluster.broker(1), "SSL"),
                InJvmCluster.kafkaPort(cluster.broker(2), "SSL"));
        List<Integer> plainPorts = List.of(InJvmCluster.kafkaPort(cluster.broker(1), "PLAIN"),
                InJvmCluster.kafkaPort(cluster.broker(2), "PLAIN"));

        try (Admin overTls = KafkaClients.admin(cluster.bootstrap("SSL", 1), tls("alice"));
                Admin plain = KafkaClients.admin(cluster.bootstrap("PLAIN", 1))) {
            assertThat(overTls.describeCluster().nodes().get(30, TimeUnit.SECONDS)).extracting(Node::port)
                    .containsExactlyInAnyOrderElementsOf(sslPorts);
            assertThat(plain.describeCluster().nodes().get(30, TimeUnit.SECONDS)).extracting(Node::port)
                    .containsExactlyInAnyOrderElementsOf(plainPorts);
        }
    }

    @Test
    void aClientThatDoesNotTrustTheBrokersGetsNoFurtherThanTheHandshake() {
        Map<String, Object> untrusting = new HashMap<>(tls("alice"));
        untrusting.remove(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG);
        untrusting.remove(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG);

        assertHandshakeFails(untrusting);
    }

    @Test
    void aCertificateNobodySignedIsRefused() {
        assertHandshakeFails(tls("mallory"));
    }

    private static void assertHandshakeFails(Map<String, Object> config) {
        Map<String, Object> quick = new HashMap<>(config);
        quick.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        quick.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
        try (Admin admin = KafkaClients.admin(cluster.bootstrap("SSL", 1), quick)) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SslAuthenticationException.class);
        }
    }

    /** kafka-clients over TLS as {@code user}, whose key store the test authority made. */
    private static Map<String, Object> tls(String user) {
        Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        config.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, certificates.truststore().toString());
        config.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        config.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, certificatesDir.resolve(user + ".p12").toString());
        config.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        return config;
    }
}
