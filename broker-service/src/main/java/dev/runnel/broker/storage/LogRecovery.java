package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a partition directory into segments, recovering what a crash left behind. Each pass is
 * numbered in {@link #load}; {@link LogLoader} runs all of them as its first pass, before it
 * restores the state kept beside the segments. Not thread-safe: it runs before the log is shared.
 *
 * <p>Why the recovery point: everything below it was fsynced, so only segments from the one
 * holding it onward can hold a torn write. A clean-shutdown marker means every segment was
 * flushed and closed, so no segment is scanned (indexes are still sanity-checked, cheaply).
 */
final class LogRecovery {

    private static final Logger log = LoggerFactory.getLogger(LogRecovery.class);

    static final String DELETED_SUFFIX = ".deleted";
    static final String TMP_SUFFIX = ".tmp";
    /** The cleaner's output while it is written: never trusted, always removed by recovery. */
    static final String CLEANED_SUFFIX = ".cleaned";
    /** The cleaner's output once complete and fsynced: recovery finishes its swap. */
    static final String SWAP_SUFFIX = ".swap";

    /** What the log manager knows about a partition before opening it. */
    record LoadParams(boolean hadCleanShutdown, long recoveryPoint, long logStartOffset) {
        static final LoadParams FRESH = new LoadParams(true, 0, 0);
    }

    /**
     * The loaded state: segments by base offset and the offsets derived from them, and the base of
     * the first segment whose transaction index must be rebuilt by a replay ({@link Long#MAX_VALUE}:
     * none), because it was recovered or swapped in.
     */
    record Loaded(NavigableMap<Long, LogSegment> segments, long logStartOffset, long logEndOffset,
            long recoveryPoint, long truncatedBytes, long txnIndexRebuildFrom) {
    }

    private LogRecovery() {
    }

    static Loaded load(Path dir, LogConfig config, LoadParams params, long nowMs) throws IOException {
        // Pass 1: finish or undo a cleaner's swap (see LocalLog.replaceSegments), then clear
        // leftovers of interrupted work. Files renamed ".deleted" were on their way out (a swap's
        // sources among them, whose replacement is in place by then); ".tmp" files are half-written
        // checkpoints whose old version is still in place.
        long rebuildFrom = completeSwaps(dir);
        removeLeftovers(dir);

        // Pass 2: open every segment that has a .log file, and drop index files with no log.
        NavigableMap<Long, LogSegment> segments = new TreeMap<>();
        Set<Long> needsRebuild = new HashSet<>();
        for (Path file : list(dir)) {
            String name = file.getFileName().toString();
            Long base = baseOffsetOf(name, LogSegment.LOG_SUFFIX);
            if (base != null) {
                boolean indexesExisted = Files.exists(dir.resolve(LogSegment.fileName(base, LogSegment.INDEX_SUFFIX)))
                        && Files.exists(dir.resolve(LogSegment.fileName(base, LogSegment.TIME_INDEX_SUFFIX)));
                segments.put(base, LogSegment.open(dir, base, config, nowMs));
                if (!indexesExisted) {
                    needsRebuild.add(base);
                }
            } else if (isOrphanIndex(dir, name)) {
                Files.delete(file);
            }
        }

        // Pass 3: rebuild indexes that are missing or fail their sanity check. Rebuilding scans
        // and checks the segment's batches too, so a bad batch found here also cuts the log.
        long truncated = 0;
        Set<Long> recovered = new HashSet<>();
        for (LogSegment segment : new ArrayList<>(segments.values())) {
            boolean rebuild = needsRebuild.contains(segment.baseOffset());
            if (!rebuild) {
                try {
                    segment.sanityCheckIndexes();
                } catch (IllegalStateException | LogException e) {
                    log.warn("Rebuilding indexes of {} in {}: {}", segment, dir, e.getMessage());
                    rebuild = true;
                }
            }
            if (rebuild && segments.containsKey(segment.baseOffset())) {
                truncated += recoverSegment(segments, segment, dir);
                recovered.add(segment.baseOffset());
                rebuildFrom = Math.min(rebuildFrom, segment.baseOffset());
            }
        }

        // Pass 4: after a crash, check every batch from the segment holding the recovery point
        // on. The first bad batch ends the log: it and everything after it go, including whole
        // later segments, since a write after a torn one cannot be trusted to be in order.
        if (!params.hadCleanShutdown()) {
            Map.Entry<Long, LogSegment> from = segments.floorEntry(params.recoveryPoint());
            long start = from == null ? Long.MIN_VALUE : from.getKey();
            for (LogSegment segment : new ArrayList<>(segments.tailMap(start, true).values())) {
                if (segments.containsKey(segment.baseOffset()) && !recovered.contains(segment.baseOffset())) {
                    truncated += recoverSegment(segments, segment, dir);
                    rebuildFrom = Math.min(rebuildFrom, segment.baseOffset());
                }
            }
        }

        // Pass 5: make sure there is an active segment and find the log end offset.
        if (segments.isEmpty()) {
            long base = Math.max(0, params.logStartOffset());
            segments.put(base, LogSegment.open(dir, base, config, nowMs));
        }
        LogSegment active = segments.lastEntry().getValue();
        long logEndOffset;
        try {
            logEndOffset = active.readNextOffset();
        } catch (LogException e) {
            // A header the index led to is unreadable: check the active segment batch by batch.
            log.warn("Recovering the active segment {} of {}: {}", active, dir, e.getMessage());
            truncated += recoverSegment(segments, active, dir);
            rebuildFrom = Math.min(rebuildFrom, active.baseOffset());
            logEndOffset = active.readNextOffset();
        }

        // Pass 6: only the active segment's indexes keep room for appends. A segment recovered above
        // had its indexes reset to their full preallocated size, and an index file found empty was
        // opened at that size too; left so, a crash would leave them on disk padded with zeros, which
        // the next load reads as entries, finds out of order and rebuilds, segment after segment.
        for (LogSegment segment : segments.headMap(active.baseOffset(), false).values()) {
            segment.onBecomeInactive();
        }
        active.onBecomeActive();

        // Pass 7: the log start offset is the checkpointed one (DeleteRecords may have moved it
        // inside the first segment), never below the first segment nor above the end.
        long logStartOffset = Math.min(Math.max(params.logStartOffset(), segments.firstKey()), logEndOffset);

        // Pass 8: what was just checked is made durable, so the next crash need not check it again.
        if (!params.hadCleanShutdown()) {
            Long from = segments.floorKey(params.recoveryPoint());
            for (LogSegment segment : segments.tailMap(from == null ? segments.firstKey() : from, true).values()) {
                segment.flush();
            }
        }
        long recoveryPoint = logEndOffset;
        if (truncated > 0) {
            log.warn("Recovered {}: cut {} bytes of torn or corrupt data; log end offset is {}", dir, truncated,
                    logEndOffset);
        }
        return new Loaded(segments, logStartOffset, logEndOffset, recoveryPoint, truncated, rebuildFrom);
    }

    /** Recovers one segment; if it lost bytes, deletes every later segment. Returns bytes cut. */
    private static long recoverSegment(NavigableMap<Long, LogSegment> segments, LogSegment segment, Path dir)
            throws IOException {
        int cut = segment.recover();
        long total = cut;
        if (cut > 0) {
            log.warn("Segment {} of {} had {} bytes of torn or corrupt data after offset {}", segment, dir, cut,
                    segment.readNextOffset());
            for (LogSegment later : new ArrayList<>(segments.tailMap(segment.baseOffset(), false).values())) {
                total += later.size();
                segments.remove(later.baseOffset());
                later.delete();
            }
        }
        return total;
    }

    /**
     * A {@code .cleaned} file is a cleaning cut short: its sources are intact, so it goes. A
     * {@code <base>.log.swap} is a complete, fsynced cleaned segment whose swap had begun: the
     * segment files its offsets replace (any final-named segment whose base lies in
     * [base, its next offset)) go and it takes the final name. Its index files go too, whatever
     * their suffix, and are rebuilt from the log: a crash may have caught them mid-rename.
     *
     * @return the lowest base offset of a completed swap ({@link Long#MAX_VALUE}: none), from
     *         which the transaction indexes must be rebuilt
     */
    private static long completeSwaps(Path dir) throws IOException {
        List<Long> swaps = new ArrayList<>();
        for (Path file : list(dir)) {
            String name = file.getFileName().toString();
            if (name.endsWith(CLEANED_SUFFIX)) {
                Files.delete(file);
            } else if (name.endsWith(SWAP_SUFFIX)) {
                Long base = baseOffsetOf(name, LogSegment.LOG_SUFFIX + SWAP_SUFFIX);
                if (base == null) {
                    Files.delete(file);
                } else {
                    swaps.add(base);
                }
            }
        }
        for (long base : swaps) {
            Path swap = dir.resolve(LogSegment.fileName(base, LogSegment.LOG_SUFFIX) + SWAP_SUFFIX);
            long end = Math.max(nextOffsetOf(swap, base), base + 1);
            for (Path file : list(dir)) {
                String name = file.getFileName().toString();
                for (String suffix : SEGMENT_SUFFIXES) {
                    Long replaced = baseOffsetOf(name, suffix);
                    if (replaced != null && replaced >= base && replaced < end) {
                        Files.delete(file);
                    }
                }
            }
            Files.move(swap, dir.resolve(LogSegment.fileName(base, LogSegment.LOG_SUFFIX)), StandardCopyOption.REPLACE_EXISTING);
            log.info("Completed the cleaner's swap of segment {} in {} (offsets {} to {})", base, dir, base, end - 1);
        }
        if (!swaps.isEmpty()) {
            CheckpointFile.fsyncDirectory(dir);
        }
        return swaps.stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
    }

    private static final String[] SEGMENT_SUFFIXES = {LogSegment.LOG_SUFFIX, LogSegment.INDEX_SUFFIX,
            LogSegment.TIME_INDEX_SUFFIX, TransactionIndex.SUFFIX};

    /** The offset after the last whole, CRC-valid batch of the log file {@code file}, or {@code base} if it has none. */
    private static long nextOffsetOf(Path file, long base) throws IOException {
        LogFile logFile = LogFile.open(file);
        try {
            LogFile.BatchPosition last = logFile.scanChecked(0, logFile.sizeOnDisk(), b -> true);
            return last == null ? base : last.lastOffset() + 1;
        } finally {
            logFile.close(Integer.MAX_VALUE);
        }
    }

    private static void removeLeftovers(Path dir) throws IOException {
        for (Path file : list(dir)) {
            String name = file.getFileName().toString();
            if (name.endsWith(DELETED_SUFFIX) || name.endsWith(TMP_SUFFIX)) {
                Files.deleteIfExists(file);
            }
        }
    }

    private static boolean isOrphanIndex(Path dir, String name) {
        for (String suffix : new String[] {LogSegment.INDEX_SUFFIX, LogSegment.TIME_INDEX_SUFFIX,
                TransactionIndex.SUFFIX}) {
            Long base = baseOffsetOf(name, suffix);
            if (base != null) {
                return !Files.exists(dir.resolve(LogSegment.fileName(base, LogSegment.LOG_SUFFIX)));
            }
        }
        return false;
    }

    /** The base offset named by a segment file {@code <20 digits><suffix>}, or null. */
    static Long baseOffsetOf(String fileName, String suffix) {
        if (!fileName.endsWith(suffix) || fileName.length() != 20 + suffix.length()) {
            return null;
        }
        String digits = fileName.substring(0, 20);
        for (int i = 0; i < digits.length(); i++) {
            if (!Character.isDigit(digits.charAt(i))) {
                return null;
            }
        }
        return Long.parseLong(digits);
    }

    private static List<Path> list(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path p : stream) {
                if (Files.isRegularFile(p)) {
                    files.add(p);
                }
            }
        }
        files.sort(null);
        return files;
    }
}
