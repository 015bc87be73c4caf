package dev.runnel.client.listener;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;

import dev.runnel.client.core.LogProducerFactory;

/**
 * Publishes records the listener gave up on to {@code <topic><suffix>} ({@code orders.DLT}), with
 * their key, value, timestamp and headers as they were, and headers saying where each came from
 * and why it failed. Each publish is acknowledged before it returns, so the container commits past
 * a record only once its dead letter is safe. A missing dead-letter topic is created first, with
 * as many partitions as the record's topic.
 */
public class DeadLetterPublisher implements BiConsumer<List<ConsumerRecord<byte[], byte[]>>, Exception>, DisposableBean {

    public static final String ORIGINAL_TOPIC = "runnel_dlt_original_topic";
    public static final String ORIGINAL_PARTITION = "runnel_dlt_original_partition";
    public static final String ORIGINAL_OFFSET = "runnel_dlt_original_offset";
    public static final String ORIGINAL_TIMESTAMP = "runnel_dlt_original_timestamp";
    public static final String EXCEPTION_CLASS = "runnel_dlt_exception_class";
    public static final String EXCEPTION_MESSAGE = "runnel_dlt_exception_message";
    public static final String EXCEPTION_STACKTRACE = "runnel_dlt_exception_stacktrace";

    private static final Logger log = LoggerFactory.getLogger(DeadLetterPublisher.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final LogProducerFactory producers;
    private final Map<String, Object> adminConfig;
    private final String suffix;
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    private Admin admin;
    private boolean closed;

    /**
     * @param adminConfig settings for the admin client that creates missing dead-letter topics
     */
    public DeadLetterPublisher(LogProducerFactory producers, Map<String, Object> adminConfig, String suffix) {
        this.producers = producers;
        this.adminConfig = Map.copyOf(adminConfig);
        this.suffix = suffix;
    }

    /** The dead-letter topic of {@code topic}. */
    public String deadLetterTopic(String topic) {
        return topic + suffix;
    }

    @Override
    public void accept(List<ConsumerRecord<byte[], byte[]>> records, Exception error) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            String topic = deadLetterTopic(record.topic());
            ensureTopic(record.topic(), topic);
            sent.add(producers.producer().send(new ProducerRecord<>(topic, null, record.timestamp(), record.key(),
                    record.value(), headers(record, error))));
        }
        try {
            for (Future<RecordMetadata> f : sent) {
                f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing dead letters", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot publish to the dead-letter topic: " + e.getMessage(), e);
        }
        log.warn("Published {} to the dead-letter topic after: {}", DefaultLogErrorHandler.describe(records),
                error.toString());
    }

    private static RecordHeaders headers(ConsumerRecord<byte[], byte[]> record, Exception error) {
        RecordHeaders headers = new RecordHeaders();
        for (Header h : record.headers()) {
            headers.add(h);
        }
        Throwable cause = error.getCause() != null && error instanceof ListenerInvocationException ? error.getCause() : error;
        headers.add(ORIGINAL_TOPIC, utf8(record.topic()));
        headers.add(ORIGINAL_PARTITION, utf8(Integer.toString(record.partition())));
        headers.add(ORIGINAL_OFFSET, utf8(Long.toString(record.offset())));
        headers.add(ORIGINAL_TIMESTAMP, utf8(Long.toString(record.timestamp())));
        headers.add(EXCEPTION_CLASS, utf8(cause.getClass().getName()));
        headers.add(EXCEPTION_MESSAGE, utf8(String.valueOf(cause.getMessage())));
        StringWriter trace = new StringWriter();
        cause.printStackTrace(new PrintWriter(trace));
        headers.add(EXCEPTION_STACKTRACE, utf8(trace.toString()));
        return headers;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Creates the dead-letter topic once, if it is missing, like its source topic's partition count. */
    private void ensureTopic(String source, String deadLetters) {
        if (known.contains(deadLetters)) {
            return;
        }
        try {
            Admin a = admin();
            Map<String, TopicDescription> described = a.describeTopics(List.of(source)).allTopicNames()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            int partitions = described.get(source).partitions().size();
            a.createTopics(List.of(new NewTopic(deadLetters, Optional.of(partitions), Optional.empty()))).all()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            log.info("Created the dead-letter topic {} with {} partitions", deadLetters, partitions);
            known.add(deadLetters);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                known.add(deadLetters);
            } else {
                // The send may still succeed (the broker may create topics on first use): let it try.
                log.warn("Cannot create the dead-letter topic {}: {}", deadLetters, e.getCause().toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TimeoutException e) {
            log.warn("Cannot create the dead-letter topic {}: no answer within {}", deadLetters, TIMEOUT);
        }
    }

    private synchronized Admin admin() {
        if (closed) {
            throw new IllegalStateException("the dead-letter publisher is closed");
        }
        if (admin == null) {
            admin = Admin.create(adminConfig);
        }
        return admin;
    }

    @Override
    public synchronized void destroy() {
        closed = true;
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
    }
}
