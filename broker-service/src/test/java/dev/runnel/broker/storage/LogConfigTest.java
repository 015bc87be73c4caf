package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

class LogConfigTest {

    @Test
    void kafkaNamedPropertiesOverrideTheDefaults() {
        LogConfig config = LogConfig.fromProperties(Map.of("segment.bytes", "1048576", "retention.ms", "-1",
                "max.message.bytes", " 2000000 ", "flush.messages", "10"));

        assertThat(config.segmentBytes()).isEqualTo(1048576);
        assertThat(config.retentionMs()).isEqualTo(-1);
        assertThat(config.maxMessageBytes()).isEqualTo(2_000_000);
        assertThat(config.flushMessages()).isEqualTo(10);
        assertThat(config.segmentMs()).isEqualTo(LogConfig.DEFAULTS.segmentMs());
    }

    @Test
    void anUnknownNameIsRefusedByName() {
        assertThatThrownBy(() -> LogConfig.fromProperties(Map.of("segment.byte", "100")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'segment.byte'");
    }

    @Test
    void aValueThatIsNotANumberIsRefusedByName() {
        assertThatThrownBy(() -> LogConfig.fromProperties(Map.of("retention.ms", "7d")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'retention.ms'").hasMessageContaining("7d");
    }

    @Test
    void outOfRangeValuesAreRefusedByName() {
        assertThatThrownBy(() -> LogConfig.fromProperties(Map.of("retention.bytes", "-2")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'retention.bytes'");
        assertThatThrownBy(() -> LogConfig.fromProperties(Map.of("segment.bytes", "10")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'segment.bytes'");
        assertThatThrownBy(() -> LogConfig.fromProperties(Map.of("segment.bytes", "4294967296")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'segment.bytes'");
    }
}
