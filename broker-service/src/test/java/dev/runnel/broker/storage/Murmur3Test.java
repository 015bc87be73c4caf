package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import org.junit.jupiter.api.Test;

import com.google.common.hash.Hashing;

/** The cleaner's MurmurHash3 gives Guava's {@code murmur3_128(0)} digest for every length and alignment. */
class Murmur3Test {

    @Test
    void matchesGuavasMurmur3For0To100BytesAtAnyPosition() {
        Random random = new Random(42);
        Murmur3 murmur = new Murmur3();
        for (int length = 0; length <= 100; length++) {
            for (int trial = 0; trial < 20; trial++) {
                byte[] key = new byte[length];
                random.nextBytes(key);
                byte[] padded = new byte[length + 7];
                int offset = trial % 7;
                System.arraycopy(key, 0, padded, offset, length);
                ByteBuffer buffer = ByteBuffer.wrap(padded, offset, length);

                murmur.hash(buffer);

                ByteBuffer expected = ByteBuffer.wrap(Hashing.murmur3_128(0).hashBytes(key).asBytes())
                        .order(ByteOrder.LITTLE_ENDIAN);
                assertThat(murmur.high()).as("h1 of %d bytes", length).isEqualTo(expected.getLong(0));
                assertThat(murmur.low()).as("h2 of %d bytes", length).isEqualTo(expected.getLong(8));
                assertThat(buffer.position()).isEqualTo(offset);
                assertThat(buffer.remaining()).isEqualTo(length);
            }
        }
    }

    @Test
    void aDirectBufferDigestsLikeAHeapOne() {
        byte[] key = "a key of some length".getBytes();
        ByteBuffer direct = ByteBuffer.allocateDirect(key.length).put(key).flip();
        Murmur3 murmur = new Murmur3();
        murmur.hash(ByteBuffer.wrap(key));
        long high = murmur.high();
        long low = murmur.low();
        murmur.hash(direct);
        assertThat(murmur.high()).isEqualTo(high);
        assertThat(murmur.low()).isEqualTo(low);
    }
}
