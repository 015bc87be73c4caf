package dev.runnel.broker.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The sparse time index of one segment ({@code <baseOffset>.timeindex}): timestamp to offset.
 *
 * <pre>
 *  entry (12 bytes)
 *  +-----------------------------+----------------------+
 *  | timestamp               i64 | relative offset  i32 |
 *  +-----------------------------+----------------------+
 * </pre>
 *
 * An entry (t, o) says t is the largest timestamp in the segment up to offset {@code baseOffset + o},
 * so every record before it has a timestamp of at most t. Entries are written with the offset
 * index, only when the largest timestamp so far has grown: timestamps and offsets strictly
 * increase. Thread-safety as in {@link AbstractIndex}.
 */
final class TimeIndex extends AbstractIndex {

    static final int ENTRY_SIZE = 12;

    /** A timestamp and an offset; offset -1 when nothing matched. */
    record Entry(long timestamp, long offset) {
    }

    private TimeIndex(Path file, long baseOffset, int maxIndexSize) {
        super(file, baseOffset, maxIndexSize, ENTRY_SIZE);
    }

    static TimeIndex open(Path file, long baseOffset, int maxIndexSize) {
        return new TimeIndex(file, baseOffset, maxIndexSize);
    }

    /** Adds (timestamp, offset) if {@code timestamp} is larger than the last entry's; otherwise does nothing. */
    void maybeAppend(long timestamp, long offset) {
        int n = entries();
        if (n > 0) {
            Entry last = entry(n - 1);
            if (timestamp <= last.timestamp() || offset <= last.offset()) {
                return;
            }
        }
        long relative = offset - baseOffset;
        if (relative < 0 || relative > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("offset " + offset + " does not fit segment " + baseOffset);
        }
        appendEntry((mmap, at) -> mmap.putLong(at, timestamp).putInt(at + 8, (int) relative));
    }

    /** The last entry whose timestamp is at most {@code timestamp}; (-1, baseOffset) if none. */
    Entry lookup(long timestamp) {
        int slot = largestSlotAtMost(timestamp, TimeIndex::timestampAt);
        return slot < 0 ? new Entry(-1, baseOffset) : entry(slot);
    }

    /** The last entry, or (-1, baseOffset) if the index is empty. */
    Entry lastEntry() {
        int n = entries();
        return n == 0 ? new Entry(-1, baseOffset) : entry(n - 1);
    }

    Entry entry(int slot) {
        return readSlot(slot, (mmap, n) -> new Entry(timestampAt(mmap, n), baseOffset + mmap.getInt(n * ENTRY_SIZE + 8)));
    }

    /** Drops every entry for offsets at or above {@code offset}. */
    void truncateTo(long offset) {
        truncateToKey(offset - baseOffset, TimeIndex::relativeOffsetAt);
    }

    @Override
    protected void checkEntry(ByteBuffer buffer, int n, long logFileSize) {
        int relative = buffer.getInt(n * ENTRY_SIZE + 8);
        if (relative < 0) {
            throw new IllegalStateException("time index entry " + n + " has negative offset " + relative);
        }
        if (n > 0 && (timestampAt(buffer, n) <= timestampAt(buffer, n - 1)
                || relative <= buffer.getInt((n - 1) * ENTRY_SIZE + 8))) {
            throw new IllegalStateException("time index entry " + n + " does not follow entry " + (n - 1));
        }
    }

    private static long relativeOffsetAt(ByteBuffer mmap, int slot) {
        return mmap.getInt(slot * ENTRY_SIZE + 8);
    }

    private static long timestampAt(ByteBuffer mmap, int slot) {
        return mmap.getLong(slot * ENTRY_SIZE);
    }
}
