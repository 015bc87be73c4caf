package dev.runnel.broker.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

import dev.runnel.common.time.Scheduler;

/**
 * The segments of one partition log by base offset; the last is the active one. Removal is
 * delayed: a removed segment's files are renamed {@code .deleted} and closed and removed after
 * {@code file.delete.delay.ms}, so a read that already took a slice of it can still send it.
 *
 * <p>Thread-safe for readers (a concurrent skip list); changes are made by {@link LocalLog} and
 * {@link LogRetention} under the {@link PartitionLog} lock, which serialises them.
 */
final class LogSegments {

    private final ConcurrentNavigableMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
    private final String owner;
    private final Scheduler scheduler;

    LogSegments(String owner, Scheduler scheduler) {
        this.owner = owner;
        this.scheduler = scheduler;
    }

    void add(LogSegment segment) {
        segments.put(segment.baseOffset(), segment);
    }

    LogSegment active() {
        return segments.lastEntry().getValue();
    }

    LogSegment oldest() {
        return segments.firstEntry().getValue();
    }

    /** The segment that may hold {@code offset}: the last one whose base is at most it, or null. */
    LogSegment floor(long offset) {
        Map.Entry<Long, LogSegment> entry = segments.floorEntry(offset);
        return entry == null ? null : entry.getValue();
    }

    /** The segment after {@code segment}, or null. */
    LogSegment next(LogSegment segment) {
        Map.Entry<Long, LogSegment> entry = segments.higherEntry(segment.baseOffset());
        return entry == null ? null : entry.getValue();
    }

    Collection<LogSegment> all() {
        return segments.values();
    }

    /** Segments from the one holding {@code fromOffset} up to, not including, the one based at or after {@code toOffset}. */
    Collection<LogSegment> holding(long fromOffset, long toOffset) {
        Long from = segments.floorKey(fromOffset);
        long start = from == null ? Long.MIN_VALUE : from;
        return start >= toOffset ? List.of() : segments.subMap(start, true, toOffset, false).values();
    }

    /** Segments whose base offset is above {@code offset}, newest first. */
    List<LogSegment> after(long offset) {
        return new ArrayList<>(segments.tailMap(offset, false).descendingMap().values());
    }

    /** Every segment, newest first. */
    List<LogSegment> newestFirst() {
        return new ArrayList<>(segments.descendingMap().values());
    }

    int count() {
        return segments.size();
    }

    List<Long> baseOffsets() {
        return new ArrayList<>(segments.keySet());
    }

    long sizeInBytes() {
        long total = 0;
        for (LogSegment segment : segments.values()) {
            total += segment.size();
        }
        return total;
    }

    /**
     * Puts {@code replacement} in the map, then takes out each of {@code sources} (the one sharing
     * its base offset was replaced by the put) and deletes their files after {@code delay}.
     */
    void replace(List<LogSegment> sources, LogSegment replacement, Duration delay) throws IOException {
        // The map first, all of it (nothing here can fail), then the renames, which can.
        segments.put(replacement.baseOffset(), replacement);
        for (LogSegment source : sources) {
            if (source.baseOffset() != replacement.baseOffset()) {
                segments.remove(source.baseOffset(), source);
            }
        }
        for (LogSegment source : sources) {
            retire(source, delay);
        }
    }

    /** Takes {@code segment} out now and deletes its files after {@code delay}. */
    void remove(LogSegment segment, Duration delay) throws IOException {
        segments.remove(segment.baseOffset(), segment);
        retire(segment, delay);
    }

    private void retire(LogSegment segment, Duration delay) throws IOException {
        segment.addSuffix(LogRecovery.DELETED_SUFFIX);
        scheduler.schedule("delete-segment-" + owner, () -> {
            try {
                segment.delete();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, delay);
    }

    /** Removes an empty segment's files at once (nothing can be reading an empty segment). */
    void removeEmpty(LogSegment segment) throws IOException {
        segments.remove(segment.baseOffset());
        segment.delete();
    }

    /** Deletes every segment's files now and forgets them (the whole log is going). */
    void deleteAll() throws IOException {
        for (LogSegment segment : segments.values()) {
            segment.delete();
        }
        segments.clear();
    }
}
