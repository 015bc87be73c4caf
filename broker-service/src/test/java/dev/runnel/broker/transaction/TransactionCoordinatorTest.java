package dev.runnel.broker.transaction;

import static dev.runnel.broker.transaction.TransactionState.COMPLETE_ABORT;
import static dev.runnel.broker.transaction.TransactionState.COMPLETE_COMMIT;
import static dev.runnel.broker.transaction.TransactionState.EMPTY;
import static dev.runnel.broker.transaction.TransactionState.ONGOING;
import static dev.runnel.broker.transaction.TransactionState.PREPARE_ABORT;
import static dev.runnel.broker.transaction.TransactionState.PREPARE_COMMIT;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.runnel.broker.transaction.TransactionCoordinator.InitProducerIdResult;
import dev.runnel.broker.transaction.TransactionCoordinator.Verification;
import dev.runnel.common.TopicPartition;

/**
 * InitProducerId, AddPartitionsToTxn (and verify-only), AddOffsetsToTxn and EndTxn. The timeout
 * runs the test on its own thread, since a join() on a future that never completes cannot be
 * interrupted.
 */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TransactionCoordinatorTest extends CoordinatorFixture {

    @BeforeEach
    void leadTheIdsPartition() {
        start();
        coordinator.onElection(partition, EPOCH);
    }

    // ---------------------------------------------------------------- InitProducerId

    @Test
    void aNewIdGetsANewProducerIdAtEpochZeroWrittenAsEmpty() {
        InitProducerIdResult result = init();

        assertThat(result).isEqualTo(producer(1000, 0));
        assertThat(lastWritten()).isEqualTo(new TransactionTransition(1000, 1000, -1, (short) 0, (short) -1, TIMEOUT_MS,
                EMPTY, Set.of(), -1, clock.millis()));
        assertThat(log.appendEpochs).as("written as the leader at the loaded epoch").containsExactly(EPOCH);
    }

    @Test
    void initProducerIdAgainBumpsTheEpochAndFencesTheOldInstance() {
        InitProducerIdResult old = init();
        InitProducerIdResult current = init();

        assertThat(current).isEqualTo(producer(1000, 1));
        assertThat(add(old, ORDERS_0)).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(init(1000, 0).error()).as("the old instance is no retry: last epoch -1").isEqualTo(Errors.PRODUCER_FENCED);
    }

    @Test
    void badRequestsAreRefusedAndWriteNothing() {
        assertThat(coordinator.initProducerId(ID, 0, -1, (short) -1).join().error()).isEqualTo(Errors.INVALID_TRANSACTION_TIMEOUT);
        assertThat(coordinator.initProducerId(ID, 900_001, -1, (short) -1).join().error())
                .isEqualTo(Errors.INVALID_TRANSACTION_TIMEOUT);
        assertThat(coordinator.initProducerId("", TIMEOUT_MS, -1, (short) -1).join().error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(coordinator.initProducerId(ID, TIMEOUT_MS, 1000, (short) -1).join().error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(log.records(partition)).isEmpty();
        assertThat(coordinator.initProducerId(ID, 900_000, -1, (short) -1).join().error()).isEqualTo(Errors.NONE);
    }

    @Test
    void anIdempotentProducerGetsAFreshProducerIdWithoutAWrite() {
        assertThat(coordinator.initProducerId(null, TIMEOUT_MS, -1, (short) -1).join()).isEqualTo(producer(1000, 0));
        assertThat(log.partitions).isEmpty();
    }

    @Test
    void idsOfOtherPartitionsAreNotServedHere() {
        String other = idOfAnotherPartition();

        assertThat(coordinator.initProducerId(other, TIMEOUT_MS, -1, (short) -1).join().error()).isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(coordinator.addPartitionsToTxn(other, 1, (short) 0, Set.of(ORDERS_0)).join())
                .containsEntry(ORDERS_0, Errors.NOT_COORDINATOR);
        assertThat(coordinator.endTxn(other, 1, (short) 0, TransactionResult.COMMIT).join()).isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(coordinator.verifyPartitionsInTxn(other, 1, (short) 0, Set.of(ORDERS_0)).join().error())
                .isEqualTo(Errors.NOT_COORDINATOR);
    }

    @Test
    void aProducerRecoveringFromAnAbortableErrorKeepsItsIdAndItsRetryIsAnsweredTheSame() {
        InitProducerIdResult producer = ongoing();
        assertThat(end(producer, TransactionResult.ABORT)).isEqualTo(Errors.NONE);

        assertThat(init(1000, 0)).isEqualTo(producer(1000, 1));
        assertThat(init(1000, 0)).as("a retry whose answer was lost").isEqualTo(producer(1000, 1));
        assertThat(init(1000, 5).error()).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(init(999, 1).error()).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(init(1000, 1)).isEqualTo(producer(1000, 2));
    }

    @Test
    void anExhaustedEpochMovesTheIdToANewProducerId() {
        log.preload(partition, ID, new TransactionTransition(500, 500, -1, (short) (Short.MAX_VALUE - 2), (short) -1,
                TIMEOUT_MS, EMPTY, Set.of(), -1, clock.millis()));
        coordinator.onElection(partition, EPOCH + 1);

        assertThat(init()).isEqualTo(producer(500, Short.MAX_VALUE - 1));
        assertThat(init(500, Short.MAX_VALUE - 1)).isEqualTo(producer(1000, 0));
        assertThat(lastWritten().prevProducerId()).isEqualTo(500);
        assertThat(init(500, Short.MAX_VALUE - 1)).as("the retry of the rotation").isEqualTo(producer(1000, 0));
        assertThat(init(500, 3).error()).isEqualTo(Errors.PRODUCER_FENCED);
    }

    @Test
    void fencingAnExhaustedEpochUsesTheLastEpochThenRotates() {
        log.preload(partition, ID, new TransactionTransition(500, 500, -1, (short) (Short.MAX_VALUE - 1), (short) -1,
                TIMEOUT_MS, ONGOING, Set.of(ORDERS_0), clock.millis(), clock.millis()));
        coordinator.onElection(partition, EPOCH + 1);

        assertThat(init().error()).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(markers.last().producerEpoch()).isEqualTo(Short.MAX_VALUE);
        assertThat(metadata().state()).isEqualTo(COMPLETE_ABORT);
        assertThat(init()).isEqualTo(producer(1000, 0));
    }

    @Test
    void initProducerIdOnAnOpenTransactionAbortsItWithABumpedEpochAndAnswersConcurrentTransactions() {
        InitProducerIdResult old = ongoing();
        markers.hold = true;

        assertThat(init().error()).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);

        assertThat(lastWritten().state()).isEqualTo(PREPARE_ABORT);
        assertThat(lastWritten().producerEpoch()).isEqualTo((short) 1);
        assertThat(markers.last()).isEqualTo(new TransactionMarkerSender.Markers(partition, ID, 1000, (short) 1, EPOCH,
                TransactionResult.ABORT, Set.of(ORDERS_0)));
        assertThat(init().error()).as("markers still out").isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(end(old, TransactionResult.COMMIT)).isEqualTo(Errors.PRODUCER_FENCED);

        markers.writeAll();
        assertThat(writtenStates()).containsExactly(EMPTY, ONGOING, PREPARE_ABORT, COMPLETE_ABORT);
        assertThat(init()).isEqualTo(producer(1000, 2));
        assertThat(add(old, ORDERS_1)).isEqualTo(Errors.PRODUCER_FENCED);
    }

    // ---------------------------------------------------------------- AddPartitionsToTxn, AddOffsetsToTxn, verify

    @Test
    void addingPartitionsOpensTheTransactionAndAddingThemAgainWritesNothing() {
        InitProducerIdResult producer = init();
        long started = clock.millis();

        assertThat(add(producer, ORDERS_0, ORDERS_1)).isEqualTo(Errors.NONE);
        clock.advance(Duration.ofSeconds(1));
        int records = log.records(partition).size();
        assertThat(add(producer, ORDERS_1)).isEqualTo(Errors.NONE);

        assertThat(log.records(partition)).hasSize(records);
        assertThat(lastWritten().state()).isEqualTo(ONGOING);
        assertThat(lastWritten().partitions()).containsExactlyInAnyOrder(ORDERS_0, ORDERS_1);
        assertThat(lastWritten().txnStartTimestamp()).isEqualTo(started);
    }

    @Test
    void addPartitionsChecksTheProducer() {
        InitProducerIdResult producer = init();

        assertThat(add(producer(999, 0), ORDERS_0)).isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
        assertThat(add(producer(1000, 1), ORDERS_0)).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(coordinator.addPartitionsToTxn("unknown-id", 1000, (short) 0, Set.of(ORDERS_0)).join()).containsEntry(ORDERS_0,
                coordinator.partitionFor("unknown-id") == partition ? Errors.INVALID_PRODUCER_ID_MAPPING : Errors.NOT_COORDINATOR);
        assertThat(coordinator.addPartitionsToTxn("", 1000, (short) 0, Set.of(ORDERS_0)).join())
                .containsEntry(ORDERS_0, Errors.INVALID_REQUEST);
        assertThat(metadata().state()).isEqualTo(EMPTY);
        assertThat(add(producer, ORDERS_0)).isEqualTo(Errors.NONE);
    }

    @Test
    void whileAWriteIsPendingOrMarkersAreOutOtherRequestsGetConcurrentTransactions() {
        InitProducerIdResult producer = init();
        log.hold = true;
        CompletableFuture<Map<TopicPartition, Errors>> adding = coordinator.addPartitionsToTxn(ID, 1000, (short) 0, Set.of(ORDERS_0));

        assertThat(add(producer, ORDERS_1)).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(end(producer, TransactionResult.COMMIT)).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(init().error()).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        log.hold = false;
        log.release();
        assertThat(adding.join()).containsEntry(ORDERS_0, Errors.NONE);

        markers.hold = true;
        assertThat(end(producer, TransactionResult.COMMIT)).isEqualTo(Errors.NONE);
        assertThat(add(producer, ORDERS_1)).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(end(producer, TransactionResult.COMMIT)).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(end(producer, TransactionResult.ABORT)).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
    }

    @Test
    void addOffsetsAddsTheGroupsOffsetsPartition() {
        InitProducerIdResult producer = init();
        TopicPartition offsets = new TopicPartition("__consumer_offsets", Math.abs("orders-app".hashCode()) % 50);

        assertThat(coordinator.addOffsetsToTxn(ID, 1000, (short) 0, "orders-app").join()).isEqualTo(Errors.NONE);
        assertThat(metadata().partitions()).containsExactly(offsets);
        assertThat(coordinator.addOffsetsToTxn(ID, 1000, (short) 1, "orders-app").join()).isEqualTo(Errors.PRODUCER_FENCED);
    }

    @Test
    void verificationSaysWhichPartitionsAreInTheOpenTransactionAndWritesNothing() {
        InitProducerIdResult producer = ongoing();
        int records = log.records(partition).size();

        Verification v = coordinator.verifyPartitionsInTxn(ID, 1000, (short) 0, Set.of(ORDERS_0, ORDERS_1)).join();

        assertThat(v.error()).isEqualTo(Errors.NONE);
        assertThat(v.notInTransaction()).containsExactly(ORDERS_1);
        assertThat(v.partitionErrors(Errors.TRANSACTION_ABORTABLE))
                .isEqualTo(Map.of(ORDERS_0, Errors.NONE, ORDERS_1, Errors.TRANSACTION_ABORTABLE));
        assertThat(v.partitionErrors(Errors.INVALID_TXN_STATE)).containsEntry(ORDERS_1, Errors.INVALID_TXN_STATE);
        assertThat(log.records(partition)).hasSize(records);

        assertThat(coordinator.verifyPartitionsInTxn(ID, 1000, (short) 1, Set.of(ORDERS_0)).join().partitionErrors(
                Errors.TRANSACTION_ABORTABLE)).containsEntry(ORDERS_0, Errors.PRODUCER_FENCED);
        assertThat(coordinator.verifyPartitionsInTxn(ID, 999, (short) 0, Set.of(ORDERS_0)).join().error())
                .isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
        markers.hold = true;
        end(producer, TransactionResult.COMMIT);
        assertThat(coordinator.verifyPartitionsInTxn(ID, 1000, (short) 0, Set.of(ORDERS_0)).join().error())
                .isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
    }

    @Test
    void verificationIgnoresAPendingTransition() {
        InitProducerIdResult producer = ongoing();
        log.hold = true;
        coordinator.addPartitionsToTxn(ID, 1000, (short) 0, Set.of(ORDERS_1));

        Verification v = coordinator.verifyPartitionsInTxn(ID, 1000, (short) 0, Set.of(ORDERS_0, ORDERS_1)).join();

        assertThat(v.error()).isEqualTo(Errors.NONE);
        assertThat(v.notInTransaction()).as("not written yet").containsExactly(ORDERS_1);
    }

    // ---------------------------------------------------------------- EndTxn

    @Test
    void commitWritesPrepareAnswersThenWritesCompleteOnceTheMarkersAreIn() {
        InitProducerIdResult producer = ongoing();
        markers.hold = true;

        assertThat(end(producer, TransactionResult.COMMIT)).as("answered before the markers").isEqualTo(Errors.NONE);

        assertThat(lastWritten().state()).isEqualTo(PREPARE_COMMIT);
        assertThat(lastWritten().partitions()).containsExactly(ORDERS_0);
        assertThat(markers.last()).isEqualTo(new TransactionMarkerSender.Markers(partition, ID, 1000, (short) 0, EPOCH,
                TransactionResult.COMMIT, Set.of(ORDERS_0)));
        assertThat(metadata().pendingState()).isEqualTo(COMPLETE_COMMIT);

        markers.writeAll();

        assertThat(writtenStates()).containsExactly(EMPTY, ONGOING, PREPARE_COMMIT, COMPLETE_COMMIT);
        assertThat(lastWritten().partitions()).isEmpty();
        assertThat(metadata().state()).isEqualTo(COMPLETE_COMMIT);
        assertThat(metadata().hasPendingTransition()).isFalse();
    }

    @Test
    void abortWritesPrepareAbortAndCompleteAbort() {
        InitProducerIdResult producer = ongoing();

        assertThat(end(producer, TransactionResult.ABORT)).isEqualTo(Errors.NONE);

        assertThat(writtenStates()).containsExactly(EMPTY, ONGOING, PREPARE_ABORT, COMPLETE_ABORT);
        assertThat(markers.last().result()).isEqualTo(TransactionResult.ABORT);
        assertThat(lastWritten().producerEpoch()).as("no bump at transaction.version 1").isZero();
    }

    @Test
    void aRetriedEndTxnIsAnsweredByTheCompletedResult() {
        InitProducerIdResult producer = ongoing();
        end(producer, TransactionResult.COMMIT);
        int records = log.records(partition).size();

        assertThat(end(producer, TransactionResult.COMMIT)).isEqualTo(Errors.NONE);
        assertThat(end(producer, TransactionResult.ABORT)).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(log.records(partition)).hasSize(records);

        assertThat(add(producer, ORDERS_1)).isEqualTo(Errors.NONE);
        end(producer, TransactionResult.ABORT);
        assertThat(end(producer, TransactionResult.ABORT)).isEqualTo(Errors.NONE);
        assertThat(end(producer, TransactionResult.COMMIT)).isEqualTo(Errors.INVALID_TXN_STATE);
    }

    @Test
    void endTxnWithoutATransactionOrFromAnotherProducerIsRefused() {
        InitProducerIdResult producer = init();

        assertThat(end(producer, TransactionResult.COMMIT)).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(end(producer, TransactionResult.ABORT)).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(end(producer(999, 0), TransactionResult.COMMIT)).isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
        assertThat(end(producer(1000, 1), TransactionResult.COMMIT)).as("a producer may not bump its epoch")
                .isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(coordinator.endTxn("", 1000, (short) 0, TransactionResult.COMMIT).join()).isEqualTo(Errors.INVALID_REQUEST);
    }

    @Test
    void inPrepareWithoutAPendingTransitionTheSameResultIsConcurrentAndTheOppositeInvalid() {
        InitProducerIdResult producer = ongoing();
        TransactionMetadata m = metadata();
        m.completeTransition(m.prepareAbortOrCommit(PREPARE_COMMIT, clock.millis())); // as a load leaves it
        EndTransactions ends = new EndTransactions(manager, markers, clock, scheduler, Duration.ZERO);
        TransactionStateManager.Hosted hosted = manager.hostedFor(ID);
        Errors[] answer = new Errors[1];

        ends.endTransaction(hosted, ID, 1000, (short) 0, TransactionResult.COMMIT, true, e -> answer[0] = e);
        assertThat(answer[0]).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        ends.endTransaction(hosted, ID, 1000, (short) 0, TransactionResult.ABORT, true, e -> answer[0] = e);
        assertThat(answer[0]).isEqualTo(Errors.INVALID_TXN_STATE);

        m.completeTransition(m.prepareComplete(clock.millis()));
        m.completeTransition(m.prepareAddPartitions(Set.of(ORDERS_0), clock.millis()));
        m.completeTransition(m.prepareAbortOrCommit(PREPARE_ABORT, clock.millis()));
        ends.endTransaction(hosted, ID, 1000, (short) 0, TransactionResult.ABORT, true, e -> answer[0] = e);
        assertThat(answer[0]).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        ends.endTransaction(hosted, ID, 1000, (short) 0, TransactionResult.COMMIT, true, e -> answer[0] = e);
        assertThat(answer[0]).isEqualTo(Errors.INVALID_TXN_STATE);
    }

    // ---------------------------------------------------------------- failed writes

    @Test
    void aFailedWriteClearsThePendingStateAndAnswersTheCoordinatorError() {
        InitProducerIdResult producer = init();
        Map<Errors, Errors> mapping = Map.of(Errors.NOT_ENOUGH_REPLICAS, Errors.COORDINATOR_NOT_AVAILABLE,
                Errors.REQUEST_TIMED_OUT, Errors.COORDINATOR_NOT_AVAILABLE,
                Errors.NOT_LEADER_OR_FOLLOWER, Errors.NOT_COORDINATOR,
                Errors.KAFKA_STORAGE_ERROR, Errors.NOT_COORDINATOR,
                Errors.MESSAGE_TOO_LARGE, Errors.UNKNOWN_SERVER_ERROR);
        mapping.forEach((appendError, answered) -> {
            log.failWith = appendError;
            assertThat(add(producer, ORDERS_0)).as("append failing with %s", appendError).isEqualTo(answered);
            assertThat(metadata().hasPendingTransition()).isFalse();
            assertThat(metadata().state()).isEqualTo(EMPTY);
        });
        log.failWith = null;

        assertThat(add(producer, ORDERS_0)).isEqualTo(Errors.NONE);
    }

    @Test
    void aFailedEndTxnWriteLeavesTheTransactionOpenAndSendsNoMarkers() {
        InitProducerIdResult producer = ongoing();
        log.failWith = Errors.NOT_ENOUGH_REPLICAS;

        assertThat(end(producer, TransactionResult.COMMIT)).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(metadata().state()).isEqualTo(ONGOING);
        assertThat(metadata().hasPendingTransition()).isFalse();
        assertThat(markers.sent).isEmpty();
        assertThat(init().error()).as("InitProducerId still fails: the fence cannot be written")
                .isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(init().error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);

        log.failWith = null;
        assertThat(init().error()).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(lastWritten().producerEpoch()).as("failed fences never bumped twice").isEqualTo((short) 1);
        assertThat(init()).isEqualTo(producer(1000, 2));
    }

    @Test
    void aFailedCompleteWriteIsRetriedAfterTheBackOff() {
        InitProducerIdResult producer = ongoing();
        markers.hold = true;
        end(producer, TransactionResult.COMMIT);
        log.failWith = Errors.NOT_ENOUGH_REPLICAS;

        markers.writeAll();
        assertThat(metadata().state()).isEqualTo(PREPARE_COMMIT);
        assertThat(metadata().pendingState()).isEqualTo(COMPLETE_COMMIT);

        advance(TransactionSettings.DEFAULTS.completionRetryBackoff());
        assertThat(metadata().state()).as("still failing").isEqualTo(PREPARE_COMMIT);
        log.failWith = null;
        advance(TransactionSettings.DEFAULTS.completionRetryBackoff());

        assertThat(metadata().state()).isEqualTo(COMPLETE_COMMIT);
        assertThat(end(producer, TransactionResult.COMMIT)).isEqualTo(Errors.NONE);
    }

    @Test
    void markersGivenUpLeaveTheTransactionToTheNextCoordinator() {
        InitProducerIdResult producer = ongoing();
        markers.hold = true;
        end(producer, TransactionResult.COMMIT);

        markers.failAll(Errors.TRANSACTION_COORDINATOR_FENCED);

        assertThat(metadata().state()).isEqualTo(PREPARE_COMMIT);
        assertThat(writtenStates()).doesNotContain(COMPLETE_COMMIT);
        assertThat(end(producer, TransactionResult.COMMIT)).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
    }

    @Test
    void aWriteThatCompletesAfterLeadershipMovedAppliesNothing() {
        InitProducerIdResult producer = init();
        log.hold = true;
        CompletableFuture<Map<TopicPartition, Errors>> adding = coordinator.addPartitionsToTxn(ID, 1000, (short) 0, Set.of(ORDERS_0));

        coordinator.onResignation(partition, EPOCH);
        log.release();

        assertThat(adding.join()).containsEntry(ORDERS_0, Errors.NOT_COORDINATOR);
        assertThat(markers.removed).containsExactly(partition, partition);
        assertThat(coordinator.initProducerId(ID, TIMEOUT_MS, -1, (short) -1).join().error()).isEqualTo(Errors.NOT_COORDINATOR);
    }
}
