package dev.runnel.broker.config;

import java.time.Duration;

import org.springframework.util.unit.DataSize;

/**
 * {@code runnel.broker.log-cleaner.*}: the log cleaner, which compacts topics with
 * {@code cleanup.policy=compact} (Kafka's {@code log.cleaner.*}).
 */
public class LogCleanerProperties {

    /** Whether compacted logs are cleaned at all ({@code log.cleaner.enable}). */
    private boolean enabled = true;

    /** Cleaner threads per log directory ({@code log.cleaner.threads}). */
    private int threads = 1;

    /** Memory for the cleaner threads' key-to-offset maps, shared by them ({@code log.cleaner.dedupe.buffer.size}). */
    private DataSize dedupeBufferSize = DataSize.ofMegabytes(128);

    /** How full a map may get before a round stops adding keys ({@code log.cleaner.io.buffer.load.factor}). */
    private double ioBufferLoadFactor = 0.9;

    /** Read and write buffers of the cleaner threads, shared by them ({@code log.cleaner.io.buffer.size}). */
    private DataSize ioBufferSize = DataSize.ofKilobytes(512);

    /** Bytes per second the cleaners may read and write together; unlimited if unset ({@code log.cleaner.io.max.bytes.per.second}). */
    private DataSize ioMaxBytesPerSecond;

    /** How long an idle cleaner thread waits before it looks for dirty logs again ({@code log.cleaner.backoff.ms}). */
    private Duration backoff = Duration.ofSeconds(15);

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public int getThreads() {
        return threads;
    }

    public void setThreads(int threads) {
        this.threads = threads;
    }

    public DataSize getDedupeBufferSize() {
        return dedupeBufferSize;
    }

    public void setDedupeBufferSize(DataSize dedupeBufferSize) {
        this.dedupeBufferSize = dedupeBufferSize;
    }

    public double getIoBufferLoadFactor() {
        return ioBufferLoadFactor;
    }

    public void setIoBufferLoadFactor(double ioBufferLoadFactor) {
        this.ioBufferLoadFactor = ioBufferLoadFactor;
    }

    public DataSize getIoBufferSize() {
        return ioBufferSize;
    }

    public void setIoBufferSize(DataSize ioBufferSize) {
        this.ioBufferSize = ioBufferSize;
    }

    public DataSize getIoMaxBytesPerSecond() {
        return ioMaxBytesPerSecond;
    }

    public void setIoMaxBytesPerSecond(DataSize ioMaxBytesPerSecond) {
        this.ioMaxBytesPerSecond = ioMaxBytesPerSecond;
    }

    public Duration getBackoff() {
        return backoff;
    }

    public void setBackoff(Duration backoff) {
        this.backoff = backoff;
    }
}
