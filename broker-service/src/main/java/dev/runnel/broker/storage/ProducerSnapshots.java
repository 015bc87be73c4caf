package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.NavigableMap;
import java.util.OptionalLong;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer snapshot files of one partition directory, by offset (the snapshot bookkeeping of
 * Kafka's {@code ProducerStateManager}): which exist, the newest that still reads, writing one,
 * and deleting those that retention, truncation or a corrupt read leave useless. Each file is a
 * {@link ProducerSnapshotFile}, which owns the byte layout and the atomic write.
 *
 * <p>Not thread-safe: part of the {@link ProducerStateManager}, guarded as it is.
 */
final class ProducerSnapshots {

    private static final Logger log = LoggerFactory.getLogger(ProducerSnapshots.class);

    /** The newest snapshot that read: its offset and its producers. */
    record Loaded(long offset, List<ProducerStateEntry> entries) {
    }

    private final Path dir;
    private final NavigableMap<Long, ProducerSnapshotFile> byOffset = new TreeMap<>();

    private ProducerSnapshots(Path dir) {
        this.dir = dir;
    }

    /** Lists the snapshots in {@code dir}, an existing directory, after deleting those a crash left half-written. */
    static ProducerSnapshots open(Path dir) throws IOException {
        ProducerSnapshotFile.deleteTempFiles(dir);
        ProducerSnapshots snapshots = new ProducerSnapshots(dir);
        for (ProducerSnapshotFile snapshot : ProducerSnapshotFile.listIn(dir)) {
            snapshots.byOffset.put(snapshot.offset(), snapshot);
        }
        return snapshots;
    }

    /** Deletes the snapshots outside [{@code from}, {@code to}]. */
    void deleteOutside(long from, long to) throws IOException {
        for (ProducerSnapshotFile snapshot : List.copyOf(byOffset.values())) {
            if (snapshot.offset() < from || snapshot.offset() > to) {
                delete(snapshot);
            }
        }
    }

    /**
     * Reads the newest snapshot; a corrupt or vanished one is deleted with a warning and the next
     * older one tried. Returns {@code null} once none is left.
     */
    Loaded readNewest() throws IOException {
        while (!byOffset.isEmpty()) {
            ProducerSnapshotFile newest = byOffset.lastEntry().getValue();
            try {
                return new Loaded(newest.offset(), newest.read());
            } catch (ProducerSnapshotFile.CorruptSnapshotException | NoSuchFileException e) {
                log.warn("Deleting producer snapshot {} and trying an older one: {}", newest, e.getMessage());
                delete(newest);
            }
        }
        return null;
    }

    /** Whether a snapshot at {@code offset} exists. */
    boolean contains(long offset) {
        return byOffset.containsKey(offset);
    }

    /** Writes {@code entries} as the snapshot at {@code offset}. Atomic: see {@link ProducerSnapshotFile}. */
    void write(long offset, List<ProducerStateEntry> entries) throws IOException {
        ProducerSnapshotFile snapshot = ProducerSnapshotFile.at(dir, offset);
        snapshot.write(entries);
        byOffset.put(offset, snapshot);
    }

    /** Deletes the snapshots below {@code offset}. */
    void deleteBelow(long offset) throws IOException {
        for (ProducerSnapshotFile snapshot : List.copyOf(byOffset.headMap(offset, false).values())) {
            delete(snapshot);
        }
    }

    /** Deletes every snapshot. */
    void deleteAll() throws IOException {
        for (ProducerSnapshotFile snapshot : List.copyOf(byOffset.values())) {
            delete(snapshot);
        }
    }

    /** The offset of the newest snapshot file, if any. */
    OptionalLong latestOffset() {
        return byOffset.isEmpty() ? OptionalLong.empty() : OptionalLong.of(byOffset.lastKey());
    }

    private void delete(ProducerSnapshotFile snapshot) throws IOException {
        snapshot.delete();
        byOffset.remove(snapshot.offset());
    }
}
