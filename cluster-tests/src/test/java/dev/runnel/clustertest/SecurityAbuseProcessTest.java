package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
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
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.testing.TestCertificates;

/**
 * Hostile clients on a broker's {@code SASL_SSL} listener, against a real broker process with a
 * 512 MiB heap and {@code -XX:+ExitOnOutOfMemoryError}: garbage SASL tokens, handshakes for
 * mechanisms that do not exist, raw tokens after a v0 handshake, TLS handshakes that cannot
 * succeed (plaintext bytes, a handshake record of random bytes, a client that does not trust the
 * broker's certificate), 2,000 connections that never authenticate, and 100 MB frames sent as fast as possible
 * by unauthenticated and by authenticated clients. After each, a well-behaved SCRAM client still
 * produces and consumes; the process is alive throughout, and its RSS is printed before and after.
 * In the {@code faults} profile (README, "Tests").
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecurityAbuseProcessTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final String ADMIN_PASSWORD = "abuse-admin-secret";
    private static final Duration AUTHENTICATION_TIMEOUT = Duration.ofSeconds(5);
    private static final int MAX_FRAME = 100 * 1024 * 1024;

    @TempDir
    static Path certificatesDir;

    private static TestCertificates certificates;
    private static ProcessCluster cluster;
    private static int securePort;
    private static SSLContext trusting;
    private static final AtomicLong canaryRuns = new AtomicLong();

    @BeforeAll
    static void startBroker() throws Exception {
        certificates = TestCertificates.authority(certificatesDir);
        Path brokerKeys = certificates.issue("broker", "broker");
        trusting = trustingContext(certificates.truststore());
        cluster = new ProcessCluster("abuse");
        try {
            cluster.startController(1);
            cluster.startBroker(1, List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"),
                    "--runnel.broker.listeners=INTERNAL://127.0.0.1:0,SECURE://127.0.0.1:0",
                    "--runnel.broker.listener-security-protocol-map=INTERNAL:PLAINTEXT,SECURE:SASL_SSL",
                    "--runnel.broker.inter-broker-listener-name=INTERNAL",
                    "--runnel.broker.ssl.keystore-location=" + brokerKeys,
                    "--runnel.broker.ssl.keystore-password=" + TestCertificates.PASSWORD,
                    "--runnel.broker.sasl.bootstrap-users=admin:" + ADMIN_PASSWORD,
                    "--runnel.broker.sasl.authentication-timeout=" + AUTHENTICATION_TIMEOUT.toSeconds() + "s",
                    "--runnel.broker.offsets-topic.replication-factor=1", "--runnel.broker.offsets-topic.partitions=3",
                    "--runnel.broker.group.initial-rebalance-delay=0s");
            securePort = cluster.node("broker-1").port("kafka.SECURE");
            try (Admin admin = KafkaClients.admin(bootstrap(), scram())) {
                await("the broker in the metadata").atMost(DEADLINE).pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions().until(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS)
                                .size() == 1);
                admin.createTopics(List.of(new NewTopic("canary", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            assertAWellBehavedClientIsServed();
        } catch (Exception | AssertionError e) {
            stopBroker();
            throw e;
        }
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }

    @Test
    @Order(1)
    void garbageTokensAndUnknownMechanismsAreRefusedConnectionByConnection() throws Exception {
        long rssBefore = rssKib();
        Random random = new Random(25);
        Map<String, Integer> outcomes = new HashMap<>();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                int kind = i % 4;
                byte[] garbage = new byte[random.nextInt(64 * 1024)];
                random.nextBytes(garbage);
                String mechanism = randomText(random, 1 + random.nextInt(2_000));
                results.add(clients.submit(() -> switch (kind) {
                    case 0 -> garbageSaslAuthenticate("SCRAM-SHA-512", garbage);
                    case 1 -> garbageSaslAuthenticate("PLAIN", garbage);
                    case 2 -> unknownMechanism(mechanism);
                    default -> garbageRawToken(garbage);
                }));
            }
            for (Future<String> result : results) {
                outcomes.merge(result.get(2, TimeUnit.MINUTES), 1, Integer::sum);
            }
        } finally {
            clients.shutdownNow();
        }
        System.out.printf("Garbage SASL: %s; broker RSS %d MiB before, %d MiB after%n", outcomes, rssBefore / 1024,
                rssKib() / 1024);
        assertThat(outcomes).containsOnlyKeys("SASL_AUTHENTICATION_FAILED then closed",
                "UNSUPPORTED_SASL_MECHANISM, still open", "raw token refused: closed");
        assertAWellBehavedClientIsServed();
    }

    @Test
    @Order(2)
    void tlsHandshakesThatCannotSucceedCloseOnlyTheirOwnConnections() throws Exception {
        Random random = new Random(26);
        Map<String, Integer> outcomes = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            outcomes.merge(plaintextOnTheTlsPort(), 1, Integer::sum);
            outcomes.merge(garbageTlsRecord(random), 1, Integer::sum);
            outcomes.merge(handshakeFails(untrustingContext()), 1, Integer::sum);
        }
        System.out.printf("Failing TLS handshakes: %s%n", outcomes);
        assertThat(outcomes).containsOnlyKeys("closed", "handshake failed");
        assertAWellBehavedClientIsServed();
    }

    @Test
    @Order(3)
    void twoThousandConnectionsThatNeverAuthenticateAreClosedAndCostLittle() throws Exception {
        long rssBefore = rssKib();
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 2_000; i++) {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress("127.0.0.1", securePort), 5_000);
                idle.add(socket);
            }
            long rssOpen = rssKib();
            assertAWellBehavedClientIsServed();
            await("every idle connection closed by the broker").atMost(AUTHENTICATION_TIMEOUT.plus(DEADLINE))
                    .pollInterval(Duration.ofMillis(500)).until(() -> idle.stream().allMatch(SecurityAbuseProcessTest::closedByPeer));
            System.out.printf("2,000 unauthenticated connections: broker RSS %d MiB before, %d MiB while open, %d MiB"
                    + " after the broker closed them%n", rssBefore / 1024, rssOpen / 1024, rssKib() / 1024);
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
        assertAWellBehavedClientIsServed();
    }

    @Test
    @Order(4)
    void hundredMegabyteFramesAsFastAsPossibleNeitherExhaustTheHeapNorStopOthers() throws Exception {
        long rssBefore = rssKib();
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        AtomicLong unauthenticatedFrames = new AtomicLong();
        AtomicLong authenticatedFrames = new AtomicLong();
        AtomicLong bytesSent = new AtomicLong();
        ExecutorService senders = Executors.newFixedThreadPool(5);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                running.add(senders.submit(() -> floodFrames(false, until, unauthenticatedFrames, bytesSent)));
                running.add(senders.submit(() -> floodFrames(true, until, authenticatedFrames, bytesSent)));
            }
            running.add(senders.submit(() -> {
                while (System.nanoTime() - until < 0) {
                    assertAWellBehavedClientIsServed();
                }
                return null;
            }));
            for (Future<?> future : running) {
                future.get(3, TimeUnit.MINUTES);
            }
        } finally {
            senders.shutdownNow();
        }
        long rssAfter = rssKib();
        System.out.printf("100 MB frames for 20 s: %d unauthenticated frames refused at their size, %d authenticated"
                + " frames sent in full, %d MiB sent; %d well-behaved round trips meanwhile; broker RSS %d MiB before,"
                + " %d MiB after%n", unauthenticatedFrames.get(), authenticatedFrames.get(),
                bytesSent.get() / (1024 * 1024), canaryRuns.get(), rssBefore / 1024, rssAfter / 1024);
        assertThat(unauthenticatedFrames.get()).isPositive();
        assertThat(authenticatedFrames.get()).isPositive();
        assertThat(cluster.node("broker-1").isAlive()).isTrue();
        assertAWellBehavedClientIsServed();
    }

    // ---- the abuses ---------------------------------------------------------------------------

    private static String garbageSaslAuthenticate(String mechanism, byte[] garbage) throws IOException {
        try (Socket socket = tlsSocket(trusting)) {
            SaslHandshakeResponse handshake = (SaslHandshakeResponse) roundTrip(socket, ApiKeys.SASL_HANDSHAKE, (short) 1,
                    new SaslHandshakeRequestData().setMechanism(mechanism));
            assertThat(handshake.data().errorCode()).isZero();
            SaslAuthenticateResponse answer = (SaslAuthenticateResponse) roundTrip(socket, ApiKeys.SASL_AUTHENTICATE,
                    (short) 2, new SaslAuthenticateRequestData().setAuthBytes(garbage));
            String error = Errors.forCode(answer.data().errorCode()).name();
            return error + (closedByPeer(socket) ? " then closed" : " still open");
        }
    }

    private static String unknownMechanism(String mechanism) throws IOException {
        try (Socket socket = tlsSocket(trusting)) {
            SaslHandshakeResponse handshake = (SaslHandshakeResponse) roundTrip(socket, ApiKeys.SASL_HANDSHAKE, (short) 1,
                    new SaslHandshakeRequestData().setMechanism(mechanism));
            roundTrip(socket, ApiKeys.API_VERSIONS, (short) 3, new ApiVersionsRequestData().setClientSoftwareName("abuse")
                    .setClientSoftwareVersion("1"));
            return Errors.forCode(handshake.data().errorCode()).name() + ", still open";
        }
    }

    private static String garbageRawToken(byte[] garbage) throws IOException {
        try (Socket socket = tlsSocket(trusting)) {
            SaslHandshakeResponse handshake = (SaslHandshakeResponse) roundTrip(socket, ApiKeys.SASL_HANDSHAKE, (short) 0,
                    new SaslHandshakeRequestData().setMechanism("SCRAM-SHA-256"));
            assertThat(handshake.data().errorCode()).isZero();
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(garbage.length);
            out.write(garbage);
            out.flush();
            return closedByPeer(socket) ? "raw token refused: closed" : "raw token answered";
        }
    }

    private static String plaintextOnTheTlsPort() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", securePort), 5_000);
            socket.setSoTimeout(10_000);
            try {
                write(socket, frame(ApiKeys.API_VERSIONS, (short) 3, new ApiVersionsRequestData()
                        .setClientSoftwareName("abuse").setClientSoftwareVersion("1"), 1));
            } catch (SocketException e) {
                return "closed";
            }
            return closedByPeer(socket) ? "closed" : "answered in plaintext";
        }
    }

    /** A TLS handshake record whose body is random bytes. */
    private static String garbageTlsRecord(Random random) throws IOException {
        byte[] body = new byte[64];
        random.nextBytes(body);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", securePort), 5_000);
            socket.setSoTimeout(10_000);
            try {
                write(socket, ByteBuffer.allocate(5 + body.length).put((byte) 0x16).putShort((short) 0x0303)
                        .putShort((short) body.length).put(body).array());
            } catch (SocketException e) {
                return "closed";
            }
            return closedByPeer(socket) ? "closed" : "still open";
        }
    }

    private static String handshakeFails(SSLContext context) throws IOException {
        try {
            tlsSocket(context).close();
            return "handshake succeeded";
        } catch (IOException e) {
            return "handshake failed";
        }
    }

    /**
     * Sends frames that claim 100 MB and then their bytes as fast as the socket takes them, again
     * and again on new connections until {@code until}: unauthenticated, each is refused at its size
     * header; authenticated (SASL PLAIN first), the broker reads each whole frame into memory it has
     * reserved, finds it is no request, and closes the connection.
     */
    private static Void floodFrames(boolean authenticate, long until, AtomicLong frames, AtomicLong bytes)
            throws Exception {
        byte[] chunk = new byte[1024 * 1024];
        new Random(authenticate ? 1 : 2).nextBytes(chunk);
        while (System.nanoTime() - until < 0) {
            try (Socket socket = tlsSocket(trusting)) {
                if (authenticate) {
                    plainLogin(socket);
                }
                OutputStream out = socket.getOutputStream();
                out.write(ByteBuffer.allocate(4).putInt(MAX_FRAME).array());
                int sent = 0;
                try {
                    while (sent < MAX_FRAME) {
                        out.write(chunk);
                        sent += chunk.length;
                        bytes.addAndGet(chunk.length);
                    }
                    out.flush();
                } catch (IOException closed) {
                    // Refused while sending: what an unauthenticated sender should see.
                }
                if (authenticate == (sent >= MAX_FRAME)) {
                    frames.incrementAndGet();
                }
                closedByPeer(socket);
            } catch (IOException e) {
                // The broker closed this connection: the next one is tried.
            }
        }
        return null;
    }

    private static void plainLogin(Socket socket) throws IOException {
        roundTrip(socket, ApiKeys.SASL_HANDSHAKE, (short) 1, new SaslHandshakeRequestData().setMechanism("PLAIN"));
        SaslAuthenticateResponse answer = (SaslAuthenticateResponse) roundTrip(socket, ApiKeys.SASL_AUTHENTICATE,
                (short) 2, new SaslAuthenticateRequestData().setAuthBytes(("\u0000admin\u0000" + ADMIN_PASSWORD)
                        .getBytes(StandardCharsets.UTF_8)));
        assertThat(answer.data().errorCode()).isZero();
    }

    // ---- the well-behaved client --------------------------------------------------------------

    /** A SCRAM-SHA-512 producer writes a record and a consumer reads it back. */
    private static void assertAWellBehavedClientIsServed() throws Exception {
        String value = "canary-" + canaryRuns.incrementAndGet();
        long offset;
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap(), scram())) {
            offset = producer.send(new ProducerRecord<>("canary", KafkaClients.bytes(value))).get(30, TimeUnit.SECONDS)
                    .offset();
        }
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap(), scram())) {
            TopicPartition partition = new TopicPartition("canary", 0);
            consumer.assign(List.of(partition));
            consumer.seek(partition, offset);
            List<String> read = new ArrayList<>();
            await().atMost(DEADLINE).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(KafkaClients.text(r.value())));
                return !read.isEmpty();
            });
            assertThat(read.get(0)).isEqualTo(value);
        }
    }

    private static Map<String, Object> scram() {
        Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        config.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, certificates.truststore().toString());
        config.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TestCertificates.PASSWORD);
        config.put(SaslConfigs.SASL_MECHANISM, "SCRAM-SHA-512");
        config.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"admin\" password=\"" + ADMIN_PASSWORD + "\";");
        return config;
    }

    private static String bootstrap() {
        return "127.0.0.1:" + securePort;
    }

    // ---- the wire -----------------------------------------------------------------------------

    private static Socket tlsSocket(SSLContext context) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", securePort), 5_000);
            socket.setSoTimeout(20_000);
            socket.startHandshake();
            return socket;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    private static AbstractResponse roundTrip(Socket socket, ApiKeys key, short version, ApiMessage body)
            throws IOException {
        write(socket, frame(key, version, body, 7));
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] answer = new byte[in.readInt()];
        in.readFully(answer);
        ByteBuffer buffer = ByteBuffer.wrap(answer);
        ResponseHeader.parse(buffer, key.responseHeaderVersion(version));
        return AbstractResponse.parseResponse(key, new ByteBufferAccessor(buffer), version);
    }

    private static byte[] frame(ApiKeys key, short version, ApiMessage body, int correlationId) {
        RequestHeader header = new RequestHeader(key, version, "abuse", correlationId);
        ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
        ByteBuffer frame = ByteBuffer.allocate(4 + request.remaining()).putInt(request.remaining()).put(request);
        return frame.array();
    }

    private static void write(Socket socket, byte[] bytes) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(bytes);
        out.flush();
    }

    /**
     * Whether the other end closed the connection (its stream ends or is reset) within the socket's
     * timeout; what it sends before (a TLS alert) is read and dropped.
     */
    private static boolean closedByPeer(Socket socket) {
        try {
            InputStream in = socket.getInputStream();
            byte[] sink = new byte[4096];
            while (in.read(sink) >= 0) {
                // an alert or an answer: wait on for the end
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (EOFException | SocketException e) {
            return true;
        } catch (IOException e) {
            return true;
        }
    }

    private static String randomText(Random random, int length) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            text.append((char) (0x20 + random.nextInt(0x5f)));
        }
        return text.toString();
    }

    private static SSLContext trustingContext(Path truststore) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(truststore)) {
            trusted.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }


    /** A client whose trust store does not hold the test authority. */
    private static SSLContext untrustingContext() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init((KeyStore) null); // the JDK's public authorities only
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    private static long rssKib() throws IOException {
        long pid = cluster.node("broker-1").pid();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
