package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.gateway.GatewayApplication;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway's REST proxy against a real cluster (a controller and a broker in this JVM): records
 * produced over HTTP in the JSON, binary and text formats are read back with {@code kafka-clients}
 * byte for byte; bad requests get RFC 9457 problems and write nothing; a REST consumer instance
 * shares a group with a {@code kafka-clients} consumer, reads what {@code kafka-clients} wrote,
 * commits and seeks. Every route needs a signed-in caller with the right role; admin calls go to
 * the controller; the console's reads (overview, message browser) and offset resets work.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(OutputCaptureExtension.class)
class GatewayRestProxyClusterTest {

    private static final String JSON = "application/vnd.kafka.json.v2+json";
    private static final String BINARY = "application/vnd.kafka.binary.v2+json";
    private static final String TEXT = "application/vnd.kafka.text.v2+json";

    private static final String ADMIN_PASSWORD = "op3-pa55word-never-logged";
    private static final String READER_PASSWORD = "v1ewer-pa55word-never-logged";
    private static final String API_KEY = "k3y-0123456789abcdef-never-logged";
    private static final String AS_ADMIN = basic("ops", ADMIN_PASSWORD);
    private static final String AS_READER = basic("viewer", READER_PASSWORD);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final JsonMapper mapper = new JsonMapper();
    private InJvmCluster cluster;
    private ConfigurableApplicationContext gateway;
    private String bootstrap;
    private String base;
    private Admin admin;

    @BeforeAll
    void start() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(1, "--runnel.broker.offsets-topic.replication-factor=1");
        bootstrap = cluster.bootstrap(1);
        admin = KafkaClients.admin(bootstrap);
        gateway = new SpringApplicationBuilder(GatewayApplication.class).run("--server.port=0",
                "--runnel.gateway.bootstrap-servers=" + bootstrap, "--runnel.gateway.max-request-size=4KB",
                "--spring.cloud.zookeeper.connect-string=" + cluster.connectString(),
                "--runnel.cluster.secret=" + InJvmCluster.SECRET,
                "--runnel.gateway.security.users[0].name=ops", "--runnel.gateway.security.users[0].password=" + ADMIN_PASSWORD,
                "--runnel.gateway.security.users[0].role=ADMIN",
                "--runnel.gateway.security.users[1].name=viewer", "--runnel.gateway.security.users[1].password=" + READER_PASSWORD,
                "--runnel.gateway.security.users[1].role=READ",
                "--runnel.gateway.security.api-keys[0].name=ci", "--runnel.gateway.security.api-keys[0].key=" + API_KEY,
                "--runnel.gateway.security.api-keys[0].role=ADMIN");
        base = "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port");
        admin.createTopics(List.of(new NewTopic("gw-orders", 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
        await("gw-orders has leaders").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> admin
                .describeTopics(List.of("gw-orders")).allTopicNames().get(10, TimeUnit.SECONDS).get("gw-orders")
                .partitions().stream().allMatch(p -> p.leader() != null));
    }

    @AfterAll
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** A call with {@code credentials} as its Authorization header (none if null), or an API key if it starts "key:". */
    private HttpResponse<String> send(String method, String path, String contentType, String body, String credentials)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (credentials != null && credentials.startsWith("key:")) {
            request.header("X-API-Key", credentials.substring(4));
        } else if (credentials != null) {
            request.header("Authorization", credentials);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String contentType, String body) throws IOException, InterruptedException {
        return send("POST", path, contentType, body, AS_ADMIN);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send("GET", path, null, null, AS_ADMIN);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private long endTotal(String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        IntStream.range(0, 3).forEach(p -> specs.put(new TopicPartition(topic, p), OffsetSpec.latest()));
        return admin.listOffsets(specs).all().get(10, TimeUnit.SECONDS).values().stream().mapToLong(i -> i.offset()).sum();
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            consumer.assign(IntStream.range(0, 3).mapToObj(p -> new TopicPartition(topic, p)).toList());
            return KafkaClients.drain(consumer);
        }
    }

    @Test
    void recordsProducedOverHttpAreReadBackWithKafkaClientsByteForByte() throws Exception {
        long before = endTotal("gw-orders");
        HttpResponse<String> json = post("/topics/gw-orders", JSON, """
                {"records": [
                  {"key": "k1", "value": {"id": 1, "items": ["lamp"]}},
                  {"value": "just a string"},
                  {"key": "k2", "value": [1, 2], "partition": 2, "headers": [{"key": "source", "value": "%s"}]}
                ]}""".formatted(b64("web")));
        HttpResponse<String> binary = post("/topics/gw-orders/partitions/1", BINARY, """
                {"records": [{"key": "%s", "value": "AAEC/w=="}]}""".formatted(b64("bk")));
        HttpResponse<String> text = post("/topics/gw-orders", TEXT, """
                {"records": [{"key": "t", "value": "plain text é"}]}""");

        assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
        JsonNode offsets = mapper.readTree(json.body()).get("offsets");
        assertThat(offsets).hasSize(3);
        assertThat(offsets.get(2).get("partition").asInt()).isEqualTo(2);
        assertThat(binary.statusCode()).as(binary.body()).isEqualTo(200);
        assertThat(mapper.readTree(binary.body()).get("offsets").get(0).get("partition").asInt()).isEqualTo(1);
        assertThat(text.statusCode()).as(text.body()).isEqualTo(200);
        assertThat(endTotal("gw-orders")).isEqualTo(before + 5);

        Map<String, ConsumerRecord<byte[], byte[]>> byKey = new HashMap<>();
        ConsumerRecord<byte[], byte[]> keyless = null;
        for (ConsumerRecord<byte[], byte[]> r : readAll("gw-orders")) {
            if (r.key() == null) {
                keyless = r;
            } else {
                byKey.put(new String(r.key(), StandardCharsets.UTF_8), r);
            }
        }
        assertThat(KafkaClients.text(byKey.get("\"k1\"").value())).isEqualTo("{\"id\":1,\"items\":[\"lamp\"]}");
        assertThat(KafkaClients.text(keyless.value())).isEqualTo("\"just a string\"");
        ConsumerRecord<byte[], byte[]> k2 = byKey.get("\"k2\"");
        assertThat(k2.partition()).isEqualTo(2);
        assertThat(KafkaClients.text(k2.value())).isEqualTo("[1,2]");
        assertThat(KafkaClients.text(k2.headers().lastHeader("source").value())).isEqualTo("web");
        ConsumerRecord<byte[], byte[]> bin = byKey.get("bk");
        assertThat(bin.partition()).isEqualTo(1);
        assertThat(bin.value()).containsExactly(0, 1, 2, 255);
        assertThat(KafkaClients.text(byKey.get("t").value())).isEqualTo("plain text é");
    }

    @Test
    void jsonNumbersAreKeptExactlyNeverTurnedIntoInfinity() throws Exception {
        admin.createTopics(List.of(new NewTopic("gw-numbers", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        await("gw-numbers has a leader").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> admin
                .describeTopics(List.of("gw-numbers")).allTopicNames().get(10, TimeUnit.SECONDS).get("gw-numbers")
                .partitions().get(0).leader() != null);
        HttpResponse<String> produced = post("/topics/gw-numbers", JSON, """
                {"records": [{"key": 1e999999999, "value": {"huge": 1e999999999, "tiny": -1e-999999999,
                  "price": 19.90, "big": 123456789012345678901234567890, "pi": 3.141592653589793238462643383279}}]}""");
        assertThat(produced.statusCode()).as(produced.body()).isEqualTo(200);

        ConsumerRecord<byte[], byte[]> stored;
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            consumer.assign(List.of(new TopicPartition("gw-numbers", 0)));
            stored = KafkaClients.drain(consumer).get(0);
        }
        assertThat(KafkaClients.text(stored.key())).isEqualTo("1E+999999999");
        assertThat(KafkaClients.text(stored.value())).doesNotContain("Infinity").isEqualTo("{\"huge\":1E+999999999,"
                + "\"tiny\":-1E-999999999,\"price\":19.90,\"big\":123456789012345678901234567890,"
                + "\"pi\":3.141592653589793238462643383279}");
    }

    @Test
    void theRestConsumerGivesJsonNumbersBackAsTheyWereStored() throws Exception {
        admin.createTopics(List.of(new NewTopic("gw-numbers-out", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        try (var producer = KafkaClients.producer(bootstrap, Map.of())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("gw-numbers-out", 0, null,
                    KafkaClients.bytes("{\"huge\":1e999999999,\"price\":19.90}"))).get(30, TimeUnit.SECONDS);
        }
        String instance = "/consumers/gw-numbers-out-reader/instances/r";
        assertThat(post("/consumers/gw-numbers-out-reader", "application/json",
                "{\"name\": \"r\", \"format\": \"json\", \"auto.offset.reset\": \"earliest\"}").statusCode())
                .isEqualTo(200);
        assertThat(post(instance + "/subscription", "application/json", "{\"topics\": [\"gw-numbers-out\"]}")
                .statusCode()).isEqualTo(204);
        java.util.concurrent.atomic.AtomicReference<String> read = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            await("the REST consumer reads the record").atMost(Duration.ofSeconds(60)).until(() -> {
                HttpResponse<String> records = get(instance + "/records?timeout=200");
                read.set(records.body());
                return records.body().contains("huge");
            });
        } finally {
            delete(instance);
        }
        assertThat(read.get()).doesNotContain("Infinity").contains("\"huge\":1E+999999999", "\"price\":19.90");
    }

    @Test
    void badRequestsGetProblemsAndWriteNothing() throws Exception {
        long before = endTotal("gw-orders");
        String good = "{\"value\": \"ok\"}";

        assertProblem(post("/topics/no-such-topic", JSON, "{\"records\": [" + good + "]}"), 404, "unknown-topic");
        assertProblem(post("/topics/gw-orders", JSON, "{\"records\": [" + good + ", "), 400, "malformed-request");
        assertProblem(post("/topics/gw-orders", BINARY, "{\"records\": [{\"value\": \"" + b64("fine") + "\"},"
                + " {\"value\": \"not base64!\"}]}"), 422, "invalid-record");
        assertProblem(post("/topics/gw-orders", JSON, "{\"records\": []}"), 422, "invalid-record");
        assertProblem(post("/topics/gw-orders/partitions/7", JSON, "{\"records\": [" + good + "]}"), 404,
                "unknown-partition");
        assertProblem(post("/topics/gw-orders/partitions/x", JSON, "{\"records\": [" + good + "]}"), 400,
                "malformed-request");
        assertProblem(post("/topics/gw-orders", "text/plain", "{\"records\": [" + good + "]}"), 415,
                "unsupported-media-type");
        assertProblem(post("/topics/gw-orders", JSON, "{\"records\": [{\"value\": \"" + "x".repeat(5_000) + "\"}]}"),
                413, "request-too-large");

        String record = "{\"records\": [" + good + "]}";
        assertProblem(send("POST", "/topics/gw-orders", JSON, record, AS_READER), 403, "forbidden");
        assertProblem(send("POST", "/topics/gw-orders", JSON, record, null), 401, "unauthenticated");
        assertProblem(send("POST", "/topics/gw-orders", JSON, record, basic("ops", "wrong")), 401, "unauthenticated");
        assertProblem(send("POST", "/topics/gw-orders", JSON, record, "key:not-the-key-0123456789"), 401,
                "unauthenticated");
        assertProblem(send("POST", "/api/v1/topics", "application/json", "{\"name\": \"by-a-reader\"}", AS_READER),
                403, "forbidden");
        assertProblem(send("POST", "/consumer-groups/any/offsets/reset", "application/json",
                "{\"topic\": \"gw-orders\", \"to\": \"earliest\"}", AS_READER), 403, "forbidden");
        assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).doesNotContain("by-a-reader");

        assertThat(endTotal("gw-orders")).as("nothing written").isEqualTo(before);
        assertThat(send("GET", "/topics/gw-orders", null, null, AS_READER).statusCode()).as("a reader reads")
                .isEqualTo(200);
        assertThat(send("POST", "/topics/gw-orders", JSON, record, "key:" + API_KEY).statusCode())
                .as("an admin API key produces").isEqualTo(200);
        assertThat(post("/topics/gw-orders", JSON, "{\"records\": [" + good + "]}").statusCode())
                .as("the gateway goes on serving").isEqualTo(200);
    }

    private void assertProblem(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                ct -> assertThat(ct).startsWith("application/problem+json"));
        JsonNode problem = mapper.readTree(response.body());
        assertThat(problem.get("type").asString()).isEqualTo("https://runnel.dev/problems/" + type);
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("detail").asString()).isNotBlank();
    }

    @Test
    void topicsAndTheirPartitionsWithReplicasAndOffsets() throws Exception {
        HttpResponse<String> list = get("/topics");
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(mapper.readTree(list.body()).valueStream().map(JsonNode::asString)).contains("gw-orders");

        HttpResponse<String> described = get("/topics/gw-orders");
        assertThat(described.statusCode()).as(described.body()).isEqualTo(200);
        JsonNode topic = mapper.readTree(described.body());
        assertThat(topic.get("partitions")).hasSize(3);
        long end = 0;
        for (JsonNode p : topic.get("partitions")) {
            assertThat(p.get("leader").asInt()).isEqualTo(1);
            assertThat(p.get("replicas").get(0).asInt()).isEqualTo(1);
            assertThat(p.get("isr").get(0).asInt()).isEqualTo(1);
            assertThat(p.get("beginningOffset").asLong()).isZero();
            end += p.get("endOffset").asLong();
        }
        assertThat(end).isEqualTo(endTotal("gw-orders"));
        assertProblem(get("/topics/no-such-topic"), 404, "unknown-topic");
    }

    private HttpResponse<String> delete(String path) throws IOException, InterruptedException {
        return send("DELETE", path, null, null, AS_ADMIN);
    }

    @Test
    void aRestConsumerSharesAGroupWithAKafkaConsumerCommitsAndSeeks() throws Exception {
        admin.createTopics(List.of(new NewTopic("gw-events", 4, (short) 1))).all().get(30, TimeUnit.SECONDS);
        await("gw-events has leaders").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> admin
                .describeTopics(List.of("gw-events")).allTopicNames().get(10, TimeUnit.SECONDS).get("gw-events")
                .partitions().stream().allMatch(p -> p.leader() != null));
        try (var producer = KafkaClients.producer(bootstrap, Map.of())) {
            for (int i = 0; i < 20; i++) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("gw-events", i % 4,
                        KafkaClients.bytes("k" + i), KafkaClients.bytes("{\"n\":" + i + "}"))).get(30, TimeUnit.SECONDS);
            }
        }
        String instance = "/consumers/mixed/instances/rest-1";
        HttpResponse<String> created = post("/consumers/mixed", "application/json",
                "{\"name\": \"rest-1\", \"format\": \"json\", \"auto.offset.reset\": \"earliest\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        assertThat(mapper.readTree(created.body()).get("base_uri").asString()).isEqualTo(instance);
        assertProblem(post("/consumers/mixed", "application/json", "{\"name\": \"rest-1\"}"), 409, "consumer-exists");
        assertThat(post(instance + "/subscription", "application/json", "{\"topics\": [\"gw-events\"]}").statusCode())
                .isEqualTo(204);

        // A kafka-clients consumer in the same group, on a thread of its own, committing what it reads.
        java.util.Set<Integer> seenByKafka = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicReference<java.util.Set<TopicPartition>> kafkaPartitions =
                new java.util.concurrent.atomic.AtomicReference<>(java.util.Set.of());
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", bootstrap);
        config.put("group.id", "mixed");
        config.put("auto.offset.reset", "earliest");
        config.put("enable.auto.commit", false);
        Thread kafkaThread = new Thread(() -> {
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config,
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
                consumer.subscribe(List.of("gw-events"));
                while (!stop.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        seenByKafka.add(mapper.readTree(r.value()).get("n").asInt());
                    }
                    kafkaPartitions.set(java.util.Set.copyOf(consumer.assignment()));
                    consumer.commitSync();
                }
            }
        }, "kafka-consumer");
        kafkaThread.start();
        java.util.Set<Integer> seenOverHttp = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.Set<TopicPartition> restPartitions = new java.util.HashSet<>();
        try {
            await("the group splits the 4 partitions and reads all 20 records").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ZERO).until(() -> {
                        HttpResponse<String> records = get(instance + "/records?timeout=200");
                        assertThat(records.statusCode()).as(records.body()).isEqualTo(200);
                        for (JsonNode r : mapper.readTree(records.body())) {
                            seenOverHttp.add(r.get("value").get("n").asInt());
                        }
                        restPartitions.clear();
                        for (JsonNode p : mapper.readTree(get(instance + "/subscription").body()).get("partitions")) {
                            restPartitions.add(new TopicPartition(p.get("topic").asString(), p.get("partition").asInt()));
                        }
                        java.util.Set<Integer> all = new java.util.HashSet<>(seenOverHttp);
                        all.addAll(seenByKafka);
                        return restPartitions.size() == 2 && kafkaPartitions.get().size() == 2 && all.size() == 20;
                    });
            assertThat(restPartitions).doesNotContainAnyElementsOf(kafkaPartitions.get());

            // Commit what the REST consumer read: its partitions are committed to their ends (5 each).
            assertThat(post(instance + "/offsets", "application/json", "").statusCode()).isEqualTo(204);
            Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed = admin
                    .listConsumerGroupOffsets("mixed").partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            for (TopicPartition tp : restPartitions) {
                assertThat(committed.get(tp).offset()).as("committed %s", tp).isEqualTo(5);
            }

            // Seek one partition back to its beginning: its 5 records come again.
            TopicPartition first = restPartitions.iterator().next();
            String partitionJson = "{\"partitions\": [{\"topic\": \"gw-events\", \"partition\": " + first.partition() + "}]}";
            assertThat(post(instance + "/positions/beginning", "application/json", partitionJson).statusCode())
                    .isEqualTo(204);
            List<Integer> again = new java.util.ArrayList<>();
            await("the partition again").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ZERO).until(() -> {
                for (JsonNode r : mapper.readTree(get(instance + "/records?timeout=200").body())) {
                    again.add(r.get("value").get("n").asInt());
                }
                return again.size() >= 5;
            });
            assertThat(again).hasSize(5).allMatch(n -> n % 4 == first.partition());
            TopicPartition notMine = kafkaPartitions.get().iterator().next();
            assertProblem(post(instance + "/positions", "application/json", "{\"offsets\": [{\"topic\": \"gw-events\","
                    + " \"partition\": " + notMine.partition() + ", \"offset\": 0}]}"), 409, "consumer-state");
            assertProblem(post(instance + "/positions", "application/json", "{\"offsets\": [{\"topic\": 3}]}"), 422,
                    "invalid-offsets");

            // The group as the proxy shows it: both members, every partition committed, no lag.
            await("both members' commits").atMost(Duration.ofSeconds(30)).until(() -> admin.listConsumerGroupOffsets("mixed")
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).size() == 4);
            HttpResponse<String> groups = get("/consumer-groups");
            assertThat(groups.statusCode()).as(groups.body()).isEqualTo(200);
            assertThat(mapper.readTree(groups.body()).valueStream().map(g -> g.get("groupId").asString())).contains("mixed");
            JsonNode mixed = mapper.readTree(get("/consumer-groups/mixed").body());
            assertThat(mixed.get("state").asString()).isEqualTo("Stable");
            assertThat(mixed.get("members")).hasSize(2);
            assertThat(mixed.get("offsets")).hasSize(4);
            assertThat(mixed.get("totalLag").asLong()).isZero();
            for (JsonNode o : mixed.get("offsets")) {
                assertThat(o.get("committedOffset").asLong()).isEqualTo(5);
                assertThat(o.get("endOffset").asLong()).isEqualTo(5);
            }
            assertProblem(get("/consumer-groups/no-such-group"), 404, "unknown-group");
            JsonNode brokers = mapper.readTree(get("/brokers").body());
            assertThat(brokers).hasSize(1);
            assertThat(brokers.get(0).get("id").asInt()).isEqualTo(1);
            assertThat(brokers.get(0).get("port").asInt()).isEqualTo(InJvmCluster.kafkaPort(cluster.broker(1)));
        } finally {
            stop.set(true);
            kafkaThread.join(30_000);
        }
        assertThat(delete(instance).statusCode()).isEqualTo(204);
        assertProblem(get(instance + "/records"), 404, "unknown-consumer");
        assertProblem(delete(instance), 404, "unknown-consumer");
    }

    @Test
    void adminCallsAreRoutedToTheActiveControllerAndTheConsoleReadsWork() throws Exception {
        HttpResponse<String> created = post("/api/v1/topics", "application/json",
                "{\"name\": \"gw-routed\", \"partitions\": 2, \"replicationFactor\": 1, \"configs\": {\"retention.ms\": \"3600000\"}}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.headers().firstValue("X-Runnel-Controller")).contains(InJvmCluster.url(cluster.controller(1)));
        await("the brokers learn of gw-routed").atMost(Duration.ofSeconds(30)).until(() ->
                admin.listTopics().names().get(10, TimeUnit.SECONDS).contains("gw-routed"));
        HttpResponse<String> described = send("GET", "/api/v1/topics/gw-routed", null, null, AS_READER);
        assertThat(described.statusCode()).as(described.body()).isEqualTo(200);
        assertThat(mapper.readTree(described.body()).get("configs").get("retention.ms").asString()).isEqualTo("3600000");
        HttpResponse<String> unknown = get("/api/v1/topics/no-such-topic");
        assertThat(unknown.statusCode()).as("the controller's own problem is relayed").isEqualTo(404);

        JsonNode overview = mapper.readTree(get("/cluster").body());
        assertThat(overview.get("controller").get("activeId").asInt()).isEqualTo(1);
        assertThat(overview.get("controller").get("registered")).hasSize(1);
        assertThat(overview.get("brokers").get(0).get("status").asString()).isEqualTo("online");
        assertThat(overview.get("offlinePartitions").asInt()).isZero();
        assertThat(overview.get("topics").valueStream().map(t -> t.get("name").asString())).contains("gw-orders", "gw-routed");

        JsonNode me = mapper.readTree(send("GET", "/me", null, null, AS_READER).body());
        assertThat(me.get("name").asString()).isEqualTo("viewer");
        assertThat(me.get("role").asString()).isEqualTo("READ");
        HttpResponse<String> docs = send("GET", "/v3/api-docs", null, null, AS_READER);
        assertThat(docs.statusCode()).isEqualTo(200);
        assertThat(mapper.readTree(docs.body()).get("paths").propertyNames()).contains("/topics/{topic}",
                "/consumers/{group}", "/consumer-groups/{group}/offsets/reset", "/cluster");
        HttpResponse<String> console = send("GET", "/", null, null, AS_READER);
        assertThat(console.statusCode()).isEqualTo(200);
        assertThat(console.body()).contains("Runnel console");
        assertThat(send("GET", "/actuator/health/liveness", null, null, null).statusCode()).as("probes need no sign-in")
                .isEqualTo(200);
    }

    @Test
    void theMessageBrowserReadsAPartitionFromAnOffsetOrTheEnd() throws Exception {
        HttpResponse<String> written = post("/topics/gw-orders/partitions/0", BINARY, """
                {"records": [{"key": "%s", "value": "%s"}, {"value": "/w=="}]}""".formatted(b64("browse-key"),
                b64("{\"browse\": true}")));
        assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
        long first = mapper.readTree(written.body()).get("offsets").get(0).get("offset").asLong();

        JsonNode page = mapper.readTree(get("/topics/gw-orders/partitions/0/records?offset=" + first + "&limit=2").body());
        assertThat(page.get("from").asLong()).isEqualTo(first);
        assertThat(page.get("records")).hasSize(2);
        JsonNode record = page.get("records").get(0);
        assertThat(record.get("offset").asLong()).isEqualTo(first);
        assertThat(record.get("key").get("data").asString()).isEqualTo("browse-key");
        assertThat(record.get("value").get("data").asString()).isEqualTo("{\"browse\": true}");
        assertThat(page.get("records").get(1).get("value").get("encoding").asString()).isEqualTo("base64");
        assertThat(page.get("records").get(1).get("value").get("data").asString()).isEqualTo("/w==");

        JsonNode latest = mapper.readTree(get("/topics/gw-orders/partitions/0/records?limit=1").body());
        assertThat(latest.get("records")).hasSize(1);
        assertThat(latest.get("records").get(0).get("offset").asLong()).isEqualTo(first + 1);
        JsonNode byTime = mapper.readTree(get("/topics/gw-orders/partitions/0/records?timestamp=0&limit=1").body());
        assertThat(byTime.get("records").get(0).get("offset").asLong()).isEqualTo(byTime.get("beginningOffset").asLong());
        assertProblem(get("/topics/gw-orders/partitions/9/records"), 404, "unknown-partition");
        assertProblem(get("/topics/no-such-topic/partitions/0/records"), 404, "unknown-topic");
        assertProblem(get("/topics/gw-orders/partitions/0/records?limit=0"), 400, "malformed-request");
    }

    @Test
    void anIdleGroupsOffsetsAreResetAndAnActiveGroupIsRefused() throws Exception {
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> start = new HashMap<>();
        IntStream.range(0, 3).forEach(p -> start.put(new TopicPartition("gw-orders", p),
                new org.apache.kafka.clients.consumer.OffsetAndMetadata(0)));
        admin.alterConsumerGroupOffsets("gw-resettable", start).all().get(10, TimeUnit.SECONDS);

        HttpResponse<String> reset = post("/consumer-groups/gw-resettable/offsets/reset", "application/json",
                "{\"topic\": \"gw-orders\", \"to\": \"latest\"}");
        assertThat(reset.statusCode()).as(reset.body()).isEqualTo(200);
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed = admin
                .listConsumerGroupOffsets("gw-resettable").partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        long committedTotal = committed.values().stream().mapToLong(o -> o.offset()).sum();
        assertThat(committedTotal).isEqualTo(endTotal("gw-orders"));
        assertThat(mapper.readTree(get("/consumer-groups/gw-resettable").body()).get("totalLag").asLong()).isZero();
        HttpResponse<String> gathered = send("GET", "/api/v1/groups/gw-resettable", null, null, AS_READER);
        assertThat(gathered.statusCode()).as("the controller, called with the gateway's cluster secret, gathers the "
                + "group from the brokers with its own: %s", gathered.body()).isEqualTo(200);

        HttpResponse<String> toOffset = post("/consumer-groups/gw-resettable/offsets/reset", "application/json",
                "{\"topic\": \"gw-orders\", \"partitions\": [1], \"to\": \"offset\", \"offset\": 0}");
        assertThat(toOffset.statusCode()).as(toOffset.body()).isEqualTo(200);
        assertThat(admin.listConsumerGroupOffsets("gw-resettable").partitionsToOffsetAndMetadata()
                .get(10, TimeUnit.SECONDS).get(new TopicPartition("gw-orders", 1)).offset()).isZero();
        assertProblem(post("/consumer-groups/gw-resettable/offsets/reset", "application/json",
                "{\"topic\": \"gw-orders\", \"to\": \"yesterday\"}"), 422, "invalid-reset");

        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", bootstrap);
        config.put("group.id", "gw-busy");
        try (KafkaConsumer<byte[], byte[]> member = new KafkaConsumer<>(config,
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            member.subscribe(List.of("gw-orders"));
            await("gw-busy has a member").atMost(Duration.ofSeconds(30)).until(() -> {
                member.poll(Duration.ofMillis(100));
                return !member.assignment().isEmpty();
            });
            assertProblem(post("/consumer-groups/gw-busy/offsets/reset", "application/json",
                    "{\"topic\": \"gw-orders\", \"to\": \"earliest\"}"), 409, "group-active");
        }
    }

    @Test
    void noSecretReachesTheLog(CapturedOutput output) throws Exception {
        send("GET", "/topics", null, null, basic("ops", ADMIN_PASSWORD + "-wrong"));
        send("GET", "/topics", null, null, "key:" + API_KEY + "-wrong");
        send("GET", "/topics", null, null, AS_READER);
        assertThat(output.getAll()).contains("Started ")
                .doesNotContain(ADMIN_PASSWORD).doesNotContain(READER_PASSWORD).doesNotContain(API_KEY)
                .doesNotContain(InJvmCluster.SECRET)
                .doesNotContain("Using generated security password");
    }
}
