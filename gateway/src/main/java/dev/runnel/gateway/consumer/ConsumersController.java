package dev.runnel.gateway.consumer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.gateway.GatewayClients;
import dev.runnel.gateway.GatewayProperties;
import dev.runnel.gateway.proxy.EmbeddedFormat;
import dev.runnel.gateway.web.ProxyException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * REST consumers, as in the Strimzi Kafka Bridge: create an instance in a group, subscribe (or
 * assign), poll records, commit, seek, delete. Each instance is a {@code KafkaConsumer} of its
 * own in the gateway, so it takes part in its group's rebalances like any other consumer.
 */
@RestController
class ConsumersController {

    private static final String INSTANCE = "/consumers/{group}/instances/{name}";

    private final ConsumerInstances instances;
    private final GatewayProperties properties;
    private final GatewayClients clients;
    private final JsonMapper mapper;

    ConsumersController(ConsumerInstances instances, GatewayProperties properties, GatewayClients clients,
            JsonMapper mapper) {
        this.instances = instances;
        this.properties = properties;
        this.clients = clients;
        this.mapper = mapper;
    }

    /** {@code {"name", "format": json|binary|text, "auto.offset.reset", "enable.auto.commit", "fetch.min.bytes"}}. */
    @PostMapping("/consumers/{group}")
    Map<String, Object> create(@PathVariable String group, @RequestBody(required = false) JsonNode body) {
        JsonNode options = body == null ? mapper.createObjectNode() : body;
        String name = text(options, "name");
        EmbeddedFormat format = switch (text(options, "format") == null ? "json" : text(options, "format")) {
            case "json" -> EmbeddedFormat.JSON;
            case "binary" -> EmbeddedFormat.BINARY;
            case "text" -> EmbeddedFormat.TEXT;
            default -> throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-consumer",
                    "format must be json, binary or text");
        };
        Map<String, Object> config = clients.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"); // subscribing never creates a topic
        for (String option : List.of("auto.offset.reset", "enable.auto.commit", "fetch.min.bytes", "isolation.level")) {
            String value = text(options, option);
            if (value != null) {
                config.put(option, value);
            }
        }
        ConsumerInstance instance;
        try {
            instance = instances.create(group, name, format, clientId -> {
                Map<String, Object> own = new HashMap<>(config);
                own.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
                return new KafkaConsumer<>(own, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            });
        } catch (ConfigException e) {
            throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-consumer", e.getMessage());
        }
        return Map.of("instance_id", instance.name(), "base_uri", "/consumers/" + group + "/instances/" + instance.name());
    }

    /** {@code {"topics": [...]}} or {@code {"topic_pattern": "..."}}. */
    @PostMapping(INSTANCE + "/subscription")
    ResponseEntity<Void> subscribe(@PathVariable String group, @PathVariable String name, @RequestBody JsonNode body) {
        ConsumerInstance instance = instances.get(group, name);
        String pattern = text(body, "topic_pattern");
        JsonNode topics = body.get("topics");
        if ((pattern == null) == (topics == null || !topics.isArray() || topics.isEmpty())) {
            throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-subscription",
                    "give either a non-empty \"topics\" array or a \"topic_pattern\"");
        }
        try {
            List<String> names = new ArrayList<>();
            if (topics != null) {
                topics.forEach(t -> names.add(t.asString()));
            }
            Pattern compiled = pattern == null ? null : Pattern.compile(pattern);
            run(() -> instance.subscribe(names, compiled));
        } catch (PatternSyntaxException e) {
            throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-subscription", e.getMessage());
        }
        return ResponseEntity.noContent().build();
    }

    @GetMapping(INSTANCE + "/subscription")
    Map<String, Object> subscription(@PathVariable String group, @PathVariable String name) {
        ConsumerInstance instance = instances.get(group, name);
        return call(() -> Map.of("topics", instance.subscription().stream().sorted().toList(),
                "partitions", partitionsJson(instance.assignment())));
    }

    @DeleteMapping(INSTANCE + "/subscription")
    ResponseEntity<Void> unsubscribe(@PathVariable String group, @PathVariable String name) {
        ConsumerInstance instance = instances.get(group, name);
        run(() -> instance.unsubscribe());
        return ResponseEntity.noContent().build();
    }

    /** {@code {"partitions": [{"topic", "partition"}]}}: read exactly these, without group rebalances. */
    @PostMapping(INSTANCE + "/assignments")
    ResponseEntity<Void> assign(@PathVariable String group, @PathVariable String name, @RequestBody JsonNode body) {
        ConsumerInstance instance = instances.get(group, name);
        List<TopicPartition> partitions = partitions(body);
        run(() -> instance.assign(partitions));
        return ResponseEntity.noContent().build();
    }

    /** One poll: {@code timeout} ms at most, about {@code max_bytes} of keys and values. */
    @GetMapping(INSTANCE + "/records")
    List<Map<String, Object>> records(@PathVariable String group, @PathVariable String name,
            @RequestParam(defaultValue = "1000") long timeout,
            @RequestParam(name = "max_bytes", defaultValue = "1048576") long maxBytes) {
        if (timeout < 0 || timeout > 60_000 || maxBytes < 1) {
            throw new ProxyException(HttpStatus.BAD_REQUEST, "malformed-request",
                    "timeout must be 0 to 60000 ms and max_bytes at least 1");
        }
        ConsumerInstance instance = instances.get(group, name);
        List<ConsumerRecord<byte[], byte[]>> records = call(() -> instance.poll(Duration.ofMillis(timeout), maxBytes));
        List<Map<String, Object>> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("topic", r.topic());
            json.put("partition", r.partition());
            json.put("offset", r.offset());
            json.put("timestamp", r.timestamp());
            json.put("key", decode(instance.format(), r.key()));
            json.put("value", decode(instance.format(), r.value()));
            List<Map<String, String>> headers = new ArrayList<>();
            for (Header h : r.headers()) {
                headers.add(Map.of("key", h.key(), "value", h.value() == null ? "" : Base64.getEncoder().encodeToString(h.value())));
            }
            json.put("headers", headers);
            out.add(json);
        }
        return out;
    }

    /** {@code {"offsets": [{"topic", "partition", "offset"}]}} (the next offset to read), or no body: all polled. */
    @PostMapping(INSTANCE + "/offsets")
    ResponseEntity<Void> commit(@PathVariable String group, @PathVariable String name,
            @RequestBody(required = false) JsonNode body) {
        ConsumerInstance instance = instances.get(group, name);
        Map<TopicPartition, OffsetAndMetadata> offsets = body == null || body.get("offsets") == null ? null
                : offsets(body).entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                        e -> new OffsetAndMetadata(e.getValue())));
        run(() -> instance.commit(offsets));
        return ResponseEntity.noContent().build();
    }

    /** {@code {"offsets": [{"topic", "partition", "offset"}]}}: the next poll reads from there. */
    @PostMapping(INSTANCE + "/positions")
    ResponseEntity<Void> seek(@PathVariable String group, @PathVariable String name, @RequestBody JsonNode body) {
        ConsumerInstance instance = instances.get(group, name);
        Map<TopicPartition, Long> offsets = offsets(body);
        run(() -> offsets.forEach(instance::seek));
        return ResponseEntity.noContent().build();
    }

    @PostMapping(INSTANCE + "/positions/beginning")
    ResponseEntity<Void> seekToBeginning(@PathVariable String group, @PathVariable String name,
            @RequestBody JsonNode body) {
        ConsumerInstance instance = instances.get(group, name);
        List<TopicPartition> partitions = partitions(body);
        run(() -> instance.seekToBeginning(partitions));
        return ResponseEntity.noContent().build();
    }

    @PostMapping(INSTANCE + "/positions/end")
    ResponseEntity<Void> seekToEnd(@PathVariable String group, @PathVariable String name, @RequestBody JsonNode body) {
        ConsumerInstance instance = instances.get(group, name);
        List<TopicPartition> partitions = partitions(body);
        run(() -> instance.seekToEnd(partitions));
        return ResponseEntity.noContent().build();
    }

    @DeleteMapping(INSTANCE)
    ResponseEntity<Void> delete(@PathVariable String group, @PathVariable String name) {
        instances.delete(group, name);
        return ResponseEntity.noContent().build();
    }

    // ---------------------------------------------------------------- helpers

    /** Runs a consumer call that answers nothing; see {@link #call(Supplier)}. */
    private static void run(Runnable action) {
        call(() -> {
            action.run();
            return null;
        });
    }

    /** Runs a consumer call; what the consumer refuses becomes a problem. */
    private static <T> T call(Supplier<T> action) {
        try {
            return action.get();
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new ProxyException(HttpStatus.CONFLICT, "consumer-state", e.getMessage());
        } catch (RetriableException e) {
            throw new ProxyException(HttpStatus.SERVICE_UNAVAILABLE, "cluster-unavailable", e.getMessage());
        } catch (KafkaException e) {
            throw new ProxyException(HttpStatus.CONFLICT, "consumer-state", e.getMessage());
        }
    }

    private Object decode(EmbeddedFormat format, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        return switch (format) {
            case BINARY -> Base64.getEncoder().encodeToString(bytes);
            case TEXT -> new String(bytes, StandardCharsets.UTF_8);
            case JSON -> {
                try {
                    yield mapper.readTree(bytes);
                } catch (JacksonException e) {
                    yield new String(bytes, StandardCharsets.UTF_8); // not JSON: its text, as a JSON string
                }
            }
        };
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asString();
    }

    private static List<TopicPartition> partitions(JsonNode body) {
        JsonNode list = body.get("partitions");
        if (list == null || !list.isArray()) {
            throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-partitions",
                    "the body needs a \"partitions\" array of {\"topic\", \"partition\"}");
        }
        List<TopicPartition> partitions = new ArrayList<>();
        for (JsonNode p : list) {
            if (p.get("topic") == null || !p.get("topic").isString() || p.get("partition") == null
                    || !p.get("partition").isInt()) {
                throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-partitions",
                        "each partition is {\"topic\": string, \"partition\": integer}");
            }
            partitions.add(new TopicPartition(p.get("topic").asString(), p.get("partition").asInt()));
        }
        return partitions;
    }

    private static Map<TopicPartition, Long> offsets(JsonNode body) {
        JsonNode list = body.get("offsets");
        if (list == null || !list.isArray()) {
            throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-offsets",
                    "the body needs an \"offsets\" array of {\"topic\", \"partition\", \"offset\"}");
        }
        Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
        for (JsonNode o : list) {
            if (o.get("topic") == null || !o.get("topic").isString() || o.get("partition") == null
                    || !o.get("partition").isInt() || o.get("offset") == null || !o.get("offset").canConvertToLong()
                    || o.get("offset").asLong() < 0) {
                throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-offsets",
                        "each offset is {\"topic\": string, \"partition\": integer, \"offset\": integer >= 0}");
            }
            offsets.put(new TopicPartition(o.get("topic").asString(), o.get("partition").asInt()), o.get("offset").asLong());
        }
        return offsets;
    }

    private static List<Map<String, Object>> partitionsJson(Collection<TopicPartition> partitions) {
        return partitions.stream().sorted(Comparator.comparing(TopicPartition::topic)
                .thenComparingInt(TopicPartition::partition))
                .map(tp -> Map.<String, Object>of("topic", tp.topic(), "partition", tp.partition())).toList();
    }
}
