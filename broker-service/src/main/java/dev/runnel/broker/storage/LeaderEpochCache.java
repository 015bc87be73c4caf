package dev.runnel.broker.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which leader epoch wrote which offsets: (epoch, start offset) pairs, both strictly increasing,
 * checkpointed to {@code leader-epoch-checkpoint} in the partition directory on every change.
 * A follower uses it (through OffsetForLeaderEpoch) to find where its log diverges from a new
 * leader's. Thread-safe.
 */
public final class LeaderEpochCache {

    static final String FILE_NAME = "leader-epoch-checkpoint";

    /** One epoch and the first offset it wrote. */
    public record EpochEntry(int epoch, long startOffset) {
    }

    private static final CheckpointFile.Format<EpochEntry> FORMAT = new CheckpointFile.Format<>() {
        @Override
        public String toLine(EpochEntry entry) {
            return entry.epoch() + " " + entry.startOffset();
        }

        @Override
        public EpochEntry fromLine(String line) {
            String[] parts = line.trim().split(" ");
            if (parts.length != 2) {
                throw new IllegalArgumentException("malformed line '" + line + "'");
            }
            return new EpochEntry(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
        }
    };

    private static final Logger log = LoggerFactory.getLogger(LeaderEpochCache.class);

    private final CheckpointFile<EpochEntry> checkpoint;
    private final List<EpochEntry> entries = new ArrayList<>();
    /** The checkpoint could not be read when opened: the log rebuilds the epochs from its batches. */
    private boolean corrupt;

    private LeaderEpochCache(CheckpointFile<EpochEntry> checkpoint) {
        this.checkpoint = checkpoint;
    }

    /**
     * Loads the cache of the partition in {@code dir}. A corrupt file is reported, kept aside as
     * {@code leader-epoch-checkpoint.corrupt} for inspection, and {@link #wasCorrupt()} tells the
     * log to rebuild the epochs from its batches; it is never silently taken as empty.
     */
    static LeaderEpochCache open(Path dir) throws IOException {
        LeaderEpochCache cache = new LeaderEpochCache(new CheckpointFile<>(dir.resolve(FILE_NAME), FORMAT));
        try {
            for (EpochEntry e : cache.checkpoint.read()) {
                cache.appendIfIncreasing(e);
            }
        } catch (CheckpointFile.CorruptCheckpointException e) {
            Path aside = dir.resolve(FILE_NAME + ".corrupt");
            log.error("The leader epoch checkpoint {} is corrupt ({}); keeping it as {} and rebuilding the epochs from"
                    + " the log's batches", cache.checkpoint.file(), e.getMessage(), aside.getFileName());
            Files.move(cache.checkpoint.file(), aside, StandardCopyOption.REPLACE_EXISTING);
            cache.entries.clear();
            cache.corrupt = true;
        }
        return cache;
    }

    /** Whether the checkpoint was corrupt when opened (the log then rebuilds the epochs). */
    synchronized boolean wasCorrupt() {
        return corrupt;
    }

    /** Records that {@code epoch} starts writing at {@code startOffset}; ignores epochs not newer than the latest. */
    public synchronized void assign(int epoch, long startOffset) {
        if (epoch < 0) {
            return;
        }
        EpochEntry latest = entries.isEmpty() ? null : entries.get(entries.size() - 1);
        if (latest != null && epoch <= latest.epoch()) {
            return;
        }
        entries.removeIf(e -> e.startOffset() >= startOffset);
        entries.add(new EpochEntry(epoch, startOffset));
        persist();
    }

    /** Assigns, batch by batch, the epochs a leader's batches carry (a follower's append). */
    void assignFromBatches(ByteBuffer records) {
        for (int at = records.position(); at < records.limit(); at += RecordBatchHeader.sizeInBytes(records, at)) {
            assign(RecordBatchHeader.partitionLeaderEpoch(records, at), RecordBatchHeader.baseOffset(records, at));
        }
    }

    public synchronized Optional<EpochEntry> latest() {
        return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(entries.size() - 1));
    }

    public synchronized List<EpochEntry> entries() {
        return List.copyOf(entries);
    }

    /** The epoch the batch holding {@code offset} was written in: the last entry starting at or before it. */
    public synchronized OptionalInt epochOf(long offset) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            if (entries.get(i).startOffset() <= offset) {
                return OptionalInt.of(entries.get(i).epoch());
            }
        }
        return OptionalInt.empty();
    }

    /**
     * The largest epoch at most {@code epoch} and the offset where it ended: the next epoch's
     * start, or {@code logEndOffset} for the latest. Empty if {@code epoch} is older than every
     * entry (the caller answers UNDEFINED_EPOCH_OFFSET).
     */
    public synchronized Optional<EpochEntry> endOffsetFor(int epoch, long logEndOffset) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            EpochEntry e = entries.get(i);
            if (e.epoch() <= epoch) {
                long end = i == entries.size() - 1 ? logEndOffset : entries.get(i + 1).startOffset();
                return Optional.of(new EpochEntry(e.epoch(), end));
            }
        }
        return Optional.empty();
    }

    /** Forgets every epoch (the log was emptied and restarted). */
    public synchronized void clear() {
        if (!entries.isEmpty()) {
            entries.clear();
            persist();
        }
    }

    /** Drops epochs that start at or after {@code endOffset} (the log was truncated there). */
    public synchronized void truncateFromEnd(long endOffset) {
        if (entries.removeIf(e -> e.startOffset() >= endOffset)) {
            persist();
        }
    }

    /** Drops epochs wholly below {@code startOffset} and moves the first remaining one's start up to it. */
    public synchronized void truncateFromStart(long startOffset) {
        boolean changed = false;
        while (entries.size() > 1 && entries.get(1).startOffset() <= startOffset) {
            entries.remove(0);
            changed = true;
        }
        if (!entries.isEmpty() && entries.get(0).startOffset() < startOffset) {
            entries.set(0, new EpochEntry(entries.get(0).epoch(), startOffset));
            changed = true;
        }
        if (changed) {
            persist();
        }
    }

    private void appendIfIncreasing(EpochEntry e) {
        EpochEntry latest = entries.isEmpty() ? null : entries.get(entries.size() - 1);
        if (latest == null || (e.epoch() > latest.epoch() && e.startOffset() >= latest.startOffset())) {
            entries.add(e);
        }
    }

    private void persist() {
        try {
            checkpoint.write(List.copyOf(entries));
        } catch (IOException e) {
            throw new LogException(LogError.STORAGE_ERROR, "cannot write " + checkpoint.file(), e);
        }
    }
}
