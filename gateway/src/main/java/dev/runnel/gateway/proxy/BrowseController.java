package dev.runnel.gateway.proxy;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.common.time.Ticker;
import dev.runnel.gateway.GatewayClients;
import dev.runnel.gateway.GatewayProperties;
import dev.runnel.gateway.web.ProxyException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/**
 * {@code GET /topics/{topic}/partitions/{partition}/records}: a look at a partition from an offset
 * or a timestamp, without a group and without committing anything (the console's message
 * browser). Keys, values and headers come as UTF-8 text when they are, else as base64.
 */
@RestController
@Tag(name = "Topics")
class BrowseController {

    /** A key, value or header as read: {@code text}, or {@code base64} when it is not UTF-8. */
    record Data(String encoding, String data) {
        static Data of(byte[] bytes) {
            if (bytes == null) {
                return null;
            }
            try {
                return new Data("text", StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString());
            } catch (CharacterCodingException e) {
                return new Data("base64", Base64.getEncoder().encodeToString(bytes));
            }
        }
    }

    record HeaderView(String key, Data value) {
    }

    record RecordView(int partition, long offset, long timestamp, String timestampType, Data key, Data value,
            List<HeaderView> headers, int size) {
    }

    record PageView(String topic, int partition, long from, long beginningOffset, long endOffset,
            List<RecordView> records) {
    }

    private static final int MAX_LIMIT = 500;

    private final GatewayClients clients;
    private final GatewayProperties properties;
    private final Ticker ticker;

    BrowseController(GatewayClients clients, GatewayProperties properties, Ticker gatewayTicker) {
        this.clients = clients;
        this.properties = properties;
        this.ticker = gatewayTicker;
    }

    @GetMapping("/topics/{topic}/partitions/{partition}/records")
    @Operation(summary = "Read up to 'limit' records of a partition from 'offset', or from the first record at or after"
            + " 'timestamp' (ms), or the last 'limit' records when neither is given")
    PageView browse(@PathVariable String topic, @PathVariable int partition,
            @RequestParam(required = false) Long offset, @RequestParam(required = false) Long timestamp,
            @RequestParam(defaultValue = "50") int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new ProxyException(HttpStatus.BAD_REQUEST, "malformed-request", "limit must be 1 to " + MAX_LIMIT);
        }
        if (offset != null && timestamp != null) {
            throw new ProxyException(HttpStatus.BAD_REQUEST, "malformed-request", "give offset or timestamp, not both");
        }
        Map<String, Object> config = clients.clientConfig();
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "runnel-gateway-browser");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"); // a look never creates a topic
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, limit);
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) properties.getAdminTimeout().toMillis());
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) properties.getAdminTimeout().toMillis());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, partition);
            var partitions = consumer.partitionsFor(topic, properties.getAdminTimeout());
            if (partitions == null || partitions.isEmpty()) {
                throw new ProxyException(HttpStatus.NOT_FOUND, "unknown-topic", "there is no topic " + topic);
            }
            if (partitions.stream().noneMatch(p -> p.partition() == partition)) {
                throw new ProxyException(HttpStatus.NOT_FOUND, "unknown-partition",
                        "topic " + topic + " has no partition " + partition);
            }
            consumer.assign(List.of(tp));
            long begin = consumer.beginningOffsets(List.of(tp), properties.getAdminTimeout()).get(tp);
            long end = consumer.endOffsets(List.of(tp), properties.getAdminTimeout()).get(tp);
            long from;
            if (offset != null) {
                from = Math.max(begin, Math.min(offset, end));
            } else if (timestamp != null) {
                OffsetAndTimestamp found = consumer.offsetsForTimes(Map.of(tp, timestamp), properties.getAdminTimeout())
                        .get(tp);
                from = found == null ? end : found.offset();
            } else {
                from = Math.max(begin, end - limit);
            }
            List<RecordView> records = new ArrayList<>();
            if (from < end) {
                consumer.seek(tp, from);
                long deadline = ticker.nanoTime() + properties.getAdminTimeout().toNanos();
                while (records.size() < limit && consumer.position(tp) < end && ticker.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        if (records.size() < limit) {
                            records.add(view(r));
                        }
                    }
                }
            }
            return new PageView(topic, partition, from, begin, end, records);
        }
    }

    private static RecordView view(ConsumerRecord<byte[], byte[]> r) {
        List<HeaderView> headers = new ArrayList<>();
        for (Header h : r.headers()) {
            headers.add(new HeaderView(h.key(), Data.of(h.value())));
        }
        int size = (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
        return new RecordView(r.partition(), r.offset(), r.timestamp(), r.timestampType().name, Data.of(r.key()),
                Data.of(r.value()), headers, size);
    }
}
