package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
import javax.net.ssl.TrustManagerFactory;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.testing.TestCertificates;

/**
 * A secured cluster as Kafka users set one up: a {@code SASL_SSL} listener for clients with
 * SCRAM users, Kafka's ACLs with {@code super.users}, and a plaintext inter-broker listener. The
 * administrator is a bootstrap user; everything else is done with unmodified kafka-clients' Admin
 * API: users created with SCRAM-SHA-512 credentials (AlterUserScramCredentials), ACLs created,
 * listed and deleted. A user gets exactly what the ACLs give: literal and prefixed grants, DENY
 * over ALLOW, topics it may not describe left out of the metadata, nothing written where it may
 * not write; a wrong password gets no further than authentication, and a client posing as a
 * follower gets nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SaslAclClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final String ADMIN_PASSWORD = "admin-secret";
    private static final String ALICE_PASSWORD = "alice-secret";

    @TempDir
    static Path certificatesDir;

    @TempDir
    static Path toolsDir;

    private static TestCertificates certificates;
    private static InJvmCluster cluster;
    private static Admin admin;

    @BeforeAll
    static void startCluster() throws Exception {
        certificates = TestCertificates.authority(certificatesDir);
        Path brokerKeys = certificates.issue("broker", "broker");
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(2,
                "--runnel.broker.listeners=INTERNAL://127.0.0.1:0,SECURE://127.0.0.1:0",
                "--runnel.broker.listener-security-protocol-map=INTERNAL:PLAINTEXT,SECURE:SASL_SSL",
                "--runnel.broker.inter-broker-listener-name=INTERNAL",
                "--runnel.broker.ssl.keystore-location=" + brokerKeys,
                "--runnel.broker.ssl.keystore-password=" + TestCertificates.PASSWORD,
                "--runnel.broker.authorizer.enabled=true",
                "--runnel.broker.authorizer.super-users=User:admin",
                "--runnel.broker.sasl.bootstrap-users=admin:" + ADMIN_PASSWORD,
                "--runnel.broker.offsets-topic.replication-factor=2",
                "--runnel.broker.transaction-state-log.replication-factor=2");
        admin = KafkaClients.admin(bootstrap(), scram("SCRAM-SHA-512", "admin", ADMIN_PASSWORD));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void theAdministratorCreatesAUserTopicsAndAcls() throws Exception {
        // One mechanism per request: Kafka refuses a user altered twice in one (DUPLICATE_RESOURCE).
        admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("alice",
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), ALICE_PASSWORD)))
                .all().get(30, TimeUnit.SECONDS);
        admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("alice",
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), ALICE_PASSWORD)))
                .all().get(30, TimeUnit.SECONDS);
        assertThat(admin.describeUserScramCredentials(List.of("alice")).description("alice").get(30, TimeUnit.SECONDS)
                .credentialInfos()).containsExactlyInAnyOrder(new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096));
        admin.createTopics(List.of(new NewTopic("orders", 2, (short) 2), new NewTopic("payments", 1, (short) 2),
                new NewTopic("payroll", 1, (short) 2), new NewTopic("secret", 1, (short) 2)))
                .all().get(30, TimeUnit.SECONDS);

        admin.createAcls(List.of(
                allow("alice", ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.WRITE),
                allow("alice", ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.READ),
                allow("alice", ResourceType.TOPIC, "pay", PatternType.PREFIXED, AclOperation.READ),
                deny("alice", ResourceType.TOPIC, "payroll", PatternType.LITERAL, AclOperation.READ),
                allow("alice", ResourceType.GROUP, "app-", PatternType.PREFIXED, AclOperation.READ)))
                .all().get(30, TimeUnit.SECONDS);

        assertThat(admin.describeAcls(new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, null,
                PatternType.ANY), AccessControlEntryFilter.ANY)).values().get(30, TimeUnit.SECONDS)).hasSize(4);
    }

    @Test
    @Order(2)
    void aUserProducesAndConsumesInAGroupWhereTheAclsAllow() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap(),
                scram("SCRAM-SHA-512", "alice", ALICE_PASSWORD))) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>("orders", i % 2, null, KafkaClients.bytes("order-" + i))).get();
            }
        }
        Map<String, Object> config = new HashMap<>(scram("SCRAM-SHA-256", "alice", ALICE_PASSWORD));
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "app-orders");
        List<String> read = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap(), config)) {
            consumer.subscribe(List.of("orders"));
            await().atMost(DEADLINE).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    read.add(KafkaClients.text(r.value()));
                }
                return read.size() >= 100;
            });
            consumer.commitSync(Duration.ofSeconds(30));
        }
        assertThat(read).hasSize(100);
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("app-orders")
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        assertThat(committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum()).isEqualTo(100);
    }

    @Test
    @Order(3)
    void aUserWithoutWriteIsRefusedAndNothingIsWritten() throws Exception {
        Map<String, Object> config = new HashMap<>(scram("SCRAM-SHA-512", "alice", ALICE_PASSWORD));
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap(), config)) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("payments", KafkaClients.bytes("x"))).get(30,
                    TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        assertThat(endOffset("payments")).isZero();
    }

    @Test
    @Order(4)
    void prefixedGrantsApplyAndDenyBeatsAllow() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap(),
                scram("SCRAM-SHA-512", "admin", ADMIN_PASSWORD))) {
            producer.send(new ProducerRecord<>("payments", KafkaClients.bytes("p1"))).get();
            producer.send(new ProducerRecord<>("payroll", KafkaClients.bytes("r1"))).get();
        }
        assertThat(readAll("payments", "alice", ALICE_PASSWORD)).containsExactly("p1");
        assertThatThrownBy(() -> readAll("payroll", "alice", ALICE_PASSWORD))
                .isInstanceOf(TopicAuthorizationException.class);
    }

    @Test
    @Order(5)
    void topicsAUserMayNotDescribeAreLeftOutOfTheMetadata() throws Exception {
        try (Admin asAlice = KafkaClients.admin(bootstrap(), scram("SCRAM-SHA-512", "alice", ALICE_PASSWORD))) {
            assertThat(asAlice.listTopics().names().get(30, TimeUnit.SECONDS))
                    .containsExactlyInAnyOrder("orders", "payments", "payroll");
        }
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("secret");
    }

    @Test
    @Order(6)
    void aWrongPasswordGetsNoFurtherThanAuthentication() {
        Map<String, Object> config = new HashMap<>(scram("SCRAM-SHA-512", "alice", "guess"));
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin wrong = KafkaClients.admin(bootstrap(), config)) {
            assertThatThrownBy(() -> wrong.listTopics().names().get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SaslAuthenticationException.class);
        }
    }

    @Test
    @Order(7)
    void plainAuthenticatesAgainstTheSameCredentials() throws Exception {
        try (Admin plain = KafkaClients.admin(bootstrap(), plain("alice", ALICE_PASSWORD))) {
            assertThat(plain.listTopics().names().get(30, TimeUnit.SECONDS)).contains("orders");
        }
    }

    @Test
    @Order(8)
    void aClientPosingAsAFollowerGetsNothing() throws Exception {
        FetchRequestData fetch = new FetchRequestData().setReplicaId(2).setMaxWaitMs(0).setMinBytes(1)
                .setMaxBytes(1 << 20).setTopics(List.of(new FetchRequestData.FetchTopic().setTopic("orders")
                        .setPartitions(List.of(new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0)
                                .setPartitionMaxBytes(1 << 20)))));
        int plaintextPort = InJvmCluster.kafkaPort(cluster.broker(1), "INTERNAL");

        FetchResponse answer = (FetchResponse) KafkaWireClient.send(plaintextPort, ApiKeys.FETCH, (short) 12, fetch);

        assertThat(Errors.forCode(answer.data().responses().get(0).partitions().get(0).errorCode()))
                .isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(answer.data().responses().get(0).partitions().get(0).records().sizeInBytes()).isZero();
    }

    /**
     * librdkafka (confluent-kafka-python, as Debian packages it; .ci/run installs it) with
     * SCRAM-SHA-512 over TLS: produce and consume where allowed, TOPIC_AUTHORIZATION_FAILED where
     * not, a wrong password refused.
     */
    @Test
    @Order(8)
    void librdkafkaProducesAndConsumesWithScramOverTlsAndIsRefusedWhereTheAclsSayNo() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "/usr/bin/python3 is missing");
        MatrixClient.Run module = MatrixClient.run(List.of(python.toString(), "-c", "import confluent_kafka"),
                Path.of("."), Map.of(), Duration.ofSeconds(30));
        Assumptions.assumeTrue(module.exitCode() == 0, "confluent-kafka-python is not installed (apt-get install "
                + "python3-confluent-kafka; .ci/run does)");

        MatrixClient.Run run = MatrixClient.run(List.of(python.toString(), "-u", Path.of("src", "test", "clients",
                "security", "librdkafka_sasl.py").toAbsolutePath().toString(), bootstrap(),
                certificates.authorityPem().toString(), "SCRAM-SHA-512", "alice", ALICE_PASSWORD, "orders", "payments"),
                Path.of("."), Map.of(), Duration.ofMinutes(3));

        System.out.println(run.output());
        assertThat(run.exitCode()).isZero();
        assertThat(run.output().lines().filter(l -> l.startsWith("CHECK ")).toList()).containsExactly(
                line(run, "produce-allowed"), line(run, "consume-allowed"), line(run, "produce-denied"),
                line(run, "wrong-password")).allMatch(l -> l.contains(" PASS "));
        assertThat(endOffset("payments")).as("nothing written where denied").isEqualTo(1);
    }

    /** kcat (librdkafka) lists the metadata as alice: the topic she may not describe is not in it. */
    @Test
    @Order(8)
    void kcatSeesOnlyTheTopicsItsUserMayDescribe() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/kcat")), "kcat is not installed (apt-get install "
                + "kcat; .ci/run does)");

        MatrixClient.Run run = MatrixClient.run(List.of("/usr/bin/kcat", "-b", bootstrap(), "-L", "-J",
                "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=alice",
                "-X", "sasl.password=" + ALICE_PASSWORD, "-X", "ssl.ca.location=" + certificates.authorityPem()),
                Path.of("."), Map.of(), Duration.ofMinutes(1));

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("\"topic\":\"orders\"").doesNotContain("\"topic\":\"secret\"");
    }

    /**
     * Kafka's own tools, as an operator runs them: {@code kafka-configs} adds a SCRAM-SHA-512 user,
     * {@code kafka-acls} grants, lists and removes its ACL, and the user is served exactly while the
     * grant stands.
     */
    @Test
    @Order(8)
    void kafkaConfigsAddsAUserAndKafkaAclsGrantsListsAndRemoves() throws Exception {
        KafkaTools tools = KafkaTools.locate(toolsDir);
        Path adminConfig = toolsDir.resolve("admin.properties");
        StringBuilder properties = new StringBuilder();
        scram("SCRAM-SHA-512", "admin", ADMIN_PASSWORD).forEach((k, v) -> properties.append(k).append('=')
                .append(v.toString().replace("\\", "\\\\")).append('\n'));
        Files.writeString(adminConfig, properties);
        Duration deadline = Duration.ofMinutes(2);

        KafkaTools.Result added = tools.run(deadline, "kafka.admin.ConfigCommand", "--bootstrap-server", bootstrap(),
                "--command-config", adminConfig.toString(), "--alter", "--entity-type", "users", "--entity-name", "bob",
                "--add-config", "SCRAM-SHA-512=[iterations=8192,password=bob-secret]");
        assertThat(added.exitCode()).as(added.describe()).isZero();
        KafkaTools.Result described = tools.run(deadline, "kafka.admin.ConfigCommand", "--bootstrap-server",
                bootstrap(), "--command-config", adminConfig.toString(), "--describe", "--entity-type", "users",
                "--entity-name", "bob");
        assertThat(described.stdout()).as(described.describe()).contains("SCRAM-SHA-512=iterations=8192");

        KafkaTools.Result granted = tools.run(deadline, "org.apache.kafka.tools.AclCommand", "--bootstrap-server",
                bootstrap(), "--command-config", adminConfig.toString(), "--add", "--allow-principal", "User:bob",
                "--operation", "Read", "--topic", "payments");
        assertThat(granted.exitCode()).as(granted.describe()).isZero();
        KafkaTools.Result listed = tools.run(deadline, "org.apache.kafka.tools.AclCommand", "--bootstrap-server",
                bootstrap(), "--command-config", adminConfig.toString(), "--list", "--topic", "payments");
        assertThat(listed.stdout()).as(listed.describe()).contains("principal=User:bob").contains("operation=READ")
                .contains("permissionType=ALLOW");
        assertThat(readAll("payments", "bob", "bob-secret")).isNotEmpty();

        KafkaTools.Result removed = tools.run(deadline, "org.apache.kafka.tools.AclCommand", "--bootstrap-server",
                bootstrap(), "--command-config", adminConfig.toString(), "--remove", "--allow-principal", "User:bob",
                "--operation", "Read", "--topic", "payments", "--force");
        assertThat(removed.exitCode()).as(removed.describe()).isZero();
        KafkaTools.Result after = tools.run(deadline, "org.apache.kafka.tools.AclCommand", "--bootstrap-server",
                bootstrap(), "--command-config", adminConfig.toString(), "--list", "--topic", "payments");
        assertThat(after.stdout()).doesNotContain("User:bob");
        await().atMost(DEADLINE).untilAsserted(() -> assertThatThrownBy(() -> readAll("payments", "bob", "bob-secret"))
                .isInstanceOf(TopicAuthorizationException.class));
    }

    /**
     * SaslHandshake v0 (Sarama's default, and older clients'): the exchange goes on in raw
     * size-prefixed tokens rather than SaslAuthenticate requests, and the connection is then served
     * as the user it proved.
     */
    @Test
    @Order(8)
    void aVersion0HandshakeAuthenticatesWithRawTokens() throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(
                TrustManagerFactory.getDefaultAlgorithm());
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(certificates.truststore())) {
            trusted.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        trust.init(trusted);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        int port = InJvmCluster.kafkaPort(cluster.broker(1), "SECURE");
        try (Socket socket = tls.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            var out = new DataOutputStream(socket.getOutputStream());
            var in = new DataInputStream(socket.getInputStream());

            SaslHandshakeResponse handshake =
                    (SaslHandshakeResponse) wireRoundTrip(out, in,
                            ApiKeys.SASL_HANDSHAKE, (short) 0,
                            new SaslHandshakeRequestData().setMechanism("PLAIN"));
            assertThat(handshake.data().errorCode()).isZero();
            byte[] token = ("\u0000alice\u0000" + ALICE_PASSWORD).getBytes(StandardCharsets.UTF_8);
            out.writeInt(token.length);
            out.write(token);
            out.flush();
            assertThat(in.readInt()).as("an empty token back: PLAIN is done").isZero();

            MetadataResponse metadata =
                    (MetadataResponse) wireRoundTrip(out, in, ApiKeys.METADATA,
                            (short) 9, new MetadataRequestData().setTopics(null));
            assertThat(metadata.data().topics()).extracting(t -> t.name()).contains("orders").doesNotContain("secret");
        }
    }

    private static AbstractResponse wireRoundTrip(DataOutputStream out,
            DataInputStream in, ApiKeys key, short version, ApiMessage body)
            throws IOException {
        var header = new RequestHeader(key, version, "raw-sasl", 1);
        ByteBuffer request = RequestUtils.serialize(header.data(),
                header.headerVersion(), body, version);
        out.writeInt(request.remaining());
        out.write(request.array(), request.arrayOffset() + request.position(), request.remaining());
        out.flush();
        byte[] answer = new byte[in.readInt()];
        in.readFully(answer);
        ByteBuffer buffer = ByteBuffer.wrap(answer);
        ResponseHeader.parse(buffer, key.responseHeaderVersion(version));
        return AbstractResponse.parseResponse(key,
                new ByteBufferAccessor(buffer), version);
    }

    private static String line(MatrixClient.Run run, String check) {
        return run.output().lines().filter(l -> l.startsWith("CHECK " + check + " ")).findFirst()
                .orElse("CHECK " + check + " missing");
    }

    @Test
    @Order(9)
    void deletedAclsNoLongerGrantAnything() throws Exception {
        admin.deleteAcls(List.of(new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, "orders",
                PatternType.LITERAL), new AccessControlEntryFilter("User:alice", null, AclOperation.ANY,
                        AclPermissionType.ANY)))).all().get(30, TimeUnit.SECONDS);

        await().atMost(DEADLINE).untilAsserted(() -> assertThatThrownBy(() -> readAll("orders", "alice", ALICE_PASSWORD))
                .isInstanceOf(TopicAuthorizationException.class));
        assertThat(admin.describeAcls(new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, "orders",
                PatternType.LITERAL), AccessControlEntryFilter.ANY)).values().get(30, TimeUnit.SECONDS)).isEmpty();
    }

    private static long endOffset(String topic) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        return admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest())).partitionResult(tp)
                .get(30, TimeUnit.SECONDS).offset();
    }

    /** Everything in partition 0 of {@code topic}, read by {@code user} without a group. */
    private static List<String> readAll(String topic, String user, String password) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap(),
                scram("SCRAM-SHA-512", user, password))) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (values.isEmpty() && System.nanoTime() - deadline < 0) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(KafkaClients.text(r.value())));
            }
        }
        return values;
    }

    private static AclBinding allow(String user, ResourceType type, String name, PatternType pattern,
            AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry("User:" + user, "*",
                operation, AclPermissionType.ALLOW));
    }

    private static AclBinding deny(String user, ResourceType type, String name, PatternType pattern,
            AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry("User:" + user, "*",
                operation, AclPermissionType.DENY));
    }

    private static String bootstrap() {
        return cluster.bootstrap("SECURE", 1, 2);
    }

    /** kafka-clients over SASL_SSL with SCRAM. */
    static Map<String, Object> scram(String mechanism, String user, String password) {
        Map<String, Object> config = tls();
        config.put(SaslConfigs.SASL_MECHANISM, mechanism);
        config.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + user + "\" password=\"" + password + "\";");
        return config;
    }

    private static Map<String, Object> plain(String user, String password) {
        Map<String, Object> config = tls();
        config.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        config.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "username=\"" + user + "\" password=\"" + password + "\";");
        return config;
    }

    private static Map<String, Object> tls() {
        Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        config.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, certificates.truststore().toString());
        config.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        return config;
    }
}
