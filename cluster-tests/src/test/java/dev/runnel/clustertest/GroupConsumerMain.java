package dev.runnel.clustertest;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.StaleMemberEpochException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One member of a consumer group as a JVM of its own, so that a test can {@code kill -9} it: an
 * unmodified {@link KafkaConsumer} that {@code subscribe()}s to a topic and, after every poll,
 * first records what it processed and then commits it (at least once).
 *
 * <p>It appends to its output file, a line at a time and flushed before the commit that covers
 * it: {@code assigned <p>,<p>,...} whenever its assignment changes and {@code record <partition>
 * <offset>} for every record processed. SIGTERM makes it leave the group cleanly, as a service
 * would on shutdown.
 *
 * <p>Arguments: bootstrap servers, group id, topic, output file, session timeout in ms, and
 * optionally the group protocol: {@code classic} (the default) or {@code consumer} (KIP-848, where
 * the brokers' {@code group.consumer.*} settings set the session timeout and heartbeat interval).
 */
public final class GroupConsumerMain {

    private GroupConsumerMain() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 5 && args.length != 6) {
            System.err.println("usage: GroupConsumerMain <bootstrap> <group> <topic> <output file> <session timeout ms>"
                    + " [classic|consumer]");
            System.exit(2);
        }
        int sessionTimeoutMs = Integer.parseInt(args[4]);
        String protocol = args.length == 6 ? args[5] : "classic";
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, args[1]);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        if (protocol.equals("classic")) {
            config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, sessionTimeoutMs);
            config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Math.max(100, sessionTimeoutMs / 6));
        }
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        config.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5_000);
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new StringDeserializer());
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            consumer.wakeup();
            try {
                main.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "leave-group"));
        try (Writer out = Files.newBufferedWriter(Path.of(args[3]), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
            consumer.subscribe(List.of(args[2]), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    writeAssignment(out, consumer);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    writeAssignment(out, consumer);
                }
            });
            consume(consumer, out);
        } catch (WakeupException e) {
            // SIGTERM: close() below leaves the group.
        } finally {
            consumer.close(Duration.ofSeconds(10));
        }
    }

    private static void consume(KafkaConsumer<String, String> consumer, Writer out) throws IOException {
        while (true) {
            ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
            if (records.isEmpty()) {
                continue;
            }
            for (ConsumerRecord<String, String> r : records) {
                out.write("record " + r.partition() + " " + r.offset() + "\n");
            }
            out.flush();
            try {
                consumer.commitSync();
            } catch (CommitFailedException | RebalanceInProgressException | StaleMemberEpochException
                    | UnknownMemberIdException e) {
                // The partitions moved before the commit: their next owner processes these records again.
            }
        }
    }

    private static void writeAssignment(Writer out, KafkaConsumer<?, ?> consumer) {
        String partitions = consumer.assignment().stream().map(TopicPartition::partition).sorted()
                .map(String::valueOf).collect(Collectors.joining(","));
        try {
            out.write("assigned " + partitions + "\n");
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
