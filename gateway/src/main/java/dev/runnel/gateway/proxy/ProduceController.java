package dev.runnel.gateway.proxy;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.protocol.Errors;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.common.time.Ticker;
import dev.runnel.gateway.GatewayClients;
import dev.runnel.gateway.GatewayProperties;
import dev.runnel.gateway.web.ProxyException;
import dev.runnel.gateway.web.RequestBodies;
import jakarta.servlet.http.HttpServletRequest;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /topics/{topic}} and {@code POST /topics/{topic}/partitions/{partition}}: a batch of
 * records, each with an optional key, value, partition and headers, as in the Strimzi Kafka
 * Bridge. The whole request is checked before anything is sent, so a bad record (malformed JSON,
 * bad base64, unknown topic or partition, a body over {@code runnel.gateway.max-request-size})
 * changes nothing; then every record is sent through the shared acks=all producer and the answer
 * gives, per record in request order, its partition and offset or its error.
 */
@RestController
class ProduceController {

    private final GatewayClients clients;
    private final GatewayProperties properties;
    private final JsonMapper mapper;

    /** A topic's partition count as last read, and when (gateway clock, ms). */
    private record KnownCount(int partitions, long readAt) {
    }

    /** How long a topic's partition count is reused before it is read again. */
    private static final long COUNT_TTL_MS = 2_000;

    private final ConcurrentMap<String, KnownCount> counts = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Ticker ticker;

    ProduceController(GatewayClients clients, GatewayProperties properties, JsonMapper mapper,
            Clock gatewayClock, Ticker gatewayTicker) {
        this.clock = gatewayClock;
        this.ticker = gatewayTicker;
        this.clients = clients;
        this.properties = properties;
        this.mapper = mapper;
    }

    @PostMapping(path = "/topics/{topic}", produces = MediaType.APPLICATION_JSON_VALUE)
    Map<String, Object> produce(@PathVariable String topic,
            @RequestHeader(name = HttpHeaders.CONTENT_TYPE, required = false) MediaType contentType,
            HttpServletRequest request) throws IOException, InterruptedException {
        return send(topic, null, contentType, request);
    }

    @PostMapping(path = "/topics/{topic}/partitions/{partition}", produces = MediaType.APPLICATION_JSON_VALUE)
    Map<String, Object> produceToPartition(@PathVariable String topic, @PathVariable int partition,
            @RequestHeader(name = HttpHeaders.CONTENT_TYPE, required = false) MediaType contentType,
            HttpServletRequest request) throws IOException, InterruptedException {
        return send(topic, partition, contentType, request);
    }

    private Map<String, Object> send(String topic, Integer pathPartition, MediaType contentType,
            HttpServletRequest request) throws IOException, InterruptedException {
        EmbeddedFormat format = EmbeddedFormat.of(contentType);
        JsonNode body = parse(RequestBodies.read(request, properties.getMaxRequestSize()));
        JsonNode records = body.get("records");
        if (records == null || !records.isArray() || records.isEmpty()) {
            throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-record",
                    "the body needs a non-empty \"records\" array");
        }
        List<ProducerRecord<byte[], byte[]>> toSend;
        try {
            toSend = records(topic, pathPartition, partitionCount(topic, false), format, records);
        } catch (ProxyException e) {
            if (!"unknown-partition".equals(e.type())) {
                throw e;
            }
            // The remembered count may predate new partitions: ask the cluster before refusing.
            toSend = records(topic, pathPartition, partitionCount(topic, true), format, records);
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (ProducerRecord<byte[], byte[]> r : toSend) {
            sent.add(clients.producer().send(r));
        }
        long deadline = ticker.nanoTime() + properties.getProduceTimeout().toNanos();
        List<Map<String, Object>> offsets = new ArrayList<>();
        for (Future<RecordMetadata> f : sent) {
            offsets.add(outcome(f, deadline));
        }
        return Map.of("offsets", offsets);
    }

    private JsonNode parse(byte[] body) {
        try {
            JsonNode node = mapper.readTree(body);
            if (node == null || !node.isObject()) {
                throw new ProxyException(HttpStatus.BAD_REQUEST, "malformed-request", "the body must be a JSON object");
            }
            return node;
        } catch (JacksonException e) {
            throw new ProxyException(HttpStatus.BAD_REQUEST, "malformed-request",
                    "the body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private List<ProducerRecord<byte[], byte[]>> records(String topic, Integer pathPartition, int partitions,
            EmbeddedFormat format, JsonNode records) {
        List<ProducerRecord<byte[], byte[]>> toSend = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            toSend.add(record(topic, pathPartition, partitions, format, records.get(i), "records[" + i + "]"));
        }
        return toSend;
    }

    /**
     * The topic's partition count, read from the cluster at most every {@value #COUNT_TTL_MS} ms
     * (or now, if {@code fresh}); an unknown topic is refused before anything is sent, and is never
     * remembered.
     */
    private int partitionCount(String topic, boolean fresh) throws InterruptedException {
        long now = clock.millis();
        KnownCount known = counts.get(topic);
        if (!fresh && known != null && now - known.readAt() < COUNT_TTL_MS) {
            return known.partitions();
        }
        int partitions = await(clients.admin().describeTopics(List.of(topic)).allTopicNames()).get(topic).partitions().size();
        counts.put(topic, new KnownCount(partitions, now));
        return partitions;
    }

    private ProducerRecord<byte[], byte[]> record(String topic, Integer pathPartition, int partitions,
            EmbeddedFormat format, JsonNode json, String where) {
        if (!json.isObject()) {
            throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-record", where + " must be an object");
        }
        Integer partition = pathPartition;
        JsonNode p = json.get("partition");
        if (p != null && !p.isNull()) {
            if (!p.isInt() || (pathPartition != null && p.asInt() != pathPartition)) {
                throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-record",
                        where + ".partition must be an integer (the path's partition, if the path names one)");
            }
            partition = p.asInt();
        }
        if (partition != null && (partition < 0 || partition >= partitions)) {
            throw new ProxyException(HttpStatus.NOT_FOUND, "unknown-partition",
                    "topic " + topic + " has no partition " + partition + " (it has " + partitions + ")");
        }
        byte[] key = format.encode(json.get("key"), mapper, where + ".key");
        byte[] value = format.encode(json.get("value"), mapper, where + ".value");
        RecordHeaders headers = new RecordHeaders();
        JsonNode hs = json.get("headers");
        if (hs != null && !hs.isNull()) {
            if (!hs.isArray()) {
                throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-record",
                        where + ".headers must be an array of {\"key\", \"value\" (base64)}");
            }
            for (int i = 0; i < hs.size(); i++) {
                JsonNode h = hs.get(i);
                JsonNode name = h.get("key");
                if (name == null || !name.isString() || name.asString().isEmpty()) {
                    throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-record",
                            where + ".headers[" + i + "].key must be a non-empty string");
                }
                headers.add(name.asString(), EmbeddedFormat.BINARY.encode(h.get("value"), mapper,
                        where + ".headers[" + i + "].value"));
            }
        }
        return new ProducerRecord<>(topic, partition, null, key, value, headers);
    }

    private Map<String, Object> outcome(Future<RecordMetadata> future, long deadlineNanos)
            throws InterruptedException {
        Map<String, Object> result = new LinkedHashMap<>();
        try {
            RecordMetadata metadata = future.get(Math.max(0, deadlineNanos - ticker.nanoTime()), TimeUnit.NANOSECONDS);
            result.put("partition", metadata.partition());
            result.put("offset", metadata.offset());
        } catch (ExecutionException e) {
            Errors error = Errors.forException(e.getCause());
            result.put("error_code", error.code());
            result.put("error", error.name());
            result.put("message", String.valueOf(e.getCause().getMessage()));
        } catch (TimeoutException e) {
            result.put("error_code", Errors.REQUEST_TIMED_OUT.code());
            result.put("error", Errors.REQUEST_TIMED_OUT.name());
            result.put("message", "not acknowledged in time; it may still be written");
        }
        return result;
    }

    private <T> T await(KafkaFuture<T> future) throws InterruptedException {
        return AdminCalls.await(future, properties.getAdminTimeout());
    }
}
