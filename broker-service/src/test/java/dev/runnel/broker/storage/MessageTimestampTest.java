package dev.runnel.broker.storage;

import static dev.runnel.broker.storage.LogTestSupport.openFresh;
import static dev.runnel.broker.storage.LogTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/** {@code message.timestamp.type} and the CreateTime bounds, as a leader applies them on append. */
class MessageTimestampTest {

    @TempDir
    Path dir;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final long now = scheduler.clock().millis();

    @Test
    void aCreateTimeRecordMoreThanAnHourAheadIsRefusedAndNothingIsAppended() throws Exception {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS, scheduler)) {
            long tooLate = now + Duration.ofHours(1).toMillis() + 1;

            assertThatThrownBy(() -> log.appendAsLeader(TestBatches.batch(3, tooLate), 0))
                    .isInstanceOfSatisfying(LogException.class, e -> assertThat(e.error()).isEqualTo(LogError.INVALID_TIMESTAMP));
            assertThat(log.logEndOffset()).isZero();
            assertThat(log.appendAsLeader(TestBatches.batch(3, now + Duration.ofHours(1).toMillis()), 0).firstOffset())
                    .isZero();
        }
    }

    @Test
    void theBeforeBoundAppliesToCompressedBatchesToo() throws Exception {
        LogConfig config = LogConfig.fromProperties(Map.of("message.timestamp.before.max.ms", "60000"));
        try (PartitionLog log = openFresh(dir, config, scheduler)) {
            ByteBuffer old = TestBatches.batch(RecordCodec.ZSTD, 4, now - 60_001, "old");

            assertThatThrownBy(() -> log.appendAsLeader(old, 0))
                    .isInstanceOfSatisfying(LogException.class, e -> assertThat(e.error()).isEqualTo(LogError.INVALID_TIMESTAMP));
            assertThat(log.appendAsLeader(TestBatches.batch(RecordCodec.ZSTD, 4, now - 60_000, "ok"), 0).recordCount())
                    .isEqualTo(4);
        }
    }

    @Test
    void logAppendTimeStampsEveryBatchWithTheLeadersClockAndKeepsTheCrcValid() throws Exception {
        LogConfig config = LogConfig.fromProperties(Map.of("message.timestamp.type", "LogAppendTime"));
        try (PartitionLog log = openFresh(dir, config, scheduler)) {
            // A producer's clock far off does not matter: the leader's time replaces it.
            AppendInfo plain = log.appendAsLeader(TestBatches.batch(2, now - Duration.ofDays(400).toMillis()), 0);
            scheduler.advance(Duration.ofSeconds(5));
            AppendInfo compressed = log.appendAsLeader(TestBatches.batch(RecordCodec.LZ4, 3, now + Duration.ofDays(3).toMillis(),
                    "lz4"), 0);

            assertThat(plain.logAppendTimeMs()).isEqualTo(now);
            assertThat(compressed.logAppendTimeMs()).isEqualTo(now + 5_000);
            ByteBuffer bytes = readAll(log, 0);
            assertThat(RecordBatchHeader.isLogAppendTime(bytes, 0)).isTrue();
            assertThat(RecordBatchHeader.isCrcValid(bytes, 0)).isTrue();
            // decode() checks every batch's CRC, and gives LogAppendTime records their batch's time.
            assertThat(KafkaRecordBatches.decode(bytes)).extracting(KafkaRecordBatches.DecodedRecord::timestamp)
                    .containsExactly(now, now, now + 5_000, now + 5_000, now + 5_000);
        }
    }

    @Test
    void aBadTimestampTypeIsRefusedByName() {
        assertThatThrownBy(() -> LogConfig.fromProperties(Map.of("message.timestamp.type", "WallClock")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("message.timestamp.type");
    }
}
