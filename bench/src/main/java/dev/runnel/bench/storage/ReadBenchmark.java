package dev.runnel.bench.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.runnel.broker.storage.FileSlice;
import dev.runnel.broker.storage.PartitionLog;

/**
 * Sequential reads of a prefilled partition log, as a consumer fetching 1 MiB at a time from
 * offset 0 to the end (then from 0 again). The log was just written, so it is read from the page
 * cache, as a consumer keeping up with producers would read it.
 *
 * <p>One op is one {@link PartitionLog#read} of up to {@value #FETCH_BYTES} bytes; the whole
 * batches of the slice are then delivered, and the next read starts after them (a slice may end
 * inside a batch, which a consumer fetches again).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ReadBenchmark {

    /** {@code fetch.max.bytes} of one read. */
    public static final int FETCH_BYTES = 1024 * 1024;

    /** The log, filled once with 16 KiB batches (all alike, so offsets follow from byte counts). */
    @State(Scope.Benchmark)
    public static class FilledLog {

        /** How much to prefill; at most one segment ({@code segment.bytes} = 1 GiB). */
        @Param({"1024"})
        public int logMiB;

        BenchLog benchLog;
        PartitionLog log;
        int batchSize;
        int recordsPerBatch;
        long nextOffset;

        @Setup(Level.Trial)
        public void fill() throws IOException {
            Batches.Batch batch = Batches.build(16 * 1024);
            batchSize = batch.sizeInBytes();
            recordsPerBatch = batch.records();
            long target = Math.min((long) logMiB * 1024 * 1024, BenchLog.CONFIG.segmentBytes());
            benchLog = BenchLog.create();
            log = benchLog.log();
            while (log.sizeInBytes() + batchSize <= target) {
                log.appendAsLeader(batch.buffer().duplicate(), 0);
            }
            log.updateHighWatermark(log.logEndOffset());
        }

        /** The next slice, wrapping to offset 0 at the end of the log. */
        FileSlice next() {
            PartitionLog.ReadResult result = log.read(nextOffset, FETCH_BYTES, log.highWatermark(), true);
            if (result.isEmpty()) {
                nextOffset = log.logStartOffset();
                result = log.read(nextOffset, FETCH_BYTES, log.highWatermark(), true);
            }
            return result.slice();
        }

        /** Bytes of the whole batches at the start of {@code slice}; moves the read position past them. */
        int consume(FileSlice slice, Throughput counters) {
            int batches = slice.size() / batchSize;
            nextOffset = slice.firstOffset() + (long) batches * recordsPerBatch;
            int bytes = batches * batchSize;
            counters.add(bytes, (long) batches * recordsPerBatch);
            return bytes;
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            benchLog.close();
        }
    }

    /** Where the bytes go: {@code /dev/null} through sendfile, or a reusable direct buffer. */
    @State(Scope.Thread)
    public static class Sinks {

        FileChannel devNull;
        ByteBuffer direct;

        @Setup(Level.Trial)
        public void open() throws IOException {
            devNull = FileChannel.open(Path.of("/dev/null"), StandardOpenOption.WRITE);
            direct = ByteBuffer.allocateDirect(FETCH_BYTES + 64 * 1024);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            devNull.close();
        }
    }

    /** The broker's zero-copy path: {@link FileSlice#transferTo} (sendfile) into {@code /dev/null}. */
    @Benchmark
    public long transferToDevNull(FilledLog state, Sinks sinks, Throughput counters) throws IOException {
        FileSlice slice = state.next();
        int bytes = state.consume(slice, counters);
        long sent = 0;
        while (sent < bytes) {
            sent += slice.transferTo(sinks.devNull, sent, bytes - sent);
        }
        return sent;
    }

    /** A copying read: the slice's bytes read into a reusable direct buffer. */
    @Benchmark
    public int copyToDirectBuffer(FilledLog state, Sinks sinks, Throughput counters) throws IOException {
        FileSlice slice = state.next();
        int bytes = state.consume(slice, counters);
        ByteBuffer buffer = sinks.direct.clear().limit(bytes);
        while (buffer.hasRemaining()) {
            if (slice.channel().read(buffer, slice.position() + buffer.position()) < 0) {
                throw new IOException("log file ended inside a slice");
            }
        }
        return buffer.get(bytes - 1);
    }
}
