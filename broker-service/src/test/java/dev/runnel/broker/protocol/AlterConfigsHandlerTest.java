package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig;
import org.junit.jupiter.api.Test;

/** IncrementalAlterConfigs' plan for one topic ({@link AlterConfigsHandler#incremental}). */
class AlterConfigsHandlerTest {

    private static AlterableConfig op(String name, byte operation, String value) {
        return new AlterableConfig().setName(name).setConfigOperation(operation).setValue(value);
    }

    @Test
    void deletingANameThatIsNoTopicConfigIsANoOpAsInKafka() {
        // What MirrorMaker 2 sends when mirroring from Kafka 4.4: the non-default configs SET, every default
        // one reset by DELETE, among them configs Runnel does not have.
        AlterConfigsHandler.Change change = AlterConfigsHandler.incremental(Map.of("retention.ms", "1000"), List.of(
                op("retention.ms", (byte) 0, "123456789"), op("errors.deadletterqueue.group.enable", (byte) 1, null),
                op("segment.bytes", (byte) 1, null)));

        assertThat(change.set()).isEqualTo(Map.of("retention.ms", "123456789"));
        assertThat(change.delete()).containsExactly("segment.bytes");
    }

    @Test
    void deletingAnOverrideDeletesIt() {
        AlterConfigsHandler.Change change = AlterConfigsHandler.incremental(Map.of("retention.ms", "1000"),
                List.of(op("retention.ms", (byte) 1, null)));

        assertThat(change.set()).isEmpty();
        assertThat(change.delete()).containsExactly("retention.ms");
    }
}
