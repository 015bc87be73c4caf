package dev.runnel.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The data of {@code bench/cleaner-compare}, written the same way to Apache Kafka and to Runnel
 * with kafka-clients only: {@code produce} creates a one-partition topic with
 * {@code cleanup.policy=delete} (so no cleaner touches it while it is written) and writes
 * {@code records} records of {@code value-bytes} bytes whose keys cycle through {@code keys}
 * distinct keys in a scrambled order; {@code compact} then switches the topic to
 * {@code cleanup.policy=compact}, after which the system's cleaner cleans every segment but the
 * active one in one round, and reports it in its log.
 *
 * <pre>
 *   CompactionLoad produce BOOTSTRAP TOPIC RECORDS KEYS VALUE_BYTES SEGMENT_BYTES
 *   CompactionLoad compact BOOTSTRAP TOPIC
 * </pre>
 */
public final class CompactionLoad {

    private CompactionLoad() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 7 && args[0].equals("produce")) {
            produce(args[1], args[2], Long.parseLong(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]),
                    args[6]);
        } else if (args.length == 3 && args[0].equals("compact")) {
            compact(args[1], args[2]);
        } else {
            System.err.println("usage: CompactionLoad produce BOOTSTRAP TOPIC RECORDS KEYS VALUE_BYTES SEGMENT_BYTES"
                    + " | compact BOOTSTRAP TOPIC");
            System.exit(2);
        }
    }

    private static void produce(String bootstrap, String topic, long records, int keys, int valueBytes,
            String segmentBytes) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "delete",
                    "retention.ms", "-1", "segment.bytes", segmentBytes)))).all().get(60, TimeUnit.SECONDS);
        }
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ACKS_CONFIG, "1");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        long began = System.nanoTime();
        byte[] value = new byte[valueBytes];
        Arrays.fill(value, (byte) 'v');
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (long i = 0; i < records; i++) {
                // A multiplier coprime with keys walks every key once per cycle, in a scrambled order.
                long k = Math.floorMod(i * 2_654_435_761L, keys);
                producer.send(new ProducerRecord<>(topic, String.format("key-%08d", k).getBytes(StandardCharsets.UTF_8),
                        value));
            }
            producer.flush();
        }
        System.out.printf("PRODUCED %d records, %d distinct keys, to %s in %.1f s%n", records, keys, topic,
                (System.nanoTime() - began) / 1e9);
    }

    private static void compact(String bootstrap, String topic) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic),
                    List.of(new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET))))
                    .all().get(60, TimeUnit.SECONDS);
        }
        System.out.println("COMPACT " + topic);
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }
}
