package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.storage.LeaderEpochCache.EpochEntry;

class LeaderEpochCacheTest {

    @TempDir
    Path dir;

    private Path checkpointFile() {
        return dir.resolve(LeaderEpochCache.FILE_NAME);
    }

    /** A cache holding epochs 1 from 0, 3 from 10 and 5 from 20. */
    private LeaderEpochCache openWithThreeEpochs() throws Exception {
        LeaderEpochCache cache = LeaderEpochCache.open(dir);
        cache.assign(1, 0);
        cache.assign(3, 10);
        cache.assign(5, 20);
        return cache;
    }

    @Test
    void aCacheOpenedInAnEmptyDirectoryIsEmptyAndWritesNoFile() throws Exception {
        LeaderEpochCache cache = LeaderEpochCache.open(dir);

        assertThat(cache.entries()).isEmpty();
        assertThat(cache.latest()).isEmpty();
        assertThat(Files.exists(checkpointFile())).isFalse();
    }

    @Test
    void assignRecordsNewerEpochsInOrder() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        assertThat(cache.entries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(3, 10), new EpochEntry(5, 20));
        assertThat(cache.latest()).contains(new EpochEntry(5, 20));
    }

    @Test
    void assignIgnoresTheLatestEpochAgain() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        cache.assign(5, 25);

        assertThat(cache.latest()).contains(new EpochEntry(5, 20));
        assertThat(cache.entries()).hasSize(3);
    }

    @Test
    void assignIgnoresStaleEpochs() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        cache.assign(4, 30);
        cache.assign(0, 40);

        assertThat(cache.entries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(3, 10), new EpochEntry(5, 20));
    }

    @Test
    void assignIgnoresNegativeEpochs() throws Exception {
        LeaderEpochCache cache = LeaderEpochCache.open(dir);

        cache.assign(-1, 0);

        assertThat(cache.entries()).isEmpty();
        assertThat(Files.exists(checkpointFile())).isFalse();
    }

    @Test
    void aNewerEpochStartingBelowOlderStartsReplacesThem() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        cache.assign(6, 10);

        assertThat(cache.entries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(6, 10));
    }

    @Test
    void truncateFromEndDropsEpochsStartingAtOrAfterTheOffset() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        cache.truncateFromEnd(20);

        assertThat(cache.entries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(3, 10));
    }

    @Test
    void truncateFromEndInsideAnEpochKeepsThatEpoch() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        cache.truncateFromEnd(15);

        assertThat(cache.entries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(3, 10));
        assertThat(cache.latest()).contains(new EpochEntry(3, 10));
    }

    @Test
    void truncateFromEndAtZeroEmptiesTheCache() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        cache.truncateFromEnd(0);

        assertThat(cache.entries()).isEmpty();
        assertThat(LeaderEpochCache.open(dir).entries()).isEmpty();
    }

    @Test
    void truncateFromEndPastTheLastEpochChangesNothing() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        cache.truncateFromEnd(21);

        assertThat(cache.entries()).hasSize(3);
    }

    @Test
    void truncateFromStartDropsWhollyEarlierEpochsAndMovesTheFirstStartUp() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        cache.truncateFromStart(15);

        assertThat(cache.entries()).containsExactly(new EpochEntry(3, 15), new EpochEntry(5, 20));
    }

    @Test
    void truncateFromStartAtAnEpochsStartKeepsItFromThere() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        cache.truncateFromStart(20);

        assertThat(cache.entries()).containsExactly(new EpochEntry(5, 20));
    }

    @Test
    void truncateFromStartPastTheLastEpochsStartKeepsTheLastEpoch() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        cache.truncateFromStart(25);

        assertThat(cache.entries()).containsExactly(new EpochEntry(5, 25));
    }

    @Test
    void truncateFromStartInsideTheFirstEpochOnlyMovesItsStart() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        cache.truncateFromStart(5);

        assertThat(cache.entries()).containsExactly(new EpochEntry(1, 5), new EpochEntry(3, 10), new EpochEntry(5, 20));
    }

    @Test
    void truncateFromStartBelowTheFirstEpochChangesNothing() throws Exception {
        LeaderEpochCache cache = LeaderEpochCache.open(dir);
        cache.assign(2, 10);

        cache.truncateFromStart(5);

        assertThat(cache.entries()).containsExactly(new EpochEntry(2, 10));
    }

    @Test
    void endOffsetOfTheLatestEpochIsTheLogEnd() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        assertThat(cache.endOffsetFor(5, 30)).contains(new EpochEntry(5, 30));
    }

    @Test
    void endOffsetOfANewerEpochThanAnyIsTheLatestEpochsEnd() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        assertThat(cache.endOffsetFor(9, 30)).contains(new EpochEntry(5, 30));
    }

    @Test
    void endOffsetOfAnOlderEpochIsTheNextEpochsStart() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        assertThat(cache.endOffsetFor(1, 30)).contains(new EpochEntry(1, 10));
        assertThat(cache.endOffsetFor(3, 30)).contains(new EpochEntry(3, 20));
    }

    @Test
    void endOffsetOfAnUnknownEpochBetweenTwoIsTheEndOfTheOneBelowIt() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        assertThat(cache.endOffsetFor(2, 30)).contains(new EpochEntry(1, 10));
        assertThat(cache.endOffsetFor(4, 30)).contains(new EpochEntry(3, 20));
    }

    @Test
    void endOffsetOfAnEpochOlderThanAllIsEmpty() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();

        assertThat(cache.endOffsetFor(0, 30)).isEmpty();
        assertThat(LeaderEpochCache.open(dir).endOffsetFor(-1, 30)).isEmpty();
    }

    @Test
    void endOffsetOfAnyEpochInAnEmptyCacheIsEmpty() throws Exception {
        assertThat(LeaderEpochCache.open(dir).endOffsetFor(3, 30)).isEmpty();
    }

    @Test
    void everyChangeIsPersistedAndReloadedFromThePartitionDirectory() throws Exception {
        openWithThreeEpochs();

        assertThat(Files.exists(checkpointFile())).isTrue();
        assertThat(LeaderEpochCache.open(dir).entries())
                .containsExactly(new EpochEntry(1, 0), new EpochEntry(3, 10), new EpochEntry(5, 20));
    }

    @Test
    void truncationsArePersisted() throws Exception {
        LeaderEpochCache cache = openWithThreeEpochs();
        cache.truncateFromEnd(20);
        cache.truncateFromStart(12);

        assertThat(LeaderEpochCache.open(dir).entries()).containsExactly(new EpochEntry(3, 12));
    }

    @Test
    void theCheckpointUsesTheCheckpointFileFormat() throws Exception {
        openWithThreeEpochs();

        assertThat(Files.readAllLines(checkpointFile())).containsExactly("0", "3", "1 0", "3 10", "5 20");
    }

    @Test
    void aCorruptCheckpointOpensAsAnEmptyCache() throws Exception {
        Files.writeString(checkpointFile(), "0\n3\n1 0\n3 ten\n");

        LeaderEpochCache cache = LeaderEpochCache.open(dir);

        assertThat(cache.entries()).isEmpty();
        assertThat(cache.endOffsetFor(3, 30)).isEmpty();
    }

    @Test
    void aCheckpointWithAnUnknownVersionOpensAsAnEmptyCache() throws Exception {
        Files.writeString(checkpointFile(), "7\n1\n1 0\n");

        assertThat(LeaderEpochCache.open(dir).entries()).isEmpty();
    }

    @Test
    void aCheckpointOfBinaryGarbageOpensAsAnEmptyCache() throws Exception {
        Files.write(checkpointFile(), new byte[] {(byte) 0xFF, (byte) 0xFE, '\n', (byte) 0xC3, 0x28});

        assertThat(LeaderEpochCache.open(dir).entries()).isEmpty();
    }

    @Test
    void aCacheOpenedFromACorruptFileRewritesItOnTheNextAssign() throws Exception {
        Files.writeString(checkpointFile(), "garbage");
        LeaderEpochCache cache = LeaderEpochCache.open(dir);

        cache.assign(4, 100);

        assertThat(LeaderEpochCache.open(dir).entries()).containsExactly(new EpochEntry(4, 100));
    }

    @Test
    void reloadingSkipsEntriesThatDoNotIncrease() throws Exception {
        Files.writeString(checkpointFile(), "0\n4\n1 0\n3 10\n2 20\n4 5\n");

        assertThat(LeaderEpochCache.open(dir).entries()).containsExactly(new EpochEntry(1, 0), new EpochEntry(3, 10));
    }
}
