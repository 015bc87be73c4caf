package dev.runnel.broker.storage;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * MurmurHash3, the x64 128-bit variant with seed 0 (Austin Appleby's public-domain algorithm), of
 * a buffer's remaining bytes, for the cleaner's {@link OffsetMap}. Its output is the pair
 * ({@link #high()}, {@link #low()}): the algorithm's {@code h1} and {@code h2}, which are the first
 * and second eight bytes, little-endian, of the usual 16-byte digest. Not thread-safe: each map
 * has its own, which holds the last digest.
 */
final class Murmur3 {

    private static final long C1 = 0x87c37b91114253d5L;
    private static final long C2 = 0x4cf5ad432745937fL;

    private long high;
    private long low;

    /** Digests {@code bytes} from its position to its limit, which are left as they were. */
    void hash(ByteBuffer bytes) {
        ByteBuffer in = bytes;
        boolean little = bytes.order() == ByteOrder.LITTLE_ENDIAN;
        int length = in.remaining();
        int at = in.position();
        long h1 = 0;
        long h2 = 0;
        int blocksEnd = at + (length & ~15);
        for (; at < blocksEnd; at += 16) {
            long k1 = little ? in.getLong(at) : Long.reverseBytes(in.getLong(at));
            long k2 = little ? in.getLong(at + 8) : Long.reverseBytes(in.getLong(at + 8));
            h1 ^= mixK1(k1);
            h1 = Long.rotateLeft(h1, 27) + h2;
            h1 = h1 * 5 + 0x52dce729;
            h2 ^= mixK2(k2);
            h2 = Long.rotateLeft(h2, 31) + h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        long k1 = 0;
        long k2 = 0;
        int tail = length & 15;
        for (int i = tail - 1; i >= 8; i--) {
            k2 ^= (in.get(at + i) & 0xffL) << ((i - 8) * 8);
        }
        for (int i = Math.min(tail, 8) - 1; i >= 0; i--) {
            k1 ^= (in.get(at + i) & 0xffL) << (i * 8);
        }
        if (tail > 8) {
            h2 ^= mixK2(k2);
        }
        if (tail > 0) {
            h1 ^= mixK1(k1);
        }
        h1 ^= length;
        h2 ^= length;
        h1 += h2;
        h2 += h1;
        h1 = fmix(h1);
        h2 = fmix(h2);
        h1 += h2;
        h2 += h1;
        high = h1;
        low = h2;
    }

    /** The first half of the last digest ({@code h1}). */
    long high() {
        return high;
    }

    /** The second half of the last digest ({@code h2}). */
    long low() {
        return low;
    }

    private static long mixK1(long k1) {
        return Long.rotateLeft(k1 * C1, 31) * C2;
    }

    private static long mixK2(long k2) {
        return Long.rotateLeft(k2 * C2, 33) * C1;
    }

    private static long fmix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }
}
