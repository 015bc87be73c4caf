package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.storage.ProducerSnapshotFile.CorruptSnapshotException;
import dev.runnel.broker.storage.ProducerStateEntry.BatchMetadata;

class ProducerSnapshotFileTest {

    private static final ProducerStateEntry ONE_BATCH = new ProducerStateEntry(7, (short) 3,
            List.of(new BatchMetadata(0, 4, 100, 104, 1_700_000_000_000L)), 1_700_000_000_123L);
    private static final ProducerStateEntry FIVE_BATCHES = new ProducerStateEntry(Long.MAX_VALUE, Short.MAX_VALUE,
            List.of(new BatchMetadata(Integer.MAX_VALUE - 1, 0, 1, 2, -1),
                    new BatchMetadata(1, 1, 3, 3, 5),
                    new BatchMetadata(2, 9, 4, 11, 6),
                    new BatchMetadata(10, 10, 12, 12, 7),
                    new BatchMetadata(11, 20, 13, 22, Long.MAX_VALUE)), 0);

    @TempDir
    Path dir;

    @Test
    void entriesWrittenAreReadBackInOrder() throws IOException {
        ProducerSnapshotFile snapshot = ProducerSnapshotFile.at(dir, 42);

        snapshot.write(List.of(FIVE_BATCHES, ONE_BATCH));

        assertThat(snapshot.read()).containsExactly(FIVE_BATCHES, ONE_BATCH);
        assertThat(ProducerSnapshotFile.listIn(dir).get(0).read()).containsExactly(FIVE_BATCHES, ONE_BATCH);
    }

    @Test
    void aSnapshotOfNoProducersRoundTrips() throws IOException {
        ProducerSnapshotFile snapshot = ProducerSnapshotFile.at(dir, 0);

        snapshot.write(List.of());

        assertThat(snapshot.read()).isEmpty();
    }

    @Test
    void theFileIsNamedByItsOffsetInTwentyDigits() {
        assertThat(ProducerSnapshotFile.at(dir, 1234).file().getFileName())
                .hasToString("00000000000000001234.snapshot");
        assertThat(ProducerSnapshotFile.of(dir.resolve("00000000000000001234.snapshot")))
                .hasValueSatisfying(s -> assertThat(s.offset()).isEqualTo(1234));
        assertThat(ProducerSnapshotFile.of(dir.resolve("1234.snapshot"))).isEmpty();
        assertThat(ProducerSnapshotFile.of(dir.resolve("0000000000000000123x.snapshot"))).isEmpty();
        assertThat(ProducerSnapshotFile.of(dir.resolve("99999999999999999999.snapshot"))).isEmpty();
        assertThat(ProducerSnapshotFile.of(dir.resolve("00000000000000001234.snapshot.tmp"))).isEmpty();
        assertThat(ProducerSnapshotFile.of(dir.resolve("00000000000000001234.index"))).isEmpty();
    }

    @Test
    void listInFindsSnapshotsOldestFirstAndIgnoresOtherFiles() throws IOException {
        ProducerSnapshotFile.at(dir, 30).write(List.of());
        ProducerSnapshotFile.at(dir, 5).write(List.of());
        Files.createFile(dir.resolve("00000000000000000000.log"));
        Files.createFile(dir.resolve("leader-epoch-checkpoint"));

        assertThat(ProducerSnapshotFile.listIn(dir)).extracting(ProducerSnapshotFile::offset).containsExactly(5L, 30L);
    }

    @Test
    void aWriteLeavesNoTemporaryFileBehind() throws IOException {
        ProducerSnapshotFile.at(dir, 9).write(List.of(ONE_BATCH));

        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("00000000000000000009.snapshot");
        }
    }

    @Test
    void theFileHoldsTheVersionACrcOfTheRestAndTheEntries() throws IOException {
        ProducerSnapshotFile snapshot = ProducerSnapshotFile.at(dir, 9);
        snapshot.write(List.of(ONE_BATCH));

        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(snapshot.file()));

        assertThat(bytes.limit()).isEqualTo(2 + 4 + 4 + 34 + 32);
        assertThat(bytes.getShort(0)).isEqualTo((short) 2).isEqualTo(ProducerSnapshotFile.VERSION);
        assertThat(bytes.getInt(ProducerSnapshotFile.CRC_OFFSET)).isEqualTo(ProducerSnapshotFile.crcOf(bytes));
        assertThat(bytes.getInt(6)).isEqualTo(1);
        assertThat(bytes.getLong(10)).isEqualTo(7);
        assertThat(bytes.getShort(18)).isEqualTo((short) 3);
        assertThat(bytes.getLong(20)).isEqualTo(1_700_000_000_123L);
        assertThat(bytes.getInt(28)).as("coordinator epoch").isEqualTo(-1);
        assertThat(bytes.getLong(32)).as("open transaction's first offset").isEqualTo(-1);
        assertThat(bytes.getInt(40)).isEqualTo(1);
        assertThat(bytes.getLong(52)).isEqualTo(100);
    }

    @Test
    void everyCutOfTheFileIsCorrupt() throws IOException {
        ProducerSnapshotFile snapshot = writeTwoProducers();
        byte[] whole = Files.readAllBytes(snapshot.file());

        for (int length = 0; length < whole.length; length++) {
            Files.write(snapshot.file(), Arrays.copyOf(whole, length));
            assertThatThrownBy(snapshot::read).as("cut to %d bytes", length)
                    .isInstanceOf(CorruptSnapshotException.class);
        }
    }

    @Test
    void aFlippedBitAnywhereIsCorrupt() throws IOException {
        ProducerSnapshotFile snapshot = writeTwoProducers();
        byte[] whole = Files.readAllBytes(snapshot.file());

        for (int i = 0; i < whole.length; i++) {
            byte[] damaged = whole.clone();
            damaged[i] ^= 0x10;
            Files.write(snapshot.file(), damaged);
            assertThatThrownBy(snapshot::read).as("bit flipped in byte %d", i)
                    .isInstanceOf(CorruptSnapshotException.class);
        }
    }

    @Test
    void bytesAfterTheLastProducerAreCorruptEvenWithAMatchingCrc() throws IOException {
        ProducerSnapshotFile snapshot = writeTwoProducers();
        byte[] whole = Files.readAllBytes(snapshot.file());
        Files.write(snapshot.file(), Arrays.copyOf(whole, whole.length + 3));

        assertCorruptWithAMatchingCrc(snapshot, bytes -> { }, "3 bytes after the last producer");
    }

    @Test
    void anUnknownVersionIsCorrupt() throws IOException {
        assertCorruptWithAMatchingCrc(writeTwoProducers(), bytes -> bytes.putShort(0, (short) 3), "unknown version 3");
        assertCorruptWithAMatchingCrc(writeTwoProducers(), bytes -> bytes.putShort(0, (short) 0), "unknown version 0");
    }

    @Test
    void aProducerCountBeyondTheBytesIsCorrupt() throws IOException {
        assertCorruptWithAMatchingCrc(writeTwoProducers(), bytes -> bytes.putInt(6, 1_000_000), "producer count");
        assertCorruptWithAMatchingCrc(writeTwoProducers(), bytes -> bytes.putInt(6, -1), "producer count");
        assertCorruptWithAMatchingCrc(writeTwoProducers(), bytes -> bytes.putInt(6, 3), "cut short");
    }

    @Test
    void aBatchCountOutsideZeroToFiveIsCorrupt() throws IOException {
        assertCorruptWithAMatchingCrc(writeTwoProducers(), bytes -> bytes.putInt(40, -1), "with -1 batches");
        assertCorruptWithAMatchingCrc(writeTwoProducers(), bytes -> bytes.putInt(40, 6), "with 6 batches");
    }

    @Test
    void aTransactionFirstOffsetBelowMinusOneIsCorrupt() throws IOException {
        assertCorruptWithAMatchingCrc(writeTwoProducers(), bytes -> bytes.putLong(32, -2), "transaction from -2");
    }

    @Test
    void aProducerWithNoBatchesAndAnOpenTransactionRoundTrips() throws IOException {
        ProducerStateEntry fenced = new ProducerStateEntry(5, (short) 9, List.of(), 1_700_000_000_000L, 4, 1234L);
        ProducerSnapshotFile snapshot = ProducerSnapshotFile.at(dir, 9);
        snapshot.write(List.of(fenced, ONE_BATCH));

        assertThat(snapshot.read()).containsExactly(fenced, ONE_BATCH);
    }

    @Test
    void aNegativeProducerIdIsCorrupt() throws IOException {
        assertCorruptWithAMatchingCrc(writeTwoProducers(), bytes -> bytes.putLong(10, -1), "producer -1");
    }

    @Test
    void aProducerListedTwiceIsCorrupt() throws IOException {
        ProducerSnapshotFile snapshot = ProducerSnapshotFile.at(dir, 9);
        snapshot.write(List.of(ONE_BATCH, ONE_BATCH));

        assertThatThrownBy(snapshot::read).isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("producer 7 appears twice");
    }

    @Test
    void aMissingFileIsNotCorruptButMissing() {
        assertThatThrownBy(ProducerSnapshotFile.at(dir, 9)::read).isInstanceOf(NoSuchFileException.class);
    }

    private ProducerSnapshotFile writeTwoProducers() throws IOException {
        ProducerSnapshotFile snapshot = ProducerSnapshotFile.at(dir, 9);
        snapshot.write(List.of(ONE_BATCH, FIVE_BATCHES));
        return snapshot;
    }

    /** Changes the file's bytes and fixes its CRC, so that only the structural checks can catch the damage. */
    private static void assertCorruptWithAMatchingCrc(ProducerSnapshotFile snapshot, Consumer<ByteBuffer> change,
            String reason) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(snapshot.file()));
        change.accept(bytes);
        bytes.putInt(ProducerSnapshotFile.CRC_OFFSET, ProducerSnapshotFile.crcOf(bytes));
        Files.write(snapshot.file(), bytes.array());

        assertThatThrownBy(snapshot::read).isInstanceOf(CorruptSnapshotException.class).hasMessageContaining(reason);
    }
}
