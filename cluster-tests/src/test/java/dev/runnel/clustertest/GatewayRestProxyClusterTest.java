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
 * commits and seeks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayRestProxyClusterTest {

    private static final String JSON = "application/vnd.kafka.json.v2+json";
    private static final String BINARY = "application/vnd.kafka.binary.v2+json";
    private static final String TEXT = "application/vnd.kafka.text.v2+json";

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
        cluster.startControllerAndBrokers(1);
        bootstrap = cluster.bootstrap(1);
        admin = KafkaClients.admin(bootstrap);
        gateway = new SpringApplicationBuilder(GatewayApplication.class).run("--server.port=0",
                "--runnel.gateway.bootstrap-servers=" + bootstrap, "--runnel.gateway.max-request-size=4KB",
                "--spring.cloud.zookeeper.enabled=false", "--spring.application.name=gateway");
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

    private HttpResponse<String> post(String path, String contentType, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
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

        assertThat(endTotal("gw-orders")).as("nothing written").isEqualTo(before);
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
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
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
}
