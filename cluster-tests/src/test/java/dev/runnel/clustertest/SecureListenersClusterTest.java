package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;

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
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.cluster.ZkReads;
import dev.runnel.testing.TestCertificates;

/**
 * Brokers with two named listeners: an {@code SSL} one that requires client certificates (mutual
 * TLS), all from a test authority, which the brokers also replicate over (each checks the other's
 * certificate and host name, and shows its own), and a {@code PLAIN} one. Unmodified
 * kafka-clients produce and consume over TLS (record bytes then pass through the TLS pipeline
 * instead of sendfile), each listener's clients are told that listener's endpoints, and a client
 * that does not trust the brokers, or shows a certificate nobody signed, gets no further than the
 * handshake. The nodes' HTTP servers (internal API, admin API, Actuator) serve HTTPS only, from a
 * PEM SSL bundle ({@code runnel.cluster.ssl-bundle}), and the controllers and brokers call each
 * other over it.
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
        certificates.issue("node", "runnel-node");
        certificates.selfSigned("mallory", "Mallory");
        cluster = new InJvmCluster().withArgs(
                // The internal HTTP API (and the admin API, Actuator) on TLS, from a PEM SSL bundle.
                "--runnel.cluster.ssl-bundle=internal",
                "--spring.ssl.bundle.pem.internal.keystore.certificate=file:" + certificates.pem("node"),
                "--spring.ssl.bundle.pem.internal.keystore.private-key=file:" + certificates.pem("node"),
                "--spring.ssl.bundle.pem.internal.truststore.certificate=file:" + certificates.authorityPem());
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
    void theInternalApiAdminApiAndActuatorAreServedOverTlsOnly() throws Exception {
        // The controller recorded an https URL, and it and the brokers reached each other over it:
        // the brokers registered, got their commands and serve clients (see startCluster).
        try (CuratorFramework zk = CuratorFrameworkFactory.newClient(cluster.connectString(), new RetryOneTime(100))) {
            zk.start();
            assertThat(ZkReads.activeController(zk.usingNamespace("runnel")).orElseThrow().url()).startsWith("https://");
        }
        HttpClient trusting = HttpClient.newBuilder().sslContext(trustingTheAuthority()).build();
        for (ConfigurableApplicationContext node : List.of(cluster.controller(1), cluster.broker(1))) {
            String port = node.getEnvironment().getProperty("local.server.port");
            // (The whole health is DOWN here: the Runnel starter on this test's class path looks for a
            // cluster at its default address. Liveness and the SSL bundle's own indicator are what count.)
            HttpRequest.Builder healthCall = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/actuator/health"));
            InJvmCluster.basic(InJvmCluster.ADMIN_USER, InJvmCluster.ADMIN_PASSWORD).forEach(healthCall::header);
            HttpResponse<String> health = trusting.send(healthCall.build(), BodyHandlers.ofString());
            assertThat(health.body()).contains("\"ssl\":{\"details\"").contains("CN=runnel-node");
            HttpResponse<String> liveness = trusting.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + port + "/actuator/health/liveness")).build(), BodyHandlers.ofString());
            assertThat(liveness.statusCode()).as(liveness.body()).isEqualTo(200);
            // Plain HTTP gets no answer from the API: Tomcat refuses it before any handler runs.
            HttpResponse<String> plain = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/actuator/health/liveness")).build(), BodyHandlers.ofString());
            assertThat(plain.statusCode()).isEqualTo(400);
            assertThat(plain.body()).doesNotContain("UP");
            // A caller that does not trust the cluster's authority gets no further than the handshake.
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + port + "/actuator/health/liveness")).build(), BodyHandlers.ofString()))
                    .isInstanceOf(SSLHandshakeException.class);
        }
        // A standby controller forwards an admin call to the active one over TLS.
        ConfigurableApplicationContext standby = cluster.startController(2);
        String standbyPort = standby.getEnvironment().getProperty("local.server.port");
        HttpRequest.Builder topics = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + standbyPort + "/api/v1/topics"));
        InJvmCluster.basic(InJvmCluster.ADMIN_USER, InJvmCluster.ADMIN_PASSWORD).forEach(topics::header);
        await().atMost(DEADLINE).untilAsserted(() -> {
            HttpResponse<String> forwarded = trusting.send(topics.build(), BodyHandlers.ofString());
            assertThat(forwarded.statusCode()).as(forwarded.body()).isEqualTo(200);
        });
    }

    private static SSLContext trustingTheAuthority() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(certificates.truststore())) {
            trust.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
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
