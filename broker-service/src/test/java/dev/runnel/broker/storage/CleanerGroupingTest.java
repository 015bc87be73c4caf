package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;

/** How the cleaner groups segments into one output segment: by log size, index sizes and 2^31 offsets. */
class CleanerGroupingTest {

    @TempDir
    Path dir;

    private final List<LogSegment> opened = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (LogSegment segment : opened) {
            segment.close();
        }
    }

    @Test
    void segmentsAreGroupedWhileTheirSizesFitOneSegment() throws Exception {
        LogConfig config = LogConfig.DEFAULTS.withIndexIntervalBytes(Integer.MAX_VALUE);
        List<LogSegment> segments = List.of(segment(config, 0, 4), segment(config, 4, 4), segment(config, 8, 4),
                segment(config, 12, 4), segment(config, 16, 1));
        int size = segments.get(0).size();

        // Two segments fit one, three do not.
        List<List<LogSegment>> groups = SegmentRewriter.groupBySize(segments.subList(0, 4), segments, 2 * size + size / 2,
                config.segmentIndexBytes(), 16);
        assertThat(groups).extracting(List::size).containsExactly(2, 2);
        assertThat(groups.get(1).get(0).baseOffset()).isEqualTo(8);

        // Everything fits one.
        assertThat(SegmentRewriter.groupBySize(segments.subList(0, 4), segments, Integer.MAX_VALUE, config.segmentIndexBytes(), 16))
                .extracting(List::size).containsExactly(4);
    }

    @Test
    void theIndexSizesBoundAGroupToo() throws Exception {
        // An index entry for every batch: four batches a segment take 32 bytes of offset index, 48 of time index.
        LogConfig config = LogConfig.DEFAULTS.withIndexIntervalBytes(0);
        List<LogSegment> segments = List.of(segment(config, 0, 4), segment(config, 4, 4), segment(config, 8, 4),
                segment(config, 12, 1));
        assertThat(segments.get(0).timeIndexBytes()).isPositive();

        int twoTimeIndexes = 2 * segments.get(0).timeIndexBytes();
        assertThat(SegmentRewriter.groupBySize(segments.subList(0, 3), segments, Integer.MAX_VALUE, twoTimeIndexes, 12))
                .extracting(List::size).containsExactly(2, 1);
        assertThat(SegmentRewriter.groupBySize(segments.subList(0, 3), segments, Integer.MAX_VALUE, twoTimeIndexes - 1, 12))
                .extracting(List::size).containsExactly(1, 1, 1);
    }

    @Test
    void offsetsMoreThan2To31ApartAreNeverInOneGroup() throws Exception {
        // A segment's last offset is judged by the next segment's base (as Kafka does): the one at 10
        // may reach up to far - 1, so it cannot join the group at 0 either.
        LogConfig config = LogConfig.DEFAULTS;
        long far = 3_000_000_000L;
        List<LogSegment> segments = List.of(segment(config, 0, 2), segment(config, 10, 2), segment(config, far, 2),
                segment(config, far + 10, 1));
        assertThat(SegmentRewriter.groupBySize(segments.subList(0, 3), segments, Integer.MAX_VALUE, config.segmentIndexBytes(),
                far + 10)).extracting(g -> g.get(0).baseOffset()).containsExactly(0L, 10L, far);
    }

    /** A segment at {@code base} with {@code batches} one-record batches at consecutive offsets. */
    private LogSegment segment(LogConfig config, long base, int batches) throws Exception {
        LogSegment segment = LogSegment.open(dir, base, config, 0);
        opened.add(segment);
        for (int i = 0; i < batches; i++) {
            ByteBuffer batch = KafkaRecordBatches.batch(RecordCodec.NONE, KafkaRecordBatches.ProducerInfo.NONE,
                    List.of(new KafkaRecordBatches.SimpleRecord(1000 + i, "k".getBytes(StandardCharsets.UTF_8),
                            ("value-" + i).getBytes(StandardCharsets.UTF_8))));
            RecordBatchHeader.setBaseOffset(batch, 0, base + i);
            segment.appendCleaned(batch);
        }
        return segment;
    }
}
