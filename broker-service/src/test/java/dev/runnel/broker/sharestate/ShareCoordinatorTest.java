package dev.runnel.broker.sharestate;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.stream.Stream;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.runnel.broker.sharestate.ShareStatePersister.Key;
import dev.runnel.broker.sharestate.ShareStatePersister.ShareState;
import dev.runnel.broker.sharestate.ShareStatePersister.StateBatch;
import dev.runnel.broker.sharestate.ShareStatePersister.Summary;
import dev.runnel.testing.ManualClock;

/**
 * The share coordinator over an in-memory {@code __share_group_state} of one partition: what each
 * API answers and writes, fencing by state and leader epoch, refusals that change nothing, the
 * coordinator's own errors, one operation at a time per key, and a reload that rebuilds exactly
 * what was written.
 */
class ShareCoordinatorTest {

    static final Executor DIRECT = Runnable::run;
    static final Uuid TOPIC = Uuid.fromString("K7kMuMVhQ9K3L4nq1Hq3Ew");
    static final Uuid UNKNOWN_TOPIC = Uuid.fromString("AAAAAAAAQ9K3L4nq1Hq3Ew");
    static final Key KEY = new Key("queue", TOPIC, 3);
    static final Key OTHER = new Key("queue", TOPIC, 4);

    final ManualClock clock = new ManualClock(1_000_000);
    final FakeShareStateLog log = new FakeShareStateLog();

    ShareCoordinator coordinator(Executor loader) {
        return new ShareCoordinator(log, clock, DIRECT, loader, () -> 1,
                (topicId, partition) -> topicId.equals(TOPIC) && partition < 8);
    }

    ShareCoordinator leading() {
        ShareCoordinator c = coordinator(DIRECT);
        c.onElection(0, 7);
        assertThat(c.isActive(0)).isTrue();
        return c;
    }

    static ShareState state(int stateEpoch, int leaderEpoch, long startOffset, StateBatch... batches) {
        return new ShareState(stateEpoch, leaderEpoch, startOffset, 2, List.of(batches));
    }

    static <T> ShareStateAnswer<T> done(CompletableFuture<ShareStateAnswer<T>> answer) {
        assertThat(answer).as("answered").isDone();
        return answer.join();
    }

    @Test
    void initializeThenReadAnswersAnEmptyStateAtTheStartOffset() {
        ShareCoordinator c = leading();

        assertThat(done(c.initialize(KEY, 1, 100)).error()).isEqualTo(Errors.NONE);

        ShareStateAnswer<Optional<ShareState>> read = done(c.read(KEY, 0));
        assertThat(read.error()).isEqualTo(Errors.NONE);
        assertThat(read.value()).contains(new ShareState(1, 0, 100, 0, List.of()));
        assertThat(log.records(0)).hasSize(1);
        assertThat(log.appendEpochs).as("written at the leader epoch loaded at").containsExactly(7);
    }

    @Test
    void aWriteReplacesTheWholeStateAndReadAndSummaryAnswerIt() {
        ShareCoordinator c = leading();
        c.initialize(KEY, 1, 100);
        ShareState first = state(1, 5, 100, new StateBatch(100, 109, (byte) 2, (short) 1),
                new StateBatch(110, 119, (byte) 0, (short) 2));
        ShareState second = state(1, 5, 105, new StateBatch(112, 112, (byte) 4, (short) 5));

        assertThat(done(c.write(KEY, first)).error()).isEqualTo(Errors.NONE);
        assertThat(done(c.write(KEY, second)).error()).isEqualTo(Errors.NONE);

        assertThat(done(c.read(KEY, 5)).value()).contains(second);
        assertThat(done(c.readSummary(KEY, -1)).value()).contains(new Summary(1, 5, 105, 2));
        assertThat(done(c.read(OTHER, 5)).value()).as("another share partition").isEmpty();
    }

    @Test
    void aWriteWithAnOlderStateEpochIsFencedAndChangesNothing() {
        ShareCoordinator c = leading();
        c.initialize(KEY, 3, 0);
        int records = log.size(0);

        ShareStateAnswer<Void> answer = done(c.write(KEY, state(2, 5, 0, new StateBatch(0, 0, (byte) 2, (short) 1))));

        assertThat(answer.error()).isEqualTo(Errors.FENCED_STATE_EPOCH);
        assertThat(answer.message()).contains("2").contains("3");
        assertThat(log.size(0)).isEqualTo(records);
        assertThat(done(c.read(KEY, 5)).value().orElseThrow().batches()).isEmpty();
    }

    @Test
    void aWriteWithAnOlderLeaderEpochIsFencedAndChangesNothing() {
        ShareCoordinator c = leading();
        c.initialize(KEY, 1, 0);
        c.write(KEY, state(1, 6, 0, new StateBatch(0, 4, (byte) 2, (short) 1)));
        int records = log.size(0);

        ShareStateAnswer<Void> answer = done(c.write(KEY, state(1, 5, 10)));

        assertThat(answer.error()).isEqualTo(Errors.FENCED_LEADER_EPOCH);
        assertThat(log.size(0)).isEqualTo(records);
        assertThat(done(c.read(KEY, 6)).value().orElseThrow().startOffset()).isZero();
    }

    @Test
    void aReadAtANewerLeaderEpochFencesTheOlderLeaderAlsoAfterTheCoordinatorMoves() {
        ShareCoordinator c = leading();
        c.initialize(KEY, 1, 0);
        c.write(KEY, state(1, 5, 0, new StateBatch(0, 4, (byte) 2, (short) 1)));

        ShareStateAnswer<Optional<ShareState>> takeover = done(c.read(KEY, 6));

        assertThat(takeover.value().orElseThrow().leaderEpoch()).isEqualTo(6);
        assertThat(takeover.value().orElseThrow().batches()).containsExactly(new StateBatch(0, 4, (byte) 2, (short) 1));
        assertThat(log.records(0).get(log.size(0) - 1).snapshot().leaderEpoch()).as("the takeover is written")
                .isEqualTo(6);
        assertThat(done(c.write(KEY, state(1, 5, 5))).error()).isEqualTo(Errors.FENCED_LEADER_EPOCH);

        ShareCoordinator next = coordinator(DIRECT);
        next.onElection(0, 8);
        assertThat(done(next.write(KEY, state(1, 5, 5))).error()).isEqualTo(Errors.FENCED_LEADER_EPOCH);
        assertThat(done(next.read(KEY, 5)).error()).isEqualTo(Errors.FENCED_LEADER_EPOCH);
        assertThat(done(next.write(KEY, state(1, 6, 5))).error()).isEqualTo(Errors.NONE);
    }

    @Test
    void aReadAtTheStoredLeaderEpochOrWithoutOneWritesNothing() {
        ShareCoordinator c = leading();
        c.initialize(KEY, 1, 0);
        c.write(KEY, state(1, 5, 0));
        int records = log.size(0);

        assertThat(done(c.read(KEY, 5)).value()).isPresent();
        assertThat(done(c.read(KEY, -1)).value()).isPresent();

        assertThat(log.size(0)).isEqualTo(records);
    }

    @Test
    void anInitializationWithAnOlderStateEpochIsFencedAndANewerOneResetsTheState() {
        ShareCoordinator c = leading();
        c.initialize(KEY, 2, 0);
        c.write(KEY, state(2, 5, 10, new StateBatch(10, 12, (byte) 4, (short) 5)));

        assertThat(done(c.initialize(KEY, 1, 50)).error()).isEqualTo(Errors.FENCED_STATE_EPOCH);
        assertThat(done(c.initialize(KEY, 3, 50)).error()).isEqualTo(Errors.NONE);

        assertThat(done(c.read(KEY, 5)).value()).contains(new ShareState(3, 5, 50, 0, List.of()));
        assertThat(done(c.write(KEY, state(2, 5, 60))).error()).as("the old state epoch's writer")
                .isEqualTo(Errors.FENCED_STATE_EPOCH);
    }

    @Test
    void aShareParTitionNeverInitializedReadsEmptyAndNothingIsWritten() {
        ShareCoordinator c = leading();

        assertThat(done(c.read(KEY, 4)).value()).isEmpty();
        assertThat(done(c.readSummary(KEY, -1)).value()).isEmpty();
        assertThat(done(c.delete(KEY)).error()).isEqualTo(Errors.NONE);

        assertThat(log.size(0)).isZero();
    }

    @Test
    void deleteWritesATombstoneAndTheStateIsGoneAlsoAfterAReload() {
        ShareCoordinator c = leading();
        c.initialize(KEY, 1, 0);
        c.write(KEY, state(1, 5, 0, new StateBatch(0, 0, (byte) 2, (short) 1)));

        assertThat(done(c.delete(KEY)).error()).isEqualTo(Errors.NONE);

        assertThat(log.records(0).get(log.size(0) - 1)).isEqualTo(new ShareStateRecord(KEY, null));
        assertThat(done(c.read(KEY, 5)).value()).isEmpty();
        ShareCoordinator next = coordinator(DIRECT);
        next.onElection(0, 8);
        assertThat(done(next.read(KEY, 5)).value()).isEmpty();
        assertThat(done(next.write(KEY, state(0, 1, 0))).error()).as("no fence survives the deletion")
                .isEqualTo(Errors.NONE);
    }

    static Stream<Arguments> badRequests() {
        ShareState ok = state(1, 5, 10);
        return Stream.of(
                Arguments.of("empty group id", new Key("", TOPIC, 0), ok),
                Arguments.of("no topic id", new Key("g", Uuid.ZERO_UUID, 0), ok),
                Arguments.of("negative partition", new Key("g", TOPIC, -1), ok),
                Arguments.of("negative state epoch", KEY, state(-1, 5, 10)),
                Arguments.of("start offset below -1", KEY, state(1, 5, -2)),
                Arguments.of("overlapping batches", KEY, state(1, 5, 10, new StateBatch(10, 20, (byte) 0, (short) 1),
                        new StateBatch(20, 30, (byte) 2, (short) 1))),
                Arguments.of("unordered batches", KEY, state(1, 5, 10, new StateBatch(30, 40, (byte) 0, (short) 1),
                        new StateBatch(10, 20, (byte) 2, (short) 1))),
                Arguments.of("a reversed range", KEY, state(1, 5, 10, new StateBatch(20, 10, (byte) 0, (short) 1))),
                Arguments.of("below the start offset", KEY, state(1, 5, 10, new StateBatch(5, 12, (byte) 0, (short) 1))),
                Arguments.of("ACQUIRED is never persisted", KEY, state(1, 5, 10,
                        new StateBatch(10, 12, (byte) 1, (short) 1))),
                Arguments.of("negative delivery count", KEY, state(1, 5, 10,
                        new StateBatch(10, 12, (byte) 0, (short) -1))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void aBadWriteIsInvalidRequestAndChangesNothing(String why, Key key, ShareState bad) {
        ShareCoordinator c = leading();
        c.initialize(KEY, 1, 0);
        int records = log.size(0);

        ShareStateAnswer<Void> answer = done(c.write(key, bad));

        assertThat(answer.error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(answer.message()).isNotBlank();
        assertThat(log.size(0)).isEqualTo(records);
        assertThat(done(c.read(KEY, -1)).value()).contains(new ShareState(1, 0, 0, 0, List.of()));
    }

    @Test
    void anUnknownTopicPartitionIsRefusedAndNothingIsWritten() {
        ShareCoordinator c = leading();

        assertThat(done(c.initialize(new Key("g", UNKNOWN_TOPIC, 0), 1, 0)).error())
                .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(done(c.write(new Key("g", TOPIC, 8), state(1, 1, 0))).error())
                .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(done(c.read(new Key("g", TOPIC, 9), 1)).error()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(log.size(0)).isZero();
    }

    @Test
    void aPartitionNotLedHereIsNotCoordinatorAndOneLoadingIsLoadInProgress() {
        List<Runnable> loads = new ArrayList<>();
        ShareCoordinator c = coordinator(loads::add);

        assertThat(done(c.read(KEY, 1)).error()).isEqualTo(Errors.NOT_COORDINATOR);
        c.onElection(0, 3);
        assertThat(done(c.read(KEY, 1)).error()).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS);
        assertThat(c.isActive(0)).isFalse();

        loads.forEach(Runnable::run);
        assertThat(done(c.read(KEY, 1)).error()).isEqualTo(Errors.NONE);

        c.onResignation(0, 3);
        assertThat(done(c.write(KEY, state(1, 1, 0))).error()).isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(log.size(0)).isZero();
    }

    @Test
    void anElectionAtAnEpochNotAboveTheHostedOneChangesNothingAndAnOlderResignationIsIgnored() {
        ShareCoordinator c = leading();
        c.initialize(KEY, 1, 0);

        c.onElection(0, 7);
        c.onResignation(0, 6);

        assertThat(done(c.read(KEY, -1)).value()).isPresent();
        assertThat(log.appendEpochs).containsExactly(7);
    }

    @Test
    void aFailedAppendAnswersTheCoordinatorErrorAndChangesNothing() {
        ShareCoordinator c = leading();
        c.initialize(KEY, 1, 0);

        log.failWith = Errors.NOT_ENOUGH_REPLICAS;
        assertThat(done(c.write(KEY, state(1, 5, 7))).error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        log.failWith = Errors.NOT_LEADER_OR_FOLLOWER;
        assertThat(done(c.write(KEY, state(1, 5, 7))).error()).isEqualTo(Errors.NOT_COORDINATOR);
        log.failWith = Errors.FENCED_LEADER_EPOCH;
        assertThat(done(c.read(KEY, 5)).error()).as("the partition's leadership moved").isEqualTo(Errors.NOT_COORDINATOR);
        log.failWith = null;

        assertThat(done(c.read(KEY, -1)).value()).contains(new ShareState(1, 0, 0, 0, List.of()));
    }

    @Test
    void theOperationsOfOneKeyDecideOneAtATimeOnWhatThePreviousOneWrote() {
        ShareCoordinator c = leading();
        c.initialize(KEY, 1, 0);
        log.hold = true;

        CompletableFuture<ShareStateAnswer<Void>> write = c.write(KEY, state(1, 5, 3,
                new StateBatch(3, 4, (byte) 2, (short) 1)));
        CompletableFuture<ShareStateAnswer<Optional<ShareState>>> takeover = c.read(KEY, 6);
        CompletableFuture<ShareStateAnswer<Optional<ShareState>>> other = c.read(OTHER, 6);

        assertThat(other).as("another key does not wait").isDone();
        assertThat(write).isNotDone();
        assertThat(takeover).as("waits for the write before it").isNotDone();
        log.release();
        assertThat(done(write).error()).isEqualTo(Errors.NONE);
        log.release();

        ShareState read = done(takeover).value().orElseThrow();
        assertThat(read.startOffset()).isEqualTo(3);
        assertThat(read.leaderEpoch()).isEqualTo(6);
        assertThat(log.records(0).get(log.size(0) - 1).snapshot().batches())
                .as("the takeover's snapshot keeps the write's batches")
                .containsExactly(new StateBatch(3, 4, (byte) 2, (short) 1));
    }

    @Test
    void aWriteThatCompletesAfterTheResignationAnswersNotCoordinatorAndIsNotApplied() {
        ShareCoordinator c = leading();
        c.initialize(KEY, 1, 0);
        log.hold = true;
        CompletableFuture<ShareStateAnswer<Void>> write = c.write(KEY, state(1, 5, 3));

        c.onResignation(0, 7);
        log.release();

        assertThat(done(write).error()).isEqualTo(Errors.NOT_COORDINATOR);
    }

    @Test
    void aReloadRebuildsExactlyTheStatesBeforeIt() {
        ShareCoordinator c = leading();
        Key a = new Key("a", TOPIC, 0);
        Key b = new Key("b", TOPIC, 1);
        Key gone = new Key("c", TOPIC, 2);
        c.initialize(a, 1, 0);
        c.initialize(b, 4, -1);
        c.initialize(gone, 1, 0);
        c.write(a, state(1, 2, 10, new StateBatch(10, 19, (byte) 4, (short) 5), new StateBatch(25, 25, (byte) 0, (short) 2)));
        clock.advance(Duration.ofSeconds(1));
        c.write(a, new ShareState(1, 3, 15, -1, List.of(new StateBatch(15, 19, (byte) 4, (short) 5))));
        c.read(b, 9);
        c.write(gone, state(1, 1, 0));
        c.delete(gone);
        var before = c.states(0);

        ShareCoordinator next = coordinator(DIRECT);
        next.onElection(0, 8);

        assertThat(next.states(0)).isEqualTo(before);
        assertThat(before.keySet()).isEqualTo(Set.of(a, b));
        assertThat(before.get(a).createTimestamp()).isEqualTo(1_000_000);
        assertThat(before.get(a).writeTimestamp()).isEqualTo(1_001_000);
        assertThat(before.get(a).deliveryCompleteCount()).isEqualTo(-1);
    }

    @Test
    void aLoadSkipsRecordsItCannotReadAndLoadsTheRest() {
        ShareCoordinator c = leading();
        c.initialize(KEY, 1, 0);
        log.preload(0, new byte[] {0, 7, 2}, new byte[] {9});
        log.preload(0, new byte[] {0, 1, 0, 1, 'g'}, new byte[] {0});
        log.preload(0, new byte[] {0, 0, 0, 5, 'g'}, null);
        log.preload(0, ShareStateRecordCodec.key(new Key("x", TOPIC, 0)), new byte[] {0, 0, 0, 1});
        c.initialize(OTHER, 2, 5);

        ShareCoordinator next = coordinator(DIRECT);
        next.onElection(0, 8);

        assertThat(next.states(0).keySet()).containsExactlyInAnyOrder(KEY, OTHER);
    }

    @Test
    void theCoordinatorKeyIsKafkasAndParsesBack() {
        assertThat(ShareCoordinator.coordinatorKey(KEY)).isEqualTo("queue:K7kMuMVhQ9K3L4nq1Hq3Ew:3");
        assertThat(ShareCoordinator.parseCoordinatorKey("my:group:K7kMuMVhQ9K3L4nq1Hq3Ew:12"))
                .contains(new Key("my:group", TOPIC, 12));
        assertThat(ShareCoordinator.parseCoordinatorKey("queue:not-a-uuid:3")).isEmpty();
        assertThat(ShareCoordinator.parseCoordinatorKey("queue:K7kMuMVhQ9K3L4nq1Hq3Ew")).isEmpty();
        assertThat(ShareCoordinator.parseCoordinatorKey(":K7kMuMVhQ9K3L4nq1Hq3Ew:3")).isEmpty();
        assertThat(ShareCoordinator.parseCoordinatorKey("queue:K7kMuMVhQ9K3L4nq1Hq3Ew:-1")).isEmpty();
    }
}
