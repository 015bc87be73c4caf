package dev.runnel.client.listener;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;

/**
 * Where a record the listener gave up on goes: {@code <topic><suffix>} ({@code orders.DLT}), in the
 * record's own partition (Spring Kafka's {@link DeadLetterPublishingRecoverer} falls back to the
 * producer's choice when the dead-letter topic has no such partition). A missing dead-letter topic
 * is created first, with the source topic's partition count and replication factor, so each
 * dead letter lands in the partition of the same number as its original.
 *
 * <p>The recoverer is Spring Kafka's: it copies key, value, timestamp and headers and adds its
 * {@code kafka_dlt-*} headers (original topic, partition and offset as 4- and 8-byte big-endian
 * numbers, exception class, cause class, message and stack trace), and waits for the broker's
 * acknowledgment, so the container commits past a record only once its dead letter is safe.
 */
public class DeadLetterTopics implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterTopics.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, Object> adminConfig;
    private final String suffix;
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    private Admin admin;
    private boolean closed;

    /** @param adminConfig settings for the admin client that creates missing dead-letter topics */
    public DeadLetterTopics(Map<String, Object> adminConfig, String suffix) {
        this.adminConfig = Map.copyOf(adminConfig);
        this.suffix = suffix;
    }

    /** The dead-letter topic of {@code topic}. */
    public String deadLetterTopic(String topic) {
        return topic + suffix;
    }

    /** Spring Kafka's recoverer, publishing with {@code template} to these dead-letter topics. */
    public DeadLetterPublishingRecoverer recoverer(KafkaOperations<?, ?> template) {
        return new DeadLetterPublishingRecoverer(template, this::destination);
    }

    /** The dead-letter topic and partition of {@code record}, the topic created if it is missing. */
    public TopicPartition destination(ConsumerRecord<?, ?> record, Exception error) {
        String topic = deadLetterTopic(record.topic());
        ensureTopic(record.topic(), topic);
        return new TopicPartition(topic, record.partition());
    }

    /** Creates the dead-letter topic once, if it is missing, like its source topic. */
    private void ensureTopic(String source, String deadLetters) {
        if (known.contains(deadLetters)) {
            return;
        }
        try {
            Admin a = admin();
            TopicDescription described = a.describeTopics(List.of(source)).allTopicNames()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(source);
            int partitions = described.partitions().size();
            short replicas = (short) described.partitions().get(0).replicas().size();
            a.createTopics(List.of(new NewTopic(deadLetters, Optional.of(partitions), Optional.of(replicas)))).all()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            log.info("Created the dead-letter topic {} with {} partitions and {} replicas", deadLetters, partitions,
                    replicas);
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
            throw new IllegalStateException("the dead-letter topics are closed");
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
