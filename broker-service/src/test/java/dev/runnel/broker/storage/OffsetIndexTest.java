package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.storage.OffsetIndex.Position;

class OffsetIndexTest {

    private static final long BASE = 100;
    private static final int MAX_INDEX_SIZE = 10 * OffsetIndex.ENTRY_SIZE;

    @TempDir
    Path dir;

    private Path indexFile() {
        return dir.resolve(LogSegment.fileName(BASE, LogSegment.INDEX_SUFFIX));
    }

    private OffsetIndex openIndex() {
        return OffsetIndex.open(indexFile(), BASE, MAX_INDEX_SIZE);
    }

    /** An index holding (110, 50), (120, 100), (130, 150). */
    private OffsetIndex openIndexWithThreeEntries() {
        OffsetIndex index = openIndex();
        index.append(110, 50);
        index.append(120, 100);
        index.append(130, 150);
        return index;
    }

    /** Writes raw (relative offset, position) pairs as the index file, bypassing every check. */
    private void writeRawEntries(int... relativeOffsetsAndPositions) throws Exception {
        ByteBuffer bytes = ByteBuffer.allocate(relativeOffsetsAndPositions.length * 4);
        for (int value : relativeOffsetsAndPositions) {
            bytes.putInt(value);
        }
        Files.write(indexFile(), bytes.array());
    }

    @Test
    void aNewIndexIsEmptyAndLooksUpTheSegmentStart() {
        try (OffsetIndex index = openIndex()) {
            assertThat(index.entries()).isZero();
            assertThat(index.sizeInBytes()).isZero();
            assertThat(index.isFull()).isFalse();
            assertThat(index.lookup(BASE)).isEqualTo(new Position(BASE, 0));
            assertThat(index.lookup(BASE + 1_000)).isEqualTo(new Position(BASE, 0));
            assertThat(index.lastEntry()).isEqualTo(new Position(BASE, 0));
        }
    }

    @Test
    void aNewIndexFileIsPreallocatedToTheMaximumSize() throws Exception {
        try (OffsetIndex index = openIndex()) {
            assertThat(Files.size(index.file())).isEqualTo(MAX_INDEX_SIZE);
        }
    }

    @Test
    void lookupBelowTheFirstEntryReturnsTheSegmentStart() {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            assertThat(index.lookup(109)).isEqualTo(new Position(BASE, 0));
            assertThat(index.lookup(BASE)).isEqualTo(new Position(BASE, 0));
            assertThat(index.lookup(BASE - 50)).isEqualTo(new Position(BASE, 0));
        }
    }

    @Test
    void lookupOfAnIndexedOffsetReturnsItsEntry() {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            assertThat(index.lookup(110)).isEqualTo(new Position(110, 50));
            assertThat(index.lookup(120)).isEqualTo(new Position(120, 100));
            assertThat(index.lookup(130)).isEqualTo(new Position(130, 150));
        }
    }

    @Test
    void lookupReturnsTheLastEntryAtOrBelowTheTarget() {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            assertThat(index.lookup(111)).isEqualTo(new Position(110, 50));
            assertThat(index.lookup(119)).isEqualTo(new Position(110, 50));
            assertThat(index.lookup(125)).isEqualTo(new Position(120, 100));
            assertThat(index.lookup(129)).isEqualTo(new Position(120, 100));
        }
    }

    @Test
    void lookupAboveTheLastEntryReturnsTheLastEntry() {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            assertThat(index.lookup(131)).isEqualTo(new Position(130, 150));
            assertThat(index.lookup(Long.MAX_VALUE)).isEqualTo(new Position(130, 150));
            assertThat(index.lastEntry()).isEqualTo(new Position(130, 150));
        }
    }

    @Test
    void lookupFindsEveryEntryOfAFullIndex() {
        int capacity = 64;
        try (OffsetIndex index = OffsetIndex.open(indexFile(), BASE, capacity * OffsetIndex.ENTRY_SIZE)) {
            for (int i = 0; i < capacity; i++) {
                index.append(BASE + 10L * i + 5, 100 * i + 1);
            }
            for (int i = 0; i < capacity; i++) {
                long offset = BASE + 10L * i + 5;
                assertThat(index.lookup(offset)).isEqualTo(new Position(offset, 100 * i + 1));
                assertThat(index.lookup(offset + 9)).isEqualTo(new Position(offset, 100 * i + 1));
            }
        }
    }

    @Test
    void appendRejectsAnOffsetThatDoesNotIncrease() {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            assertThatThrownBy(() -> index.append(130, 200)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> index.append(125, 200)).isInstanceOf(IllegalArgumentException.class);

            assertThat(index.entries()).isEqualTo(3);
            assertThat(index.lastEntry()).isEqualTo(new Position(130, 150));
        }
    }

    @Test
    void appendRejectsAPositionThatDoesNotIncrease() {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            assertThatThrownBy(() -> index.append(140, 150)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> index.append(140, 149)).isInstanceOf(IllegalArgumentException.class);

            assertThat(index.entries()).isEqualTo(3);
            assertThat(index.lastEntry()).isEqualTo(new Position(130, 150));
        }
    }

    @Test
    void appendRejectsOffsetsThatDoNotFitTheSegment() {
        try (OffsetIndex index = openIndex()) {
            assertThatThrownBy(() -> index.append(BASE - 1, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> index.append(BASE + Integer.MAX_VALUE + 1L, 0))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(index.entries()).isZero();
        }
    }

    @Test
    void truncateToDropsEntriesAtAndAboveTheOffset() {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            index.truncateTo(120);

            assertThat(index.entries()).isEqualTo(1);
            assertThat(index.lastEntry()).isEqualTo(new Position(110, 50));
            assertThat(index.lookup(125)).isEqualTo(new Position(110, 50));
        }
    }

    @Test
    void truncateToAnOffsetBetweenEntriesKeepsTheEntryBelowIt() {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            index.truncateTo(125);

            assertThat(index.entries()).isEqualTo(2);
            assertThat(index.lastEntry()).isEqualTo(new Position(120, 100));
        }
    }

    @Test
    void truncateToTheBaseOffsetEmptiesTheIndex() {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            index.truncateTo(BASE);

            assertThat(index.entries()).isZero();
            assertThat(index.lookup(130)).isEqualTo(new Position(BASE, 0));
        }
    }

    @Test
    void truncateToAboveTheLastEntryKeepsEverything() {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            index.truncateTo(131);

            assertThat(index.entries()).isEqualTo(3);
        }
    }

    @Test
    void appendsContinueAfterTheTruncationPoint() {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            index.truncateTo(120);
            index.append(115, 60);

            assertThat(index.entries()).isEqualTo(2);
            assertThat(index.lookup(130)).isEqualTo(new Position(115, 60));
        }
    }

    @Test
    void trimToValidSizeShrinksTheFileAndAReopenKeepsTheEntries() throws Exception {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            index.trimToValidSize();

            assertThat(Files.size(indexFile())).isEqualTo(3L * OffsetIndex.ENTRY_SIZE);
            assertThat(index.lookup(125)).isEqualTo(new Position(120, 100));
        }
        try (OffsetIndex reopened = openIndex()) {
            assertThat(reopened.entries()).isEqualTo(3);
            assertThat(reopened.lookup(125)).isEqualTo(new Position(120, 100));
            assertThat(reopened.lastEntry()).isEqualTo(new Position(130, 150));
            assertThatCode(() -> reopened.sanityCheck(151)).doesNotThrowAnyException();
        }
    }

    @Test
    void aReopenedIndexTakesAppendsAgainOnceExpanded() throws Exception {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            index.trimToValidSize();
        }
        try (OffsetIndex reopened = openIndex()) {
            reopened.expandForAppends();
            reopened.append(140, 200);

            assertThat(Files.size(indexFile())).isEqualTo(MAX_INDEX_SIZE);
            assertThat(reopened.entries()).isEqualTo(4);
            assertThat(reopened.lookup(145)).isEqualTo(new Position(140, 200));
            assertThat(reopened.lookup(125)).isEqualTo(new Position(120, 100));
        }
    }

    @Test
    void isFullOnceEverySlotIsTakenAndAFurtherAppendIsRefused() {
        try (OffsetIndex index = OffsetIndex.open(indexFile(), BASE, 3 * OffsetIndex.ENTRY_SIZE)) {
            index.append(101, 10);
            index.append(102, 20);
            assertThat(index.isFull()).isFalse();

            index.append(103, 30);

            assertThat(index.isFull()).isTrue();
            assertThatThrownBy(() -> index.append(104, 40)).isInstanceOf(IllegalStateException.class);
            assertThat(index.entries()).isEqualTo(3);
            assertThat(index.lastEntry()).isEqualTo(new Position(103, 30));
        }
    }

    @Test
    void aMaximumSizeThatIsNotAWholeNumberOfEntriesIsRoundedDown() throws Exception {
        try (OffsetIndex index = OffsetIndex.open(indexFile(), BASE, 3 * OffsetIndex.ENTRY_SIZE + 5)) {
            assertThat(Files.size(indexFile())).isEqualTo(3L * OffsetIndex.ENTRY_SIZE);
            index.append(101, 10);
            index.append(102, 20);
            index.append(103, 30);

            assertThat(index.isFull()).isTrue();
        }
    }

    @Test
    void reopeningAfterCloseKeepsTheEntriesAndTrimsTheFile() throws Exception {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            assertThat(index.entries()).isEqualTo(3);
        }
        assertThat(Files.size(indexFile())).isEqualTo(3L * OffsetIndex.ENTRY_SIZE);

        try (OffsetIndex reopened = openIndex()) {
            assertThat(reopened.entries()).isEqualTo(3);
            assertThat(reopened.entry(0)).isEqualTo(new Position(110, 50));
            assertThat(reopened.entry(1)).isEqualTo(new Position(120, 100));
            assertThat(reopened.entry(2)).isEqualTo(new Position(130, 150));
        }
    }

    @Test
    void aClosedIndexRefusesLookups() {
        OffsetIndex index = openIndexWithThreeEntries();
        index.close();

        assertThatThrownBy(() -> index.lookup(120)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> index.entry(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closingTwiceIsHarmless() throws Exception {
        OffsetIndex index = openIndexWithThreeEntries();
        index.close();
        index.close();

        assertThat(Files.size(indexFile())).isEqualTo(3L * OffsetIndex.ENTRY_SIZE);
    }

    @Test
    void sanityCheckPassesForIncreasingEntriesInsideTheLog() throws Exception {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            assertThatCode(() -> index.sanityCheck(151)).doesNotThrowAnyException();
        }
    }

    @Test
    void sanityCheckFailsForAFileThatIsNotAWholeNumberOfEntries() throws Exception {
        writeRawEntries(10, 50, 20, 100);
        Files.write(indexFile(), new byte[] {0, 0, 0, 30}, StandardOpenOption.APPEND);
        assertThat(Files.size(indexFile())).isEqualTo(20);

        try (OffsetIndex index = openIndex()) {
            assertThatThrownBy(() -> index.sanityCheck(1_000))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not a multiple of " + OffsetIndex.ENTRY_SIZE);
        }
    }

    @Test
    void sanityCheckFailsForOffsetsThatDoNotIncrease() throws Exception {
        writeRawEntries(10, 50, 30, 100, 20, 150);

        try (OffsetIndex index = openIndex()) {
            assertThat(index.entries()).isEqualTo(3);
            assertThatThrownBy(() -> index.sanityCheck(1_000))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("entry 2 does not follow entry 1");
        }
    }

    @Test
    void sanityCheckFailsForARepeatedOffset() throws Exception {
        writeRawEntries(10, 50, 10, 100);

        try (OffsetIndex index = openIndex()) {
            assertThatThrownBy(() -> index.sanityCheck(1_000)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void sanityCheckFailsForPositionsThatDoNotIncrease() throws Exception {
        writeRawEntries(10, 50, 20, 40);

        try (OffsetIndex index = openIndex()) {
            assertThatThrownBy(() -> index.sanityCheck(1_000))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("does not follow");
        }
    }

    @Test
    void sanityCheckFailsForAPositionBeyondTheLogSize() throws Exception {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            assertThatThrownBy(() -> index.sanityCheck(150))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("outside a log of 150 bytes");
            assertThatThrownBy(() -> index.sanityCheck(0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void sanityCheckFailsForANegativeEntry() throws Exception {
        writeRawEntries(-5, 50);

        try (OffsetIndex index = openIndex()) {
            assertThatThrownBy(() -> index.sanityCheck(1_000)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void sanityCheckFailsForAPreallocatedIndexLeftByACrash() throws Exception {
        // A crash leaves the active segment's index at its full preallocated size, zeros after the entries.
        ByteBuffer bytes = ByteBuffer.allocate(MAX_INDEX_SIZE);
        bytes.putInt(10).putInt(50).putInt(20).putInt(100);
        Files.write(indexFile(), bytes.array());

        try (OffsetIndex index = openIndex()) {
            assertThat(index.entries()).isEqualTo(MAX_INDEX_SIZE / OffsetIndex.ENTRY_SIZE);
            assertThatThrownBy(() -> index.sanityCheck(1_000)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void resetRemovesEveryEntryAndRestoresTheFullSize() throws Exception {
        try (OffsetIndex index = openIndexWithThreeEntries()) {
            index.trimToValidSize();
            index.reset();

            assertThat(index.entries()).isZero();
            assertThat(Files.size(indexFile())).isEqualTo(MAX_INDEX_SIZE);
            index.append(105, 7);
            assertThat(index.lookup(200)).isEqualTo(new Position(105, 7));
        }
    }
}
