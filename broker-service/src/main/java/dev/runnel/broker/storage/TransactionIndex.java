package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The aborted transactions whose ABORT marker lies in one segment, in {@code <base>.txnindex}
 * (Kafka's {@code TransactionIndex}). A read_committed fetch looks them up to tell the consumer
 * which producers' batches in the range it reads to drop. Only aborts are indexed, in the segment
 * holding the marker, so an entry may name data several segments back.
 *
 * <pre>
 *  entry (34 bytes, big-endian):
 *     0  2  version (0)
 *     2  8  producerId
 *    10  8  firstOffset       the transaction's first offset on this partition
 *    18  8  lastOffset        the ABORT marker's offset; rising from entry to entry, at least the segment's base
 *    26  8  lastStableOffset  the partition's last stable offset once the abort completed
 * </pre>
 *
 * <p>The file is derived data: written when a marker is appended (by a leader or a follower),
 * never preallocated or mapped, created on the first entry (a missing file is an empty index),
 * flushed with its segment, and rebuilt by replaying the log when recovery cannot trust it. Every
 * entry is also kept in memory.
 *
 * <p>Thread-safety: changes (append, truncate, reset, rename, delete) come one at a time, under the
 * {@link PartitionLog} lock or before the log is shared; {@link #collect} may run concurrently and
 * sees the entries of the moment it started.
 */
final class TransactionIndex implements AutoCloseable {

    static final String SUFFIX = ".txnindex";
    static final int ENTRY_SIZE = 34;
    private static final short VERSION = 0;

    /** One aborted transaction, as stored. */
    record AbortedTxn(long producerId, long firstOffset, long lastOffset, long lastStableOffset) {
    }

    /** What {@link #collect} found, and whether the search may stop here ({@code complete}). */
    record SearchResult(List<AbortedTxn> aborted, boolean complete) {
    }

    /** The entries readers see: an array that is never written below {@code count} once published. */
    private record Entries(AbortedTxn[] array, int count) {
    }

    private final long baseOffset;
    private Path file;
    private FileChannel channel;
    private volatile Entries entries;
    /** Why the file as loaded cannot be trusted, or null. */
    private String corruption;

    private TransactionIndex(Path file, long baseOffset, Entries entries, String corruption) {
        this.file = file;
        this.baseOffset = baseOffset;
        this.entries = entries;
        this.corruption = corruption;
    }

    /**
     * Loads {@code file} if it exists. A file that is not whole 34-byte entries of version 0 with
     * rising last offsets at or above {@code baseOffset} is loaded up to its first bad entry and
     * fails {@link #sanityCheck}, so recovery rebuilds it.
     */
    static TransactionIndex open(Path file, long baseOffset) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new TransactionIndex(file, baseOffset, new Entries(new AbortedTxn[4], 0), null);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        List<AbortedTxn> loaded = new ArrayList<>(bytes.length / ENTRY_SIZE);
        String corruption = bytes.length % ENTRY_SIZE == 0 ? null
                : bytes.length + " bytes are not whole " + ENTRY_SIZE + "-byte entries";
        long previousLast = Long.MIN_VALUE;
        while (buffer.remaining() >= ENTRY_SIZE) {
            short version = buffer.getShort();
            AbortedTxn txn = new AbortedTxn(buffer.getLong(), buffer.getLong(), buffer.getLong(), buffer.getLong());
            String problem = version != VERSION ? "entry version " + version
                    : txn.lastOffset() < baseOffset ? "last offset " + txn.lastOffset() + " below the segment base"
                    : txn.lastOffset() <= previousLast ? "last offsets do not rise at " + txn.lastOffset()
                    : txn.firstOffset() > txn.lastOffset() ? "first offset past last in " + txn
                    : null;
            if (problem != null) {
                corruption = problem;
                break;
            }
            loaded.add(txn);
            previousLast = txn.lastOffset();
        }
        AbortedTxn[] array = loaded.toArray(new AbortedTxn[Math.max(4, loaded.size())]);
        return new TransactionIndex(file, baseOffset, new Entries(array, loaded.size()), corruption);
    }

    Path file() {
        return file;
    }

    /** Number of entries. */
    int entries() {
        return entries.count();
    }

    /**
     * Appends an aborted transaction; its last offset (the marker's) must be past every entry's and
     * at or above the segment's base.
     */
    void append(AbortedTxn txn) throws IOException {
        Entries current = entries;
        if (txn.lastOffset() < baseOffset
                || current.count() > 0 && txn.lastOffset() <= current.array()[current.count() - 1].lastOffset()) {
            throw new IllegalStateException("aborted transaction " + txn + " does not follow the index of segment "
                    + baseOffset + " (" + current.count() + " entries)");
        }
        ByteBuffer buffer = ByteBuffer.allocate(ENTRY_SIZE);
        buffer.putShort(VERSION).putLong(txn.producerId()).putLong(txn.firstOffset()).putLong(txn.lastOffset())
                .putLong(txn.lastStableOffset()).flip();
        FileChannel ch = channel();
        long position = (long) current.count() * ENTRY_SIZE;
        while (buffer.hasRemaining()) {
            position += ch.write(buffer, position);
        }
        AbortedTxn[] array = current.array();
        if (current.count() == array.length) {
            array = Arrays.copyOf(array, array.length * 2);
        }
        array[current.count()] = txn;
        entries = new Entries(array, current.count() + 1);
    }

    /**
     * The entries that may matter to a read of [{@code fetchOffset}, {@code upperBound}): those
     * whose marker is at or past the fetch offset and whose data starts below the bound. Complete
     * once an entry's last stable offset reaches the bound: no transaction open when that abort
     * completed started below the bound, so no later entry can concern the read.
     */
    SearchResult collect(long fetchOffset, long upperBound) {
        Entries current = entries;
        List<AbortedTxn> found = new ArrayList<>();
        for (int i = 0; i < current.count(); i++) {
            AbortedTxn txn = current.array()[i];
            if (txn.lastOffset() >= fetchOffset && txn.firstOffset() < upperBound) {
                found.add(txn);
            }
            if (txn.lastStableOffset() >= upperBound) {
                return new SearchResult(found, true);
            }
        }
        return new SearchResult(found, false);
    }

    /** Every entry, oldest first. */
    List<AbortedTxn> all() {
        Entries current = entries;
        return List.of(Arrays.copyOf(current.array(), current.count()));
    }

    /** Removes the entries whose marker is at or past {@code offset} (the segment is truncated there). */
    void truncateTo(long offset) throws IOException {
        Entries current = entries;
        int keep = current.count();
        while (keep > 0 && current.array()[keep - 1].lastOffset() >= offset) {
            keep--;
        }
        if (keep == current.count()) {
            return;
        }
        shrinkTo(current, keep);
    }

    /** Removes every entry (recovery rebuilds the index from the log). */
    void reset() throws IOException {
        shrinkTo(entries, 0);
        corruption = null;
    }

    private void shrinkTo(Entries current, int keep) throws IOException {
        // A new array, so a concurrent reader of the old entries never sees a later append in their slots.
        entries = new Entries(Arrays.copyOf(current.array(), Math.max(4, keep)), keep);
        if (channel != null) {
            channel.truncate((long) keep * ENTRY_SIZE);
        } else if (Files.exists(file)) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate((long) keep * ENTRY_SIZE);
            }
        }
    }

    /**
     * Throws {@link IllegalStateException} if the file was not whole, rising entries when opened,
     * or if an entry's marker lies at or past {@code nextOffset}, the segment's end.
     */
    void sanityCheck(long nextOffset) {
        if (corruption != null) {
            throw new IllegalStateException("transaction index " + file + " is corrupt: " + corruption);
        }
        Entries current = entries;
        if (current.count() > 0 && current.array()[current.count() - 1].lastOffset() >= nextOffset) {
            throw new IllegalStateException("transaction index " + file + " names marker offset "
                    + current.array()[current.count() - 1].lastOffset() + ", past the segment's end " + nextOffset);
        }
    }

    void flush() throws IOException {
        if (channel != null) {
            channel.force(true);
        }
    }

    /** Renames the file (if it exists) to {@code target}. */
    void renameTo(Path target) throws IOException {
        if (Files.exists(file)) {
            Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
        }
        file = target;
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    /** Closes and removes the file. */
    void delete() throws IOException {
        close();
        Files.deleteIfExists(file);
    }

    private FileChannel channel() throws IOException {
        if (channel == null) {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        }
        return channel;
    }
}
