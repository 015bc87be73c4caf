package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.storage.TimeIndex.Entry;

class TimeIndexTest {

    private static final long BASE = 100;
    private static final int MAX_INDEX_SIZE = 10 * TimeIndex.ENTRY_SIZE;
    private static final long T = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private Path indexFile() {
        return dir.resolve(LogSegment.fileName(BASE, LogSegment.TIME_INDEX_SUFFIX));
    }

    private TimeIndex openIndex() {
        return TimeIndex.open(indexFile(), BASE, MAX_INDEX_SIZE);
    }

    /** An index holding (T+1000, 105), (T+2000, 120), (T+3000, 130). */
    private TimeIndex openIndexWithThreeEntries() {
        TimeIndex index = openIndex();
        index.maybeAppend(T + 1000, 105);
        index.maybeAppend(T + 2000, 120);
        index.maybeAppend(T + 3000, 130);
        return index;
    }

    @Test
    void aNewIndexIsEmptyAndLookupsFindNothing() {
        try (TimeIndex index = openIndex()) {
            assertThat(index.entries()).isZero();
            assertThat(index.lookup(T)).isEqualTo(new Entry(-1, BASE));
            assertThat(index.lastEntry()).isEqualTo(new Entry(-1, BASE));
        }
    }

    @Test
    void maybeAppendAddsEntriesWhoseTimestampAndOffsetBothGrow() {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            assertThat(index.entries()).isEqualTo(3);
            assertThat(index.entry(0)).isEqualTo(new Entry(T + 1000, 105));
            assertThat(index.entry(1)).isEqualTo(new Entry(T + 2000, 120));
            assertThat(index.lastEntry()).isEqualTo(new Entry(T + 3000, 130));
        }
    }

    @Test
    void maybeAppendIgnoresATimestampThatDoesNotIncrease() {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            index.maybeAppend(T + 3000, 140);
            index.maybeAppend(T + 2500, 150);
            index.maybeAppend(T - 1, 160);

            assertThat(index.entries()).isEqualTo(3);
            assertThat(index.lastEntry()).isEqualTo(new Entry(T + 3000, 130));
        }
    }

    @Test
    void maybeAppendIgnoresAnOffsetThatDoesNotIncrease() {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            index.maybeAppend(T + 4000, 130);
            index.maybeAppend(T + 5000, 125);

            assertThat(index.entries()).isEqualTo(3);
            assertThat(index.lastEntry()).isEqualTo(new Entry(T + 3000, 130));
        }
    }

    @Test
    void maybeAppendRejectsAnOffsetBelowTheSegment() {
        try (TimeIndex index = openIndex()) {
            assertThatThrownBy(() -> index.maybeAppend(T, BASE - 1)).isInstanceOf(IllegalArgumentException.class);
            assertThat(index.entries()).isZero();
        }
    }

    @Test
    void lookupBelowTheFirstTimestampFindsNothing() {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            assertThat(index.lookup(T + 999)).isEqualTo(new Entry(-1, BASE));
            assertThat(index.lookup(0)).isEqualTo(new Entry(-1, BASE));
        }
    }

    @Test
    void lookupOfAnIndexedTimestampReturnsItsEntry() {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            assertThat(index.lookup(T + 1000)).isEqualTo(new Entry(T + 1000, 105));
            assertThat(index.lookup(T + 2000)).isEqualTo(new Entry(T + 2000, 120));
            assertThat(index.lookup(T + 3000)).isEqualTo(new Entry(T + 3000, 130));
        }
    }

    @Test
    void lookupReturnsTheLastEntryAtOrBelowTheTimestamp() {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            assertThat(index.lookup(T + 1500)).isEqualTo(new Entry(T + 1000, 105));
            assertThat(index.lookup(T + 2999)).isEqualTo(new Entry(T + 2000, 120));
        }
    }

    @Test
    void lookupAboveTheLastTimestampReturnsTheLastEntry() {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            assertThat(index.lookup(T + 3001)).isEqualTo(new Entry(T + 3000, 130));
            assertThat(index.lookup(Long.MAX_VALUE)).isEqualTo(new Entry(T + 3000, 130));
        }
    }

    @Test
    void truncateToDropsEntriesForOffsetsAtAndAboveIt() {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            index.truncateTo(120);

            assertThat(index.entries()).isEqualTo(1);
            assertThat(index.lastEntry()).isEqualTo(new Entry(T + 1000, 105));
            assertThat(index.lookup(T + 5000)).isEqualTo(new Entry(T + 1000, 105));
        }
    }

    @Test
    void truncateToAnOffsetBetweenEntriesKeepsTheEntriesBelowIt() {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            index.truncateTo(121);

            assertThat(index.entries()).isEqualTo(2);
            assertThat(index.lastEntry()).isEqualTo(new Entry(T + 2000, 120));
        }
    }

    @Test
    void truncateToTheBaseOffsetEmptiesTheIndex() {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            index.truncateTo(BASE);

            assertThat(index.entries()).isZero();
            assertThat(index.lastEntry()).isEqualTo(new Entry(-1, BASE));
        }
    }

    @Test
    void afterTruncationSmallerTimestampsAreAcceptedAgain() {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            index.truncateTo(120);
            index.maybeAppend(T + 1500, 110);

            assertThat(index.entries()).isEqualTo(2);
            assertThat(index.lastEntry()).isEqualTo(new Entry(T + 1500, 110));
        }
    }

    @Test
    void isFullOnceEverySlotIsTakenAndAFurtherAppendIsRefused() {
        try (TimeIndex index = TimeIndex.open(indexFile(), BASE, 2 * TimeIndex.ENTRY_SIZE)) {
            index.maybeAppend(T + 1, 101);
            assertThat(index.isFull()).isFalse();
            index.maybeAppend(T + 2, 102);

            assertThat(index.isFull()).isTrue();
            assertThatThrownBy(() -> index.maybeAppend(T + 3, 103)).isInstanceOf(IllegalStateException.class);
            assertThat(index.entries()).isEqualTo(2);
        }
    }

    @Test
    void trimToValidSizeThenReopenKeepsTheEntries() throws Exception {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            index.trimToValidSize();
            assertThat(Files.size(indexFile())).isEqualTo(3L * TimeIndex.ENTRY_SIZE);
        }
        try (TimeIndex reopened = openIndex()) {
            assertThat(reopened.entries()).isEqualTo(3);
            assertThat(reopened.lookup(T + 2500)).isEqualTo(new Entry(T + 2000, 120));
            assertThatCode(() -> reopened.sanityCheck(1_000)).doesNotThrowAnyException();
        }
    }

    @Test
    void reopeningAfterCloseKeepsTheEntries() throws Exception {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            assertThat(index.entries()).isEqualTo(3);
        }
        assertThat(Files.size(indexFile())).isEqualTo(3L * TimeIndex.ENTRY_SIZE);

        try (TimeIndex reopened = openIndex()) {
            assertThat(reopened.entries()).isEqualTo(3);
            assertThat(reopened.lastEntry()).isEqualTo(new Entry(T + 3000, 130));
        }
    }

    @Test
    void sanityCheckPassesForIncreasingEntries() throws Exception {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            assertThatCode(() -> index.sanityCheck(1_000)).doesNotThrowAnyException();
        }
    }

    @Test
    void sanityCheckFailsWhenFlippedBytesMakeATimestampDecrease() throws Exception {
        try (TimeIndex index = openIndexWithThreeEntries()) {
            index.trimToValidSize();
        }
        byte[] bytes = Files.readAllBytes(indexFile());
        // T is 0x0000_018B_CFE5_6800: clearing the low bit of byte 2 takes 2^40 ms off entry 1's timestamp.
        bytes[TimeIndex.ENTRY_SIZE + 2] ^= 0x01;
        Files.write(indexFile(), bytes);
        ByteBuffer written = ByteBuffer.wrap(bytes);
        assertThat(written.getLong(TimeIndex.ENTRY_SIZE)).isLessThan(written.getLong(0));

        try (TimeIndex index = openIndex()) {
            assertThatThrownBy(() -> index.sanityCheck(1_000))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("entry 1 does not follow entry 0");
        }
    }

    @Test
    void sanityCheckFailsWhenOffsetsDoNotIncrease() throws Exception {
        ByteBuffer bytes = ByteBuffer.allocate(2 * TimeIndex.ENTRY_SIZE);
        bytes.putLong(T + 1000).putInt(20).putLong(T + 2000).putInt(10);
        Files.write(indexFile(), bytes.array());

        try (TimeIndex index = openIndex()) {
            assertThatThrownBy(() -> index.sanityCheck(1_000)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void sanityCheckFailsForANegativeOffset() throws Exception {
        ByteBuffer bytes = ByteBuffer.allocate(TimeIndex.ENTRY_SIZE);
        bytes.putLong(T).putInt(-1);
        Files.write(indexFile(), bytes.array());

        try (TimeIndex index = openIndex()) {
            assertThatThrownBy(() -> index.sanityCheck(1_000))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("negative offset");
        }
    }

    @Test
    void sanityCheckFailsForAFileThatIsNotAWholeNumberOfEntries() throws Exception {
        ByteBuffer bytes = ByteBuffer.allocate(2 * TimeIndex.ENTRY_SIZE + 6);
        bytes.putLong(T + 1000).putInt(5).putLong(T + 2000).putInt(20);
        Files.write(indexFile(), bytes.array());

        try (TimeIndex index = openIndex()) {
            assertThat(index.entries()).isEqualTo(2);
            assertThatThrownBy(() -> index.sanityCheck(1_000))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not a multiple of " + TimeIndex.ENTRY_SIZE);
        }
    }

    @Test
    void sanityCheckFailsForAPreallocatedIndexLeftByACrash() throws Exception {
        ByteBuffer bytes = ByteBuffer.allocate(MAX_INDEX_SIZE);
        bytes.putLong(T + 1000).putInt(5).putLong(T + 2000).putInt(20);
        Files.write(indexFile(), bytes.array());

        try (TimeIndex index = openIndex()) {
            assertThatThrownBy(() -> index.sanityCheck(1_000)).isInstanceOf(IllegalStateException.class);
        }
    }
}
