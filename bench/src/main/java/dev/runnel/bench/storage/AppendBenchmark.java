package dev.runnel.bench.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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

import dev.runnel.broker.storage.AppendInfo;
import dev.runnel.testing.TempLogDirs;

/**
 * Append throughput of one partition log against the raw sequential write bandwidth of a plain
 * {@link FileChannel} on the same disk, for the same batch bytes.
 *
 * <p>One op appends one batch ({@code batchBytes} at most, 100-byte records). Both sides keep the
 * log's durability: no fsync per write, files rolled at {@code segment.bytes}; the log also
 * fsyncs each rolled segment in the background, as in production. Every iteration starts from an
 * empty directory so that a run never holds more than one iteration's bytes on disk.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class AppendBenchmark {

    /** The producer batch, built once; appends rewrite its base offset and epoch in place. */
    @State(Scope.Benchmark)
    public static class Batch {

        @Param({"16384", "1048576"})
        public int batchBytes;

        Batches.Batch batch;

        @Setup(Level.Trial)
        public void build() {
            batch = Batches.build(batchBytes);
        }
    }

    /** A fresh partition log per iteration. */
    @State(Scope.Benchmark)
    public static class LogTarget {

        BenchLog log;

        @Setup(Level.Iteration)
        public void open() throws IOException {
            log = BenchLog.create();
        }

        @TearDown(Level.Iteration)
        public void close() throws IOException {
            log.close();
        }
    }

    /** A plain file written sequentially with positional writes, rolled at {@code segment.bytes} like the log. */
    @State(Scope.Benchmark)
    public static class RawTarget {

        Path dir;
        FileChannel channel;
        long position;
        int files;
        /** Whether a rolled file is fsynced in the background, as the log does with a rolled segment. */
        boolean fsyncOnRoll;
        ExecutorService flusher;

        @Setup(Level.Iteration)
        public void open() throws IOException {
            dir = TempLogDirs.create("runnel-bench-raw-");
            roll();
        }

        void roll() throws IOException {
            if (channel != null && fsyncOnRoll) {
                if (flusher == null) {
                    flusher = Executors.newSingleThreadExecutor();
                }
                FileChannel rolled = channel;
                flusher.execute(() -> {
                    try {
                        rolled.force(false);
                        rolled.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } else if (channel != null) {
                channel.close();
            }
            channel = FileChannel.open(dir.resolve(String.format("%08d.raw", files++)), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            position = 0;
        }

        @TearDown(Level.Iteration)
        public void close() throws IOException {
            if (flusher != null) {
                flusher.shutdown();
                try {
                    flusher.awaitTermination(1, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                flusher = null;
            }
            channel.close();
            channel = null;
            files = 0;
            TempLogDirs.deleteRecursively(dir);
        }
    }

    @Benchmark
    public long log(Batch batch, LogTarget target, Throughput counters) {
        AppendInfo info = target.log.log().appendAsLeader(batch.batch.buffer().duplicate(), 0);
        counters.add(info.sizeInBytes(), info.recordCount());
        return info.lastOffset();
    }

    /** {@link RawTarget} that fsyncs each rolled file in the background: the log's durability on roll. */
    @State(Scope.Benchmark)
    public static class SyncedRawTarget extends RawTarget {

        public SyncedRawTarget() {
            fsyncOnRoll = true;
        }
    }

    @Benchmark
    public long rawFileChannelFsyncOnRoll(Batch batch, SyncedRawTarget target, Throughput counters)
            throws IOException {
        return rawFileChannel(batch, target, counters);
    }

    @Benchmark
    public long rawFileChannel(Batch batch, RawTarget target, Throughput counters) throws IOException {
        ByteBuffer source = batch.batch.buffer().duplicate();
        int size = source.remaining();
        if (target.position > BenchLog.CONFIG.segmentBytes() - size) {
            target.roll();
        }
        long position = target.position;
        while (source.hasRemaining()) {
            position += target.channel.write(source, position);
        }
        target.position = position;
        counters.add(size, batch.batch.records());
        return position;
    }
}
