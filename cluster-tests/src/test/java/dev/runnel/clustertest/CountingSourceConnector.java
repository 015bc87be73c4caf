package dev.runnel.clustertest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * A Kafka Connect source for {@link KafkaConnectClusterTest}: one task that writes the numbers 1,
 * 2, 3, ... to {@code topic}, {@code batch} per poll, keeping its position as a source offset
 * ({@code {"n": last}} under the source partition {@code {"source": "counter"}}), so that a
 * restarted worker continues after the last number whose offset Connect committed.
 */
public final class CountingSourceConnector extends SourceConnector {

    static final Map<String, String> PARTITION = Map.of("source", "counter");

    private Map<String, String> config;

    @Override
    public void start(Map<String, String> props) {
        this.config = Map.copyOf(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return CountingTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return List.of(config);
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef()
                .define("topic", ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "where the numbers go")
                .define("batch", ConfigDef.Type.INT, 10, ConfigDef.Importance.LOW, "numbers per poll");
    }

    @Override
    public String version() {
        return "1";
    }

    /** Writes the next {@code batch} numbers per poll, waiting a little between polls. */
    public static final class CountingTask extends SourceTask {

        private final Object pace = new Object();
        private String topic;
        private int batch;
        private long next;
        private volatile boolean stopping;

        @Override
        public String version() {
            return "1";
        }

        @Override
        public void start(Map<String, String> props) {
            topic = props.get("topic");
            batch = Integer.parseInt(props.getOrDefault("batch", "10"));
            Map<String, Object> offset = context.offsetStorageReader().offset(PARTITION);
            next = offset == null ? 1 : ((Number) offset.get("n")).longValue() + 1;
        }

        @Override
        public List<SourceRecord> poll() throws InterruptedException {
            // Connect calls poll in a loop: pace it rather than spin.
            synchronized (pace) {
                if (!stopping) {
                    pace.wait(20);
                }
            }
            List<SourceRecord> records = new ArrayList<>(batch);
            for (int i = 0; i < batch && !stopping; i++, next++) {
                records.add(new SourceRecord(PARTITION, Map.of("n", next), topic, null, Schema.STRING_SCHEMA, "n",
                        Schema.STRING_SCHEMA, Long.toString(next)));
            }
            return records;
        }

        @Override
        public void stop() {
            stopping = true;
            synchronized (pace) {
                pace.notifyAll();
            }
        }
    }
}
