package dev.runnel.broker.transaction;

import static dev.runnel.broker.transaction.TransactionState.COMPLETE_ABORT;
import static dev.runnel.broker.transaction.TransactionState.COMPLETE_COMMIT;
import static dev.runnel.broker.transaction.TransactionState.EMPTY;
import static dev.runnel.broker.transaction.TransactionState.ONGOING;
import static dev.runnel.broker.transaction.TransactionState.PREPARE_ABORT;
import static dev.runnel.broker.transaction.TransactionState.PREPARE_COMMIT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.runnel.broker.transaction.TransactionCoordinator.InitProducerIdResult;

/** Loading a {@code __transaction_state} partition on election, finishing what it left in Prepare*, and unloading. */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TransactionLoadTest extends CoordinatorFixture {

    @BeforeEach
    void startTheCoordinator() {
        start();
    }

    TransactionTransition record(long producerId, int epoch, TransactionState state) {
        boolean open = state == ONGOING || state.isPrepare();
        return new TransactionTransition(producerId, producerId, -1, (short) epoch, (short) -1, TIMEOUT_MS, state,
                open ? Set.of(ORDERS_0, ORDERS_1) : Set.of(), state == EMPTY ? -1 : clock.millis() - 1_000, clock.millis());
    }

    @Test
    void aLoadRebuildsWhatThePreviousCoordinatorWrote() {
        coordinator.onElection(partition, EPOCH);
        InitProducerIdResult producer = ongoing();
        TransactionTransition written = lastWritten();

        coordinator.onResignation(partition, EPOCH);
        coordinator.onElection(partition, EPOCH + 1);

        TransactionMetadata m = metadata();
        assertThat(m.state()).isEqualTo(ONGOING);
        assertThat(m.producerId()).isEqualTo(producer.producerId());
        assertThat(m.producerEpoch()).isEqualTo(producer.producerEpoch());
        assertThat(m.partitions()).isEqualTo(written.partitions());
        assertThat(m.txnStartTimestamp()).isEqualTo(written.txnStartTimestamp());
        assertThat(m.lastProducerEpoch()).as("not persisted").isEqualTo((short) -1);
        assertThat(end(producer, TransactionResult.COMMIT)).isEqualTo(Errors.NONE);
        assertThat(log.appendEpochs).as("the new coordinator writes at its own epoch").endsWith(EPOCH + 1, EPOCH + 1);
    }

    @Test
    void theLastRecordOfAnIdWinsAndATombstoneForgetsIt() {
        log.preload(partition, ID, record(500, 3, ONGOING));
        log.preload(partition, ID, record(500, 4, EMPTY));
        log.preload(partition, "gone-tx", record(600, 0, EMPTY));
        log.preload(partition, "gone-tx", null);
        log.partitions.get(partition).add(new TransactionLog.Entry(new byte[] {0, 9}, new byte[] {1})); // unreadable

        coordinator.onElection(partition, EPOCH);

        assertThat(metadata().producerEpoch()).isEqualTo((short) 4);
        assertThat(metadata().state()).isEqualTo(EMPTY);
        assertThat(manager.hostedFor(ID).ids).containsOnlyKeys(ID);
    }

    @Test
    void aLoadFinishesATransactionLeftInPrepareCommitWithItsOwnCoordinatorEpoch() {
        log.preload(partition, ID, record(500, 3, PREPARE_COMMIT));
        markers.hold = true;

        coordinator.onElection(partition, EPOCH);

        assertThat(markers.sent).containsExactly(new TransactionMarkerSender.Markers(partition, ID, 500, (short) 3, EPOCH,
                TransactionResult.COMMIT, Set.of(ORDERS_0, ORDERS_1)));
        InitProducerIdResult producer = producer(500, 3);
        assertThat(end(producer, TransactionResult.COMMIT)).as("the client's retry while markers are out")
                .isEqualTo(Errors.CONCURRENT_TRANSACTIONS);

        markers.writeAll();

        assertThat(writtenStates()).containsExactly(PREPARE_COMMIT, COMPLETE_COMMIT);
        assertThat(end(producer, TransactionResult.COMMIT)).isEqualTo(Errors.NONE);
    }

    @Test
    void aLoadFinishesATransactionLeftInPrepareAbort() {
        log.preload(partition, ID, record(500, 3, PREPARE_ABORT));

        coordinator.onElection(partition, EPOCH);

        assertThat(markers.last().result()).isEqualTo(TransactionResult.ABORT);
        assertThat(metadata().state()).isEqualTo(COMPLETE_ABORT);
        assertThat(init()).isEqualTo(producer(500, 4));
    }

    @Test
    void whileLoadingEveryRequestIsToldToWait() {
        holdLoads = true;
        log.preload(partition, ID, record(500, 3, EMPTY));
        coordinator.onElection(partition, EPOCH);

        assertThat(init().error()).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS);
        assertThat(end(producer(500, 3), TransactionResult.COMMIT)).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS);
        assertThat(coordinator.describeTransactions(List.of(ID)).join().get(0).error())
                .isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS);
        assertThat(coordinator.listTransactions(Set.of(), Set.of(), -1).join().error())
                .isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS);
        assertThat(manager.isActive(partition)).isFalse();

        runLoads();

        assertThat(manager.isActive(partition)).isTrue();
        assertThat(init()).isEqualTo(producer(500, 4));
    }

    @Test
    void aLoadOvertakenByAResignationOrANewerElectionIsDropped() {
        holdLoads = true;
        log.preload(partition, ID, record(500, 3, EMPTY));
        coordinator.onElection(partition, EPOCH);
        coordinator.onResignation(partition, EPOCH);
        runLoads();
        assertThat(init().error()).isEqualTo(Errors.NOT_COORDINATOR);

        coordinator.onElection(partition, EPOCH + 1);
        coordinator.onElection(partition, EPOCH + 2);
        runLoads();
        assertThat(manager.hostedFor(ID).coordinatorEpoch).isEqualTo(EPOCH + 2);
        assertThat(init()).isEqualTo(producer(500, 4));
        assertThat(log.appendEpochs).containsExactly(EPOCH + 2);
    }

    @Test
    void aRepeatedOrStaleElectionChangesNothing() {
        coordinator.onElection(partition, EPOCH);
        init();
        TransactionStateManager.Hosted hosted = manager.hostedFor(ID);

        coordinator.onElection(partition, EPOCH);
        coordinator.onElection(partition, EPOCH - 1);
        coordinator.onResignation(partition, EPOCH - 1);

        assertThat(manager.hostedFor(ID)).isSameAs(hosted);
        assertThat(markers.removed).as("the current tenure's markers are kept").containsExactly(partition);
        assertThat(init()).isEqualTo(producer(1000, 1));
    }

    @Test
    void aLoadThatCannotReadThePartitionLeavesItUnserved() {
        TransactionLog unreadable = new TransactionLog() {
            @Override
            public CompletableFuture<Void> append(int p, int epoch, List<Entry> entries) {
                throw new AssertionError("nothing to write");
            }

            @Override
            public void read(int p, BiConsumer<byte[], byte[]> records) {
                throw new TransactionLogException(Errors.NOT_LEADER_OR_FOLLOWER, "moved");
            }
        };
        TransactionStateManager failing = new TransactionStateManager(unreadable, clock, DIRECT, DIRECT, () -> PARTITIONS);

        failing.load(partition, EPOCH, () -> { });

        assertThat(failing.coordinatorError(ID)).isEqualTo(Errors.NOT_COORDINATOR);
    }

    @Test
    void markersDroppedByAResignationWriteNothing() {
        coordinator.onElection(partition, EPOCH);
        InitProducerIdResult producer = ongoing();
        markers.hold = true;
        end(producer, TransactionResult.COMMIT);
        List<TransactionMarkerSender.Markers> out = new ArrayList<>(markers.pending.keySet());
        CompletableFuture<Void> future = markers.pending.get(out.get(0));
        int records = log.records(partition).size();

        coordinator.onResignation(partition, EPOCH);

        assertThat(future).as("dropped by removeMarkers").isCompletedExceptionally();
        assertThat(log.records(partition)).hasSize(records);
        assertThat(markers.removed).endsWith(partition);
    }
}
