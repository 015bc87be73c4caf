package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.storage.TransactionIndex.AbortedTxn;

/** The {@code .txnindex} file: entries, lookups, truncation and what a damaged file does (Kafka's {@code TransactionIndexTest}). */
class TransactionIndexTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve(LogSegment.fileName(100, TransactionIndex.SUFFIX));
    }

    @Test
    void aMissingFileIsAnEmptyIndexAndTheFirstEntryCreatesIt() throws IOException {
        try (TransactionIndex index = TransactionIndex.open(file(), 100)) {
            assertThat(index.entries()).isZero();
            assertThat(Files.exists(file())).isFalse();

            index.append(new AbortedTxn(7, 90, 105, 90));

            assertThat(Files.size(file())).isEqualTo(TransactionIndex.ENTRY_SIZE);
        }
    }

    @Test
    void entriesSurviveAReopenInOrder() throws IOException {
        List<AbortedTxn> written = List.of(new AbortedTxn(1, 100, 110, 100), new AbortedTxn(2, 95, 120, 111),
                new AbortedTxn(1, 121, 130, 131));
        try (TransactionIndex index = TransactionIndex.open(file(), 100)) {
            for (AbortedTxn txn : written) {
                index.append(txn);
            }
            index.flush();
        }
        try (TransactionIndex index = TransactionIndex.open(file(), 100)) {
            assertThat(index.all()).isEqualTo(written);
            index.sanityCheck(131);
        }
    }

    @Test
    void lastOffsetsMustRiseAndNotPrecedeTheSegment() throws IOException {
        try (TransactionIndex index = TransactionIndex.open(file(), 100)) {
            index.append(new AbortedTxn(1, 100, 110, 100));
            assertThatThrownBy(() -> index.append(new AbortedTxn(2, 100, 110, 100)))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> index.append(new AbortedTxn(2, 50, 99, 50)))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(index.entries()).isEqualTo(1);
        }
    }

    @Test
    void collectFindsTheEntriesOverlappingTheReadAndStopsAtOneWhoseStableOffsetReachesTheBound() throws IOException {
        try (TransactionIndex index = TransactionIndex.open(file(), 0)) {
            index.append(new AbortedTxn(1, 0, 10, 11));   // ends before the read
            index.append(new AbortedTxn(2, 5, 20, 5));    // overlaps
            index.append(new AbortedTxn(3, 30, 40, 41));  // starts at the bound: not needed, stable offset 41 ends it
            index.append(new AbortedTxn(4, 12, 50, 51));  // never reached

            TransactionIndex.SearchResult found = index.collect(15, 30);

            assertThat(found.aborted()).containsExactly(new AbortedTxn(2, 5, 20, 5));
            assertThat(found.complete()).isTrue();
            TransactionIndex.SearchResult open = index.collect(15, 100);
            assertThat(open.aborted()).extracting(AbortedTxn::producerId).containsExactly(2L, 3L, 4L);
            assertThat(open.complete()).isFalse();
        }
    }

    @Test
    void truncationRemovesTheEntriesWhoseMarkerIsAtOrPastTheOffsetFromFileAndMemory() throws IOException {
        try (TransactionIndex index = TransactionIndex.open(file(), 0)) {
            index.append(new AbortedTxn(1, 0, 10, 11));
            index.append(new AbortedTxn(2, 5, 20, 21));
            index.append(new AbortedTxn(3, 21, 30, 31));

            index.truncateTo(20);

            assertThat(index.all()).extracting(AbortedTxn::producerId).containsExactly(1L);
            assertThat(Files.size(file())).isEqualTo(TransactionIndex.ENTRY_SIZE);
            index.append(new AbortedTxn(4, 12, 25, 26));
        }
        try (TransactionIndex index = TransactionIndex.open(file(), 0)) {
            assertThat(index.all()).extracting(AbortedTxn::producerId).containsExactly(1L, 4L);
        }
    }

    @Test
    void aReaderKeepsTheEntriesItStartedWithWhileTheIndexIsTruncatedAndAppended() throws IOException {
        try (TransactionIndex index = TransactionIndex.open(file(), 0)) {
            index.append(new AbortedTxn(1, 0, 10, 11));
            index.append(new AbortedTxn(2, 5, 20, 21));
            List<AbortedTxn> before = index.all();

            index.truncateTo(15);
            index.append(new AbortedTxn(3, 12, 16, 17));

            assertThat(before).extracting(AbortedTxn::producerId).containsExactly(1L, 2L);
            assertThat(index.all()).extracting(AbortedTxn::producerId).containsExactly(1L, 3L);
        }
    }

    @Test
    void aTornOrDisorderedFileFailsTheSanityCheckAndResetEmptiesIt() throws IOException {
        try (TransactionIndex index = TransactionIndex.open(file(), 0)) {
            index.append(new AbortedTxn(1, 0, 10, 11));
            index.append(new AbortedTxn(2, 5, 20, 21));
        }
        byte[] bytes = Files.readAllBytes(file());
        Files.write(file(), java.util.Arrays.copyOf(bytes, bytes.length - 3));
        try (TransactionIndex index = TransactionIndex.open(file(), 0)) {
            assertThat(index.entries()).isEqualTo(1);
            assertThatThrownBy(() -> index.sanityCheck(100)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("whole");
            index.reset();
            index.sanityCheck(100);
            assertThat(Files.size(file())).isZero();
        }

        ByteBuffer disordered = ByteBuffer.allocate(2 * TransactionIndex.ENTRY_SIZE);
        disordered.putShort((short) 0).putLong(1).putLong(0).putLong(20).putLong(21);
        disordered.putShort((short) 0).putLong(2).putLong(0).putLong(10).putLong(11);
        Files.write(file(), disordered.array());
        try (TransactionIndex index = TransactionIndex.open(file(), 0)) {
            assertThatThrownBy(() -> index.sanityCheck(100)).hasMessageContaining("do not rise");
        }
    }

    @Test
    void anEntryPastTheSegmentsEndFailsTheSanityCheck() throws IOException {
        try (TransactionIndex index = TransactionIndex.open(file(), 0)) {
            index.append(new AbortedTxn(1, 0, 10, 11));
            assertThatThrownBy(() -> index.sanityCheck(10)).isInstanceOf(IllegalStateException.class);
            index.sanityCheck(11);
        }
    }
}
