package dev.runnel.clustertest;

import java.time.Duration;
import java.util.Map;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code RemoteClusterUtils.translateOffsets(target, sourceAlias, group)} of Kafka 4.3.1's
 * connect-mirror-client, run in a child JVM on the jars {@code kafka-reference/tools} gathers
 * (connect-mirror-client 4.3.1 does not run on this module's kafka-clients 4.4, and is not on
 * its classpath: it is called by reflection). Arguments: the target's bootstrap, the source
 * cluster's alias, the group. Prints one line {@code offset <topic> <partition> <offset>} per
 * translated partition (the topic as named on the target), then {@code done}.
 */
public final class MirrorTranslateOffsetsMain {

    private MirrorTranslateOffsetsMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, Object> target = Map.of("bootstrap.servers", args[0], "request.timeout.ms", 10_000,
                "default.api.timeout.ms", 20_000);
        Class<?> utils = Class.forName("org.apache.kafka.connect.mirror.RemoteClusterUtils");
        Map<?, ?> translated = (Map<?, ?>) utils
                .getMethod("translateOffsets", Map.class, String.class, String.class, Duration.class)
                .invoke(null, target, args[1], args[2], Duration.ofSeconds(20));
        for (Map.Entry<?, ?> e : translated.entrySet()) {
            TopicPartition tp = (TopicPartition) e.getKey();
            OffsetAndMetadata offset = (OffsetAndMetadata) e.getValue();
            System.out.println("offset " + tp.topic() + " " + tp.partition() + " " + offset.offset());
        }
        System.out.println("done");
        System.out.flush();
        System.exit(0);
    }
}
