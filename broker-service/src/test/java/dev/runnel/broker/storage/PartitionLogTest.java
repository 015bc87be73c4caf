package dev.runnel.broker.storage;

import static dev.runnel.broker.storage.LogTestSupport.openFresh;
import static dev.runnel.broker.storage.LogTestSupport.readAll;
import static dev.runnel.broker.storage.LogTestSupport.reopenClean;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.record.RecordCodec;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

class PartitionLogTest {

    @TempDir
    Path dir;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final long now = scheduler.clock().millis();

    @Test
    void leaderAppendsAssignOffsetsFromTheLogEndAndStampTheEpoch() throws Exception {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS, scheduler)) {
            AppendInfo first = log.appendAsLeader(TestBatches.batch(3, now), 5);
            AppendInfo second = log.appendAsLeader(TestBatches.batch(2, now), 5);

            assertThat(first.firstOffset()).isZero();
            assertThat(first.lastOffset()).isEqualTo(2);
            assertThat(second.firstOffset()).isEqualTo(3);
            assertThat(log.logEndOffset()).isEqualTo(5);
            ByteBuffer bytes = log.read(0, 1 << 20, Long.MAX_VALUE, false).slice().readFully();
            assertThat(TestBatches.offsets(bytes)).containsExactly(0L, 1L, 2L, 3L, 4L);
            assertThat(TestBatches.values(bytes)).containsExactly("v0", "v1", "v2", "v0", "v1");
            assertThat(RecordBatchHeader.partitionLeaderEpoch(bytes, 0)).isEqualTo(5);
            assertThat(log.leaderEpochs().latest()).hasValueSatisfying(e -> assertThat(e.epoch()).isEqualTo(5));
        }
    }

    @Test
    void compressedBatchesAreStoredAsSent() throws Exception {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS, scheduler)) {
            for (RecordCodec codec : RecordCodec.values()) {
                log.appendAsLeader(TestBatches.batch(codec, 4, now, codec.name()), 0);
            }
            ByteBuffer bytes = readAll(log, 0);
            assertThat(TestBatches.values(bytes)).hasSize(4 * RecordCodec.values().length).contains("ZSTD3", "LZ42");
        }
    }

    @Test
    void readsStopAtTheUpperBound() throws Exception {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS, scheduler)) {
            log.appendAsLeader(TestBatches.batch(3, now), 0);
            log.appendAsLeader(TestBatches.batch(3, now), 0);

            PartitionLog.ReadResult upToThree = log.read(0, 1 << 20, 3, false);
            assertThat(TestBatches.offsets(upToThree.slice().readFully())).containsExactly(0L, 1L, 2L);
            assertThat(log.read(3, 1 << 20, 3, false).isEmpty()).isTrue();
            assertThat(log.read(6, 1 << 20, Long.MAX_VALUE, false).isEmpty()).isTrue();
            assertThatThrownBy(() -> log.read(7, 100, Long.MAX_VALUE, false))
                    .isInstanceOfSatisfying(LogException.class, e -> assertThat(e.error()).isEqualTo(LogError.OFFSET_OUT_OF_RANGE));
        }
    }

    @Test
    void aReadSliceIsSentToASocketWithTransferTo() throws Exception {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS, scheduler);
                ServerSocketChannel server = ServerSocketChannel.open()) {
            for (int i = 0; i < 50; i++) {
                log.appendAsLeader(TestBatches.batch(10, now), 0);
            }
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            FileSlice slice = log.read(100, 1 << 20, Long.MAX_VALUE, false).slice();

            try (SocketChannel client = SocketChannel.open(server.getLocalAddress());
                    SocketChannel accepted = server.accept()) {
                long sent = 0;
                while (sent < slice.size()) {
                    sent += slice.transferTo(client, sent, slice.size() - sent);
                }
                client.shutdownOutput();
                ByteBuffer received = ByteBuffer.allocate(slice.size() + 1);
                while (accepted.read(received) >= 0) {
                    assertThat(received.position()).isLessThanOrEqualTo(slice.size());
                }
                received.flip();
                assertThat(received).isEqualTo(slice.readFully());
                assertThat(TestBatches.offsets(received)).first().isEqualTo(100L);
                assertThat(TestBatches.offsets(received)).last().isEqualTo(499L);
            }
        }
    }

    @Test
    void aReadReturnsTheWholeFirstBatchWhenAskedForAtLeastOne() throws Exception {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS, scheduler)) {
            int batchSize = log.appendAsLeader(TestBatches.batch(10, now), 0).sizeInBytes();
            log.appendAsLeader(TestBatches.batch(10, now), 0);

            assertThat(log.read(0, 10, Long.MAX_VALUE, true).slice().size()).isEqualTo(batchSize);
            assertThat(log.read(0, 10, Long.MAX_VALUE, false).slice().size()).isEqualTo(10);
            assertThat(log.read(5, batchSize + 5, Long.MAX_VALUE, false).slice().position()).isZero();
        }
    }

    @Test
    void reopeningACleanlyClosedLogKeepsEveryRecord() throws Exception {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS.withSegmentBytes(300), scheduler)) {
            for (int i = 0; i < 20; i++) {
                log.appendAsLeader(TestBatches.batch(2, now), 1);
            }
            assertThat(log.numberOfSegments()).isGreaterThan(1);
        }
        try (PartitionLog log = reopenClean(dir, LogConfig.DEFAULTS.withSegmentBytes(300), scheduler)) {
            assertThat(log.logEndOffset()).isEqualTo(40);
            assertThat(TestBatches.offsets(readAll(log, 0))).hasSize(40).startsWith(0L, 1L).endsWith(39L);
            assertThat(log.appendAsLeader(TestBatches.batch(1, now), 1).firstOffset()).isEqualTo(40);
        }
    }
}
