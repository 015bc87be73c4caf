package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The sparse offset index of one segment ({@code <baseOffset>.index}): offset to file position.
 *
 * <pre>
 *  entry (8 bytes)
 *  +----------------------+----------------------+
 *  | relative offset  i32 | file position    i32 |
 *  +----------------------+----------------------+
 * </pre>
 *
 * An entry (o, p) says a batch with base offset {@code baseOffset + o} starts at byte p of the
 * {@code .log} file. Entries are written every {@code index.interval.bytes} of log, with offsets
 * and positions strictly increasing. Thread-safety as in {@link AbstractIndex}.
 */
final class OffsetIndex extends AbstractIndex {

    static final int ENTRY_SIZE = 8;

    /** A position in the log file and the base offset of the batch there. */
    record Position(long offset, int position) {
    }

    private OffsetIndex(Path file, long baseOffset, int maxIndexSize) {
        super(file, baseOffset, maxIndexSize, ENTRY_SIZE);
    }

    static OffsetIndex open(Path file, long baseOffset, int maxIndexSize) {
        return new OffsetIndex(file, baseOffset, maxIndexSize);
    }

    /** Adds an entry; {@code offset} and {@code position} must exceed the last entry's. */
    void append(long offset, int position) {
        long relative = offset - baseOffset;
        if (relative < 0 || relative > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("offset " + offset + " does not fit segment " + baseOffset);
        }
        int n = entries();
        if (n > 0) {
            Position last = entry(n - 1);
            if (offset <= last.offset() || position <= last.position()) {
                throw new IllegalArgumentException("index entry (" + offset + ", " + position
                        + ") does not follow " + last);
            }
        }
        appendEntry((mmap, at) -> mmap.putInt(at, (int) relative).putInt(at + 4, position));
    }

    /** The last entry at or below {@code offset}; (baseOffset, 0) if there is none. */
    Position lookup(long offset) {
        int slot = largestSlotAtMost(offset - baseOffset, OffsetIndex::relativeOffset);
        return slot < 0 ? new Position(baseOffset, 0) : entry(slot);
    }

    /**
     * The offset of the first entry whose position is at least {@code position}, or -1 if none is.
     * Positions rise with offsets, so the entries are searched by position.
     */
    long firstOffsetAtOrAfterPosition(long position) {
        if (position > Integer.MAX_VALUE) {
            return -1;
        }
        int slot = largestSlotAtMost(position - 1, (mmap, n) -> mmap.getInt(n * ENTRY_SIZE + 4)) + 1;
        return slot >= entries() ? -1 : entry(slot).offset();
    }

    /** The last entry, or (baseOffset, 0) if the index is empty. */
    Position lastEntry() {
        int n = entries();
        return n == 0 ? new Position(baseOffset, 0) : entry(n - 1);
    }

    Position entry(int slot) {
        return readSlot(slot, (mmap, n) -> new Position(baseOffset + relativeOffset(mmap, n), mmap.getInt(n * ENTRY_SIZE + 4)));
    }

    /** Entries of an index that {@link #sanityCheckAgainst} compares with the log file. */
    static final int ENTRIES_CHECKED_AGAINST_LOG = 64;

    /**
     * Checks that up to {@link #ENTRIES_CHECKED_AGAINST_LOG} entries (always the last, the rest
     * spread evenly) point at a batch header of {@code log} with their offset, so a position shifted
     * to another batch boundary is caught without reading every header of a large segment; throws
     * {@link IllegalStateException} if one does not. {@link #sanityCheck} checks the rest.
     */
    void sanityCheckAgainst(LogFile log) throws IOException {
        int n = entries();
        int step = Math.max(1, n / ENTRIES_CHECKED_AGAINST_LOG);
        ByteBuffer header = ByteBuffer.allocate(RecordBatchHeader.HEADER_SIZE);
        for (int slot = n - 1; slot >= 0; slot -= step) {
            Position entry = entry(slot);
            header.clear();
            log.readHeaderPartially(header, entry.position());
            if (header.limit() < RecordBatchHeader.HEADER_SIZE
                    || RecordBatchHeader.magic(header, 0) != RecordBatchHeader.MAGIC_V2
                    || RecordBatchHeader.baseOffset(header, 0) != entry.offset()) {
                throw new IllegalStateException("offset index entry " + slot + " " + entry + " of " + log.file()
                        + " does not point at the batch with that offset");
            }
        }
    }

    /** Drops every entry at or above {@code offset}. */
    void truncateTo(long offset) {
        truncateToKey(offset - baseOffset, OffsetIndex::relativeOffset);
    }

    @Override
    protected void checkEntry(ByteBuffer buffer, int n, long logFileSize) {
        int relative = relativeOffset(buffer, n);
        int position = buffer.getInt(n * ENTRY_SIZE + 4);
        if (relative < 0 || position < 0 || position >= logFileSize) {
            throw new IllegalStateException("offset index entry " + n + " (" + relative + ", " + position
                    + ") lies outside a log of " + logFileSize + " bytes");
        }
        if (n > 0 && (relative <= relativeOffset(buffer, n - 1) || position <= buffer.getInt((n - 1) * ENTRY_SIZE + 4))) {
            throw new IllegalStateException("offset index entry " + n + " does not follow entry " + (n - 1));
        }
    }

    private static int relativeOffset(ByteBuffer mmap, int slot) {
        return mmap.getInt(slot * ENTRY_SIZE);
    }
}
