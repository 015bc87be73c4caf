package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import dev.runnel.broker.protocol.ApiVersionTable;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The protocol conformance suite: every (API, version) pair the broker advertises, sent as a
 * request that kafka-clients' schema for that version describes (see {@link ConformanceRequests}),
 * through a real broker's listener and handlers. Each answer must come back on the same
 * connection, serialised at exactly the request's version: it parses with that version's schema
 * with no byte left over, carries the request's correlation id, and no part of it says
 * UNKNOWN_SERVER_ERROR (the broker's answer when a handler fails or sets a field the version
 * lacks). The cases come from {@link ApiVersionTable}: an API or version added there is covered
 * here without a new test.
 */
class ProtocolConformanceClusterTest {

    private static final String TOPIC = "conformance";
    private static final String GROUP = "conformance-group";

    private static InJvmCluster cluster;
    private static int port;
    private static ConformanceRequests requests;
    private static final Map<String, String> outcomes = new TreeMap<>();

    @BeforeAll
    static void startBroker() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(1, "--runnel.broker.offsets-topic.replication-factor=1",
                "--runnel.broker.offsets-topic.partitions=3", "--runnel.broker.group.initial-rebalance-delay=0s",
                "--runnel.broker.group.min-session-timeout=1s");
        port = InJvmCluster.kafkaPort(cluster.broker(1));
        try (Admin admin = KafkaClients.admin(cluster.bootstrap(1))) {
            List<NewTopic> topics = new ArrayList<>(List.of(new NewTopic(TOPIC, 1, (short) 1)));
            for (short v = served(ApiKeys.DELETE_TOPICS).min(); v <= served(ApiKeys.DELETE_TOPICS).max(); v++) {
                topics.add(new NewTopic(ConformanceRequests.deletedTopic(v), 1, (short) 1));
            }
            for (short v = served(ApiKeys.CREATE_PARTITIONS).min(); v <= served(ApiKeys.CREATE_PARTITIONS).max(); v++) {
                topics.add(new NewTopic(ConformanceRequests.grownTopic(v), 1, (short) 1));
            }
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
            Uuid topicId = await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> admin
                    .describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC).topicId(),
                    id -> id != null);
            requests = new ConformanceRequests(new ConformanceRequests.Target(TOPIC, topicId, GROUP));
        }
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(cluster.bootstrap(1), Map.of())) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(TOPIC, 0, KafkaClients.bytes("k" + i), KafkaClients.bytes("v" + i)))
                        .get(30, TimeUnit.SECONDS);
            }
        }
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (!outcomes.isEmpty()) {
            // What each pair answered, for a reader who wants to see which paths ran.
            StringBuilder table = new StringBuilder("| API | version | errors in the answer |\n|---|---|---|\n");
            outcomes.forEach((pair, errors) -> table.append("| ").append(pair.replace(" v", " | ")).append(" | ")
                    .append(errors).append(" |\n"));
            Path out = Path.of("target", "protocol-conformance.md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, table.toString(), StandardCharsets.UTF_8);
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static ApiVersionTable.Range served(ApiKeys key) {
        return ApiVersionTable.served().get(key);
    }

    @TestFactory
    Stream<DynamicTest> everyAdvertisedVersionIsAnsweredAtThatVersion() {
        List<DynamicTest> tests = new ArrayList<>();
        ApiVersionTable.served().forEach((key, range) -> {
            for (short v = range.min(); v <= range.max(); v++) {
                short version = v;
                tests.add(DynamicTest.dynamicTest(key + " v" + version, () -> conforms(key, version)));
            }
        });
        return tests.stream();
    }

    /** Otherwise the suite could not build a request of that version, and no client could send one we read. */
    @Test
    void everyAdvertisedVersionIsOneKafkaClientsCanReadAndWrite() {
        int pairs = ApiVersionTable.served().values().stream().mapToInt(r -> r.max() - r.min() + 1).sum();
        ApiVersionTable.served().forEach((key, range) -> {
            assertThat(range.min()).as(key + " oldest").isGreaterThanOrEqualTo(key.oldestVersion());
            assertThat(range.max()).as(key + " latest").isLessThanOrEqualTo(key.latestVersion());
        });
        System.out.println("Protocol conformance: " + ApiVersionTable.served().size() + " APIs, " + pairs
                + " (API, version) pairs advertised and generated");
    }

    @TestFactory
    Stream<DynamicTest> versionsOutsideTheTableAreRefusedWithUnsupportedVersion() {
        List<DynamicTest> tests = new ArrayList<>();
        ApiVersionTable.served().forEach((key, range) -> {
            if (key == ApiKeys.API_VERSIONS) {
                return; // answered at v0 with the table instead (KIP-511): its own test
            }
            if (range.min() > key.oldestVersion()) {
                short below = (short) (range.min() - 1);
                tests.add(DynamicTest.dynamicTest(key + " v" + below, () -> refused(key, below)));
            }
            if (range.max() < key.latestVersion()) {
                short above = (short) (range.max() + 1);
                tests.add(DynamicTest.dynamicTest(key + " v" + above, () -> refused(key, above)));
            }
        });
        return tests.stream();
    }

    /** Client-facing APIs a Kafka broker has and Runnel does not (yet): refused, connection kept. */
    @TestFactory
    Stream<DynamicTest> apisOutsideTheTableAreRefusedWithUnsupportedVersion() {
        List<DynamicTest> tests = new ArrayList<>();
        for (ApiKeys key : ApiKeys.clientApis()) {
            if (!ApiVersionTable.served().containsKey(key)
                    && key.messageType.listeners().contains(ApiMessageType.ListenerType.BROKER)) {
                tests.add(DynamicTest.dynamicTest(key + " v" + key.latestVersion(),
                        () -> refused(key, key.latestVersion())));
            }
        }
        return tests.stream();
    }

    @Test
    void anApiVersionsRequestAboveOursGetsTheTableAtVersionZero() throws IOException {
        short above = (short) (served(ApiKeys.API_VERSIONS).max() + 1);
        try (Connection connection = new Connection(port)) {
            ByteBuffer answer = connection.roundTrip(ConformanceRequests.frame(ApiKeys.API_VERSIONS, above, 7,
                    requests.body(ApiKeys.API_VERSIONS, (short) Math.min(above, ApiKeys.API_VERSIONS.latestVersion()))));
            assertThat(ResponseHeader.parse(answer, (short) 0).correlationId()).isEqualTo(7);
            AbstractResponse response = AbstractResponse.parseResponse(ApiKeys.API_VERSIONS,
                    new ByteBufferAccessor(answer), (short) 0);
            assertThat(response.errorCounts()).containsOnlyKeys(Errors.UNSUPPORTED_VERSION);
        }
    }

    private static void conforms(ApiKeys key, short version) throws IOException {
        int correlationId = 1000 + key.id * 100 + version;
        ByteBuffer frame = requests.frame(key, version, correlationId);
        // The request itself must be what kafka-clients reads at this version, or the case tests nothing.
        AbstractRequest.parseRequest(key, version, new ByteBufferAccessor(skipHeader(frame.duplicate())));
        double errorsBefore = handlerErrors(key);
        AbstractResponse response;
        try (Connection connection = new Connection(port)) {
            ByteBuffer answer = connection.roundTrip(frame);
            response = parseWhole(key, version, correlationId, answer);
            // The connection is still usable: an ApiVersions round trip on it.
            parseWhole(ApiKeys.API_VERSIONS, (short) 0, 1, connection.roundTrip(
                    requests.frame(ApiKeys.API_VERSIONS, (short) 0, 1)));
        }
        Map<Errors, Integer> errors = response.errorCounts();
        outcomes.put(key + " v" + version, errors.keySet().toString());
        assertThat(errors).as("%s v%d answered %s", key, version, errors).doesNotContainKey(Errors.UNKNOWN_SERVER_ERROR);
        assertThat(handlerErrors(key)).as("request errors counted for %s", key).isEqualTo(errorsBefore);
    }

    private static void refused(ApiKeys key, short version) throws IOException {
        int correlationId = 5000 + key.id;
        try (Connection connection = new Connection(port)) {
            AbstractResponse response = parseWhole(key, version, correlationId,
                    connection.roundTrip(requests.frame(key, version, correlationId)));
            assertThat(response.errorCounts()).as("%s v%d", key, version).containsKey(Errors.UNSUPPORTED_VERSION)
                    .doesNotContainKey(Errors.UNKNOWN_SERVER_ERROR);
            parseWhole(ApiKeys.API_VERSIONS, (short) 0, 1, connection.roundTrip(
                    requests.frame(ApiKeys.API_VERSIONS, (short) 0, 1)));
        }
    }

    /** Parses an answer at {@code version}, requiring every byte to belong to it. */
    private static AbstractResponse parseWhole(ApiKeys key, short version, int correlationId, ByteBuffer answer) {
        ResponseHeader header = ResponseHeader.parse(answer, key.responseHeaderVersion(version));
        assertThat(header.correlationId()).as("correlation id").isEqualTo(correlationId);
        AbstractResponse response = AbstractResponse.parseResponse(key, new ByteBufferAccessor(answer), version);
        assertThat(answer.remaining()).as("%s v%d: bytes after the answer", key, version).isZero();
        return response;
    }

    private static ByteBuffer skipHeader(ByteBuffer frame) {
        RequestHeader.parse(frame);
        return frame;
    }

    private static double handlerErrors(ApiKeys key) {
        MeterRegistry registry = cluster.broker(1).getBean(MeterRegistry.class);
        return registry.find("runnel.broker.request.errors").tag("api", key.name).counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    /** A plain socket speaking size-prefixed frames. */
    static final class Connection implements AutoCloseable {

        private final Socket socket = new Socket();
        private final DataOutputStream out;
        private final DataInputStream in;

        Connection(int port) throws IOException {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(30_000);
            out = new DataOutputStream(socket.getOutputStream());
            in = new DataInputStream(socket.getInputStream());
        }

        void send(ByteBuffer frame) throws IOException {
            out.writeInt(frame.remaining());
            out.write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
            out.flush();
        }

        ByteBuffer receive() throws IOException {
            int size;
            try {
                size = in.readInt();
            } catch (EOFException e) {
                throw new AssertionError("the broker closed the connection instead of answering", e);
            }
            byte[] answer = new byte[size];
            in.readFully(answer);
            return ByteBuffer.wrap(answer);
        }

        ByteBuffer roundTrip(ByteBuffer frame) throws IOException {
            send(frame);
            return receive();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
