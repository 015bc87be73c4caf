package dev.runnel.broker.storage;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The cleaner's map from record key to the latest offset holding it, in fixed memory (Kafka's
 * {@code SkimpyOffsetMap}): a key is stored only as a 128-bit digest, so an entry is 24 bytes
 * whatever the key's size, and two keys with one digest count as one key. Kafka digests with MD5;
 * this map uses MurmurHash3 (x64, 128 bits, seed 0; {@link Murmur3}), which spreads keys as
 * evenly for this use (a chance of about 2^-128 per pair of keys) at a fraction of the cost: the
 * digest of every record, computed twice a round, is most of a cleaning's CPU. Neither is a
 * defence against a producer that crafts colliding keys (MD5 collisions are cheap to make too);
 * such a producer could only make the cleaner drop its own older record of the other key. Open
 * addressing with linear probing over three parallel arrays; no removal. A round fills it until
 * {@link #isFull()}, then cleans up to {@link #latestOffset()} and clears it.
 *
 * <pre>
 *  slot i:  digestHigh[i]  digestLow[i]  offsetPlusOne[i]      (offsetPlusOne 0 = empty slot)
 * </pre>
 *
 * <p>Not thread-safe: each cleaner thread has its own.
 */
final class OffsetMap {

    /** Bytes each slot takes: two longs of digest and one of offset. */
    static final int BYTES_PER_ENTRY = 24;

    private final long[] digestHigh;
    private final long[] digestLow;
    private final long[] offsetPlusOne;
    private final int slots;
    private final int capacity;
    private final Murmur3 murmur = new Murmur3();
    private int entries;
    private long latestOffset = -1;

    /**
     * A map in {@code memoryBytes} bytes, filled to at most {@code loadFactor} of its slots (Kafka's
     * {@code log.cleaner.io.buffer.load.factor}, 0.9).
     */
    OffsetMap(long memoryBytes, double loadFactor) {
        long slotCount = memoryBytes / BYTES_PER_ENTRY;
        if (slotCount < 2 || slotCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a dedupe buffer of " + memoryBytes + " bytes holds " + slotCount
                    + " entries; it must hold from 2 to " + (Integer.MAX_VALUE - 8));
        }
        if (!(loadFactor > 0 && loadFactor <= 1)) {
            throw new IllegalArgumentException("the dedupe buffer load factor must lie in (0, 1], not " + loadFactor);
        }
        this.slots = (int) slotCount;
        // At least one slot stays empty, so a lookup of an absent key always ends.
        this.capacity = Math.max(1, Math.min(slots - 1, (int) (slots * loadFactor)));
        this.digestHigh = new long[slots];
        this.digestLow = new long[slots];
        this.offsetPlusOne = new long[slots];
    }

    int size() {
        return entries;
    }

    boolean isFull() {
        return entries >= capacity;
    }

    /** Share of the capacity in use, 0 to 1. */
    double utilization() {
        return (double) entries / capacity;
    }

    /** The largest offset put or declared through {@link #updateLatestOffset}, or -1. */
    long latestOffset() {
        return latestOffset;
    }

    /** Declares that everything up to {@code offset} has been seen (gaps and keyless records included). */
    void updateLatestOffset(long offset) {
        latestOffset = Math.max(latestOffset, offset);
    }

    /** Records {@code offset} as the latest for {@code key}; the caller checks {@link #isFull()} first. */
    void put(ByteBuffer key, long offset) {
        murmur.hash(key);
        long high = murmur.high();
        long low = murmur.low();
        int slot = find(high, low);
        if (offsetPlusOne[slot] == 0) {
            if (entries >= capacity) {
                throw new IllegalStateException("the offset map is full (" + entries + " keys)");
            }
            digestHigh[slot] = high;
            digestLow[slot] = low;
            entries++;
        }
        offsetPlusOne[slot] = offset + 1;
        latestOffset = Math.max(latestOffset, offset);
    }

    /** The latest offset put for {@code key}, or -1 if it was not. */
    long get(ByteBuffer key) {
        murmur.hash(key);
        return offsetPlusOne[find(murmur.high(), murmur.low())] - 1;
    }

    /** Empties the map for the next round. */
    void clear() {
        Arrays.fill(offsetPlusOne, 0);
        entries = 0;
        latestOffset = -1;
    }

    /** The slot holding the digest, or the empty slot where it would go. */
    private int find(long high, long low) {
        int slot = (int) (((high ^ (high >>> 32)) & 0x7fffffffL) % slots);
        while (true) {
            if (offsetPlusOne[slot] == 0 || (digestHigh[slot] == high && digestLow[slot] == low)) {
                return slot;
            }
            slot = slot + 1 == slots ? 0 : slot + 1;
        }
    }
}
