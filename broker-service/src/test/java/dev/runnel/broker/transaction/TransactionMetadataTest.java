package dev.runnel.broker.transaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import dev.runnel.common.TopicPartition;

class TransactionMetadataTest {

    static final String ID = "payments-tx";
    static final long PID = 1000;
    static final long NOW = 1_000_000;
    static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);

    /** An id as a load would leave it: {@code state} at epoch {@code epoch}, one partition if a transaction is open. */
    static TransactionMetadata in(TransactionState state, short epoch) {
        boolean open = state == TransactionState.ONGOING || state.isPrepare();
        return TransactionMetadata.loaded(ID, new TransactionTransition(PID, PID, -1, epoch, (short) -1, 60_000, state,
                open ? Set.of(ORDERS_0) : Set.of(), open || state.name().startsWith("COMPLETE") ? NOW - 10 : -1, NOW - 10));
    }

    @Test
    void aNewIdGetsEpochZeroOnItsFirstInitProducerId() {
        TransactionMetadata m = TransactionMetadata.fresh(ID, PID, 60_000, NOW);
        assertThat(m.producerEpoch()).isEqualTo((short) -1);

        TransactionTransition t = m.prepareIncrementProducerEpoch(30_000, (short) -1, NOW + 1);

        assertThat(m.pendingState()).isEqualTo(TransactionState.EMPTY);
        assertThat(t).isEqualTo(new TransactionTransition(PID, PID, -1, (short) 0, (short) -1, 30_000, TransactionState.EMPTY,
                Set.of(), -1, NOW + 1));
        m.completeTransition(t);
        assertThat(m.pendingState()).isNull();
        assertThat(m.producerEpoch()).isZero();
        assertThat(m.timeoutMs()).isEqualTo(30_000);
        assertThat(m.prevProducerId()).as("Kafka records the producer id before each transition").isEqualTo(PID);
    }

    @Test
    void initProducerIdBumpsByTheKip360Rules() {
        TransactionMetadata m = in(TransactionState.COMPLETE_COMMIT, (short) 5);
        TransactionTransition noExpected = m.prepareIncrementProducerEpoch(60_000, (short) -1, NOW);
        assertThat(noExpected.producerEpoch()).isEqualTo((short) 6);
        assertThat(noExpected.lastProducerEpoch()).as("a new instance: no retry may pass for it").isEqualTo((short) -1);
        m.abortPending();

        TransactionTransition recovering = m.prepareIncrementProducerEpoch(60_000, (short) 5, NOW);
        assertThat(recovering.producerEpoch()).isEqualTo((short) 6);
        assertThat(recovering.lastProducerEpoch()).isEqualTo((short) 5);
        m.completeTransition(recovering);

        TransactionTransition retry = m.prepareIncrementProducerEpoch(60_000, (short) 5, NOW);
        assertThat(retry.producerEpoch()).as("the retry of a bump whose answer was lost").isEqualTo((short) 6);
        m.completeTransition(retry);

        assertThatThrownBy(() -> m.prepareIncrementProducerEpoch(60_000, (short) 3, NOW))
                .isInstanceOfSatisfying(TransactionException.class, e -> assertThat(e.error()).isEqualTo(Errors.PRODUCER_FENCED));
        assertThat(m.hasPendingTransition()).isFalse();
    }

    @Test
    void anExhaustedEpochRotatesToANewProducerId() {
        assertThat(TransactionMetadata.isEpochExhausted((short) (Short.MAX_VALUE - 2))).isFalse();
        assertThat(TransactionMetadata.isEpochExhausted((short) (Short.MAX_VALUE - 1))).isTrue();
        TransactionMetadata m = in(TransactionState.EMPTY, (short) (Short.MAX_VALUE - 1));
        assertThat(m.isProducerEpochExhausted()).isTrue();
        assertThatThrownBy(() -> m.prepareIncrementProducerEpoch(60_000, (short) -1, NOW))
                .isInstanceOf(IllegalStateException.class);

        TransactionTransition rotated = m.prepareProducerIdRotation(2000, 60_000, NOW, true);
        m.completeTransition(rotated);

        assertThat(m.producerId()).isEqualTo(2000);
        assertThat(m.prevProducerId()).isEqualTo(PID);
        assertThat(m.producerEpoch()).isZero();
        assertThat(m.lastProducerEpoch()).isEqualTo((short) (Short.MAX_VALUE - 1));
        assertThat(in(TransactionState.EMPTY, (short) 32766).prepareProducerIdRotation(2000, 60_000, NOW, false)
                .lastProducerEpoch()).isEqualTo((short) -1);
    }

    @Test
    void addingPartitionsStartsATransactionOnceAndOnlyGrowsIt() {
        TransactionMetadata m = in(TransactionState.EMPTY, (short) 0);
        TransactionTransition first = m.prepareAddPartitions(Set.of(ORDERS_0), NOW);
        m.completeTransition(first);
        assertThat(m.state()).isEqualTo(TransactionState.ONGOING);
        assertThat(m.txnStartTimestamp()).isEqualTo(NOW);

        m.completeTransition(m.prepareAddPartitions(Set.of(ORDERS_1), NOW + 5));
        assertThat(m.partitions()).containsExactlyInAnyOrder(ORDERS_0, ORDERS_1);
        assertThat(m.txnStartTimestamp()).as("the transaction started with its first partition").isEqualTo(NOW);
        assertThat(m.txnLastUpdateTimestamp()).isEqualTo(NOW + 5);
    }

    @Test
    void endingATransactionKeepsItsEpochAndEmptiesItOnCompletion() {
        TransactionMetadata m = in(TransactionState.ONGOING, (short) 3);
        TransactionTransition prepared = m.prepareAbortOrCommit(TransactionState.PREPARE_COMMIT, NOW);
        assertThat(prepared.producerEpoch()).as("transaction.version 1: no bump at EndTxn").isEqualTo((short) 3);
        m.completeTransition(prepared);

        TransactionTransition complete = m.prepareComplete(NOW + 1);
        assertThat(complete.state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
        m.completeTransition(complete);
        assertThat(m.partitions()).isEmpty();
        assertThat(m.txnStartTimestamp()).isEqualTo(NOW - 10);
        assertThatThrownBy(() -> m.prepareAbortOrCommit(TransactionState.ONGOING, NOW))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFenceBumpsTheEpochOnceThenTurnsIntoTheAbort() {
        TransactionMetadata m = in(TransactionState.ONGOING, (short) 3);
        TransactionTransition fence = m.prepareFenceProducerEpoch();
        assertThat(fence.producerEpoch()).isEqualTo((short) 4);
        assertThat(m.pendingState()).isEqualTo(TransactionState.PREPARE_EPOCH_FENCE);
        assertThatThrownBy(() -> m.completeTransition(fence)).as("a fence is never written")
                .isInstanceOf(IllegalStateException.class);

        m.applyEpochFence(fence.producerEpoch());
        assertThat(m.producerEpoch()).isEqualTo((short) 4);
        assertThat(m.lastProducerEpoch()).isEqualTo((short) -1);
        TransactionTransition abort = m.prepareAbortOrCommit(TransactionState.PREPARE_ABORT, NOW);
        assertThat(abort.producerEpoch()).isEqualTo((short) 4);

        m.abortPending(); // the write failed
        m.markFailedEpochFence();
        assertThat(m.prepareFenceProducerEpoch().producerEpoch()).as("the unwritten epoch is reused").isEqualTo((short) 4);
        m.abortPending();
        assertThat(in(TransactionState.ONGOING, Short.MAX_VALUE).prepareFenceProducerEpoch().producerEpoch())
                .as("never past Short.MAX_VALUE").isEqualTo(Short.MAX_VALUE);
    }

    @Test
    void oneTransitionAtATime() {
        TransactionMetadata m = in(TransactionState.EMPTY, (short) 0);
        TransactionTransition add = m.prepareAddPartitions(Set.of(ORDERS_0), NOW);
        assertThatThrownBy(() -> m.prepareAddPartitions(Set.of(ORDERS_1), NOW)).isInstanceOf(IllegalStateException.class);

        m.abortPending();
        assertThat(m.state()).isEqualTo(TransactionState.EMPTY);
        assertThatThrownBy(() -> m.completeTransition(add)).as("no longer pending").isInstanceOf(IllegalStateException.class);
        TransactionTransition bump = m.prepareIncrementProducerEpoch(60_000, (short) -1, NOW);
        assertThatThrownBy(() -> m.completeTransition(add)).as("not the pending transition")
                .isInstanceOf(IllegalStateException.class);
        m.completeTransition(bump);
    }

    @Test
    void completingChecksTheTransitionAgainstTheCurrentState() {
        TransactionMetadata m = in(TransactionState.ONGOING, (short) 3);
        m.prepareAbortOrCommit(TransactionState.PREPARE_ABORT, NOW);
        TransactionTransition otherEpoch = new TransactionTransition(PID, PID, -1, (short) 4, (short) -1, 60_000,
                TransactionState.PREPARE_ABORT, Set.of(ORDERS_0), NOW - 10, NOW);
        assertThatThrownBy(() -> m.completeTransition(otherEpoch)).isInstanceOf(IllegalStateException.class);

        TransactionMetadata empty = in(TransactionState.EMPTY, (short) 0);
        empty.prepareIncrementProducerEpoch(60_000, (short) -1, NOW);
        TransactionTransition jump = new TransactionTransition(PID, PID, -1, (short) 7, (short) -1, 60_000,
                TransactionState.EMPTY, Set.of(), -1, NOW);
        assertThatThrownBy(() -> empty.completeTransition(jump)).as("an epoch moves by one").isInstanceOf(IllegalStateException.class);

        TransactionMetadata idle = in(TransactionState.EMPTY, (short) 0);
        TransactionTransition dead = idle.prepareDead();
        assertThatThrownBy(() -> idle.completeTransition(dead)).as("Dead is removal, never applied")
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void everyPrepareIsLegalExactlyFromTheStatesTheTableAllows() {
        Map<String, Function<TransactionMetadata, TransactionTransition>> prepares = new LinkedHashMap<>();
        prepares.put("bump", m -> m.prepareIncrementProducerEpoch(60_000, (short) -1, NOW));
        prepares.put("rotate", m -> m.prepareProducerIdRotation(2000, 60_000, NOW, false));
        prepares.put("add", m -> m.prepareAddPartitions(Set.of(ORDERS_1), NOW));
        prepares.put("commit", m -> m.prepareAbortOrCommit(TransactionState.PREPARE_COMMIT, NOW));
        prepares.put("abort", m -> m.prepareAbortOrCommit(TransactionState.PREPARE_ABORT, NOW));
        prepares.put("complete", m -> m.prepareComplete(NOW));
        prepares.put("dead", TransactionMetadata::prepareDead);
        prepares.put("fence", TransactionMetadata::prepareFenceProducerEpoch);
        Map<String, Function<TransactionState, TransactionState>> target = Map.of(
                "bump", s -> TransactionState.EMPTY, "rotate", s -> TransactionState.EMPTY,
                "add", s -> TransactionState.ONGOING, "commit", s -> TransactionState.PREPARE_COMMIT,
                "abort", s -> TransactionState.PREPARE_ABORT,
                "complete", s -> s == TransactionState.PREPARE_COMMIT ? TransactionState.COMPLETE_COMMIT
                        : TransactionState.COMPLETE_ABORT,
                "dead", s -> TransactionState.DEAD, "fence", s -> TransactionState.PREPARE_EPOCH_FENCE);
        for (TransactionState from : TransactionState.values()) {
            prepares.forEach((name, prepare) -> {
                TransactionMetadata m = in(from, (short) 3);
                TransactionState to = target.get(name).apply(from);
                if (to.canFollow(from)) {
                    assertThat(prepare.apply(m).state()).as("%s from %s", name, from).isEqualTo(to);
                    assertThat(m.pendingState()).isEqualTo(to);
                } else {
                    assertThatThrownBy(() -> prepare.apply(m)).as("%s from %s", name, from)
                            .isInstanceOf(IllegalStateException.class);
                    assertThat(m.hasPendingTransition()).isFalse();
                }
            });
        }
    }
}
