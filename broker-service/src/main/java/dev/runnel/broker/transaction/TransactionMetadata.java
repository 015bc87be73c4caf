package dev.runnel.broker.transaction;

import java.util.HashSet;
import java.util.Set;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.common.TopicPartition;

/**
 * One transactional id as its coordinator knows it: producer id and epoch, the open
 * transaction's state and partitions, and at most one pending transition.
 *
 * <p>Every change is two-phase, as in Kafka: a {@code prepareX} method checks the move against
 * {@link TransactionState}'s table, sets the pending state and returns the
 * {@link TransactionTransition} to write; once {@code __transaction_state} has it on the ISR,
 * {@link #completeTransition} applies it, and if the write fails {@link #abortPending} clears the
 * pending state. While a transition is pending, the coordinator answers other requests for the id
 * with CONCURRENT_TRANSACTIONS.
 *
 * <p>Epochs: an epoch at or above {@code Short.MAX_VALUE - 1} is exhausted, so that the coordinator
 * can always fence once more; the next InitProducerId then rotates to a new producer id at epoch 0.
 * Only transaction.version 1 is served: EndTxn never bumps the epoch.
 *
 * <p>Not thread-safe: only the queue of its {@code __transaction_state} partition touches it (the
 * producer epoch and state are volatile so that a request thread may read them as a hint).
 */
public final class TransactionMetadata {

    /** Kafka's {@code RecordBatch.NO_PRODUCER_ID} and {@code NO_PRODUCER_EPOCH}. */
    public static final long NO_PRODUCER_ID = -1L;
    public static final short NO_PRODUCER_EPOCH = -1;

    private final String transactionalId;
    private long producerId;
    private long prevProducerId;
    private long nextProducerId;
    private volatile short producerEpoch;
    private short lastProducerEpoch;
    private int timeoutMs;
    private volatile TransactionState state;
    private Set<TopicPartition> partitions;
    private long txnStartTimestamp;
    private long txnLastUpdateTimestamp;
    private TransactionState pendingState;
    private boolean hasFailedEpochFence;

    TransactionMetadata(String transactionalId, TransactionTransition t) {
        this.transactionalId = transactionalId;
        apply(t);
    }

    /** A new id: its producer id, no epoch yet, Empty. Nothing is written until its first InitProducerId. */
    static TransactionMetadata fresh(String transactionalId, long producerId, int timeoutMs, long now) {
        return new TransactionMetadata(transactionalId, new TransactionTransition(producerId, NO_PRODUCER_ID,
                NO_PRODUCER_ID, NO_PRODUCER_EPOCH, NO_PRODUCER_EPOCH, timeoutMs, TransactionState.EMPTY, Set.of(), -1L, now));
    }

    /** An id as loaded from its last {@code __transaction_state} record (the last epoch is not persisted). */
    static TransactionMetadata loaded(String transactionalId, TransactionTransition t) {
        TransactionMetadata m = new TransactionMetadata(transactionalId, t);
        m.lastProducerEpoch = NO_PRODUCER_EPOCH;
        return m;
    }

    public static boolean isEpochExhausted(short epoch) {
        return epoch >= Short.MAX_VALUE - 1;
    }

    // ---------------------------------------------------------------- prepare

    /**
     * Fences the producer of an open transaction: epoch + 1 in the pending state PrepareEpochFence,
     * to be followed at once by an abort with that epoch. The epoch is not bumped again if the
     * last fence's write failed (that epoch was never handed out), nor past {@code Short.MAX_VALUE}.
     */
    TransactionTransition prepareFenceProducerEpoch() {
        short bumped = hasFailedEpochFence || producerEpoch == Short.MAX_VALUE ? producerEpoch : (short) (producerEpoch + 1);
        return prepare(TransactionState.PREPARE_EPOCH_FENCE, producerId, bumped, lastProducerEpoch, timeoutMs, partitions,
                txnStartTimestamp, txnLastUpdateTimestamp);
    }

    /**
     * InitProducerId on an idle id: the next epoch (KIP-360 rules when the producer says which
     * epoch it has, {@code expectedEpoch}; {@link #NO_PRODUCER_EPOCH} when it does not).
     *
     * @throws TransactionException PRODUCER_FENCED when {@code expectedEpoch} is neither the current nor the last epoch
     */
    TransactionTransition prepareIncrementProducerEpoch(int newTimeoutMs, short expectedEpoch, long now) {
        if (isEpochExhausted(producerEpoch)) {
            throw new IllegalStateException("Cannot allocate any more producer epochs for producer id " + producerId);
        }
        short bumped = (short) (producerEpoch + 1);
        short epoch;
        short last;
        if (expectedEpoch == NO_PRODUCER_EPOCH) {
            epoch = bumped; // a new instance fences the old one
            last = NO_PRODUCER_EPOCH;
        } else if (producerEpoch == NO_PRODUCER_EPOCH || expectedEpoch == producerEpoch) {
            epoch = bumped; // the producer recovers from an abortable error
            last = producerEpoch;
        } else if (expectedEpoch == lastProducerEpoch) {
            epoch = producerEpoch; // a retry of a bump whose answer was lost
            last = lastProducerEpoch;
        } else {
            throw new TransactionException(Errors.PRODUCER_FENCED, "expected epoch " + expectedEpoch
                    + " is neither the current epoch " + producerEpoch + " nor the last " + lastProducerEpoch);
        }
        return prepare(TransactionState.EMPTY, producerId, epoch, last, newTimeoutMs, Set.of(), -1L, now);
    }

    /** InitProducerId when the epochs are used up: a new producer id at epoch 0. */
    TransactionTransition prepareProducerIdRotation(long newProducerId, int newTimeoutMs, long now, boolean recordLastEpoch) {
        if (state == TransactionState.ONGOING || state.isPrepare()) {
            throw new IllegalStateException("Cannot rotate the producer id of " + transactionalId + " in state " + state);
        }
        return prepare(TransactionState.EMPTY, newProducerId, (short) 0, recordLastEpoch ? producerEpoch : NO_PRODUCER_EPOCH,
                newTimeoutMs, Set.of(), -1L, now);
    }

    /** AddPartitionsToTxn / AddOffsetsToTxn: Ongoing with the union; the transaction starts now if none was open. */
    TransactionTransition prepareAddPartitions(Set<TopicPartition> added, long now) {
        long start = state == TransactionState.ONGOING ? txnStartTimestamp : now;
        Set<TopicPartition> union = new HashSet<>(partitions);
        union.addAll(added);
        return prepare(TransactionState.ONGOING, producerId, producerEpoch, lastProducerEpoch, timeoutMs, union, start, now);
    }

    /** EndTxn: PrepareCommit or PrepareAbort, same producer id and epoch (transaction.version 1). */
    TransactionTransition prepareAbortOrCommit(TransactionState newState, long now) {
        if (newState != TransactionState.PREPARE_COMMIT && newState != TransactionState.PREPARE_ABORT) {
            throw new IllegalArgumentException("EndTxn moves to PrepareCommit or PrepareAbort, not " + newState);
        }
        return prepare(newState, producerId, producerEpoch, lastProducerEpoch, timeoutMs, partitions, txnStartTimestamp, now);
    }

    /** Every partition has its marker: CompleteCommit or CompleteAbort, no partitions. */
    TransactionTransition prepareComplete(long now) {
        hasFailedEpochFence = false; // the Prepare record with the fenced epoch is written
        TransactionState next = state == TransactionState.PREPARE_COMMIT ? TransactionState.COMPLETE_COMMIT
                : TransactionState.COMPLETE_ABORT;
        return prepare(next, producerId, producerEpoch, lastProducerEpoch, timeoutMs, Set.of(), txnStartTimestamp, now);
    }

    /** Expiry: a tombstone is written, then the id is forgotten (never completed). */
    TransactionTransition prepareDead() {
        return prepare(TransactionState.DEAD, producerId, producerEpoch, lastProducerEpoch, timeoutMs, Set.of(),
                txnStartTimestamp, txnLastUpdateTimestamp);
    }

    private TransactionTransition prepare(TransactionState to, long newProducerId, short epoch, short lastEpoch,
            int newTimeoutMs, Set<TopicPartition> newPartitions, long start, long lastUpdate) {
        if (pendingState != null) {
            throw new IllegalStateException(transactionalId + ": preparing a move to " + to + " while " + pendingState
                    + " is pending");
        }
        if (newProducerId < 0) {
            throw new IllegalArgumentException("illegal producer id " + newProducerId);
        }
        if (to != TransactionState.DEAD && epoch < 0) {
            throw new IllegalArgumentException("illegal producer epoch " + epoch);
        }
        if (!to.canFollow(state)) {
            throw new IllegalStateException(transactionalId + ": " + to + " may not follow " + state);
        }
        pendingState = to;
        return new TransactionTransition(newProducerId, producerId, nextProducerId, epoch, lastEpoch, newTimeoutMs, to,
                newPartitions, start, lastUpdate);
    }

    // ---------------------------------------------------------------- complete, abort

    /**
     * Applies {@code t} once its record is on the ISR. It must be the pending transition and agree
     * with the current state the way Kafka checks it (epoch kept or bumped by one, partitions only
     * added while Ongoing, the same timeout within a transaction).
     *
     * @throws IllegalStateException if it does not: a coordinator bug, never a client's doing
     */
    void completeTransition(TransactionTransition t) {
        if (pendingState == null || pendingState != t.state()) {
            throw new IllegalStateException(transactionalId + ": completing " + t + " while the pending state is "
                    + pendingState);
        }
        boolean valid = switch (t.state()) {
            case EMPTY -> (t.producerEpoch() == producerEpoch || validEpochBump(t)) && t.partitions().isEmpty()
                    && t.txnStartTimestamp() == -1;
            case ONGOING -> sameProducer(t) && t.partitions().containsAll(partitions) && t.timeoutMs() == timeoutMs;
            case PREPARE_COMMIT, PREPARE_ABORT -> sameProducer(t) && t.partitions().equals(partitions)
                    && t.timeoutMs() == timeoutMs && t.txnStartTimestamp() == txnStartTimestamp;
            case COMPLETE_COMMIT, COMPLETE_ABORT -> sameProducer(t) && t.timeoutMs() == timeoutMs
                    && t.txnStartTimestamp() != -1;
            case PREPARE_EPOCH_FENCE, DEAD -> false;
        };
        if (!valid) {
            throw new IllegalStateException(transactionalId + ": cannot complete " + t + " from " + this);
        }
        apply(t);
        pendingState = null;
    }

    /** The write of the pending transition failed: nothing changes, and the id takes requests again. */
    void abortPending() {
        pendingState = null;
    }

    /**
     * The fence turns into the abort that follows it: the pending PrepareEpochFence is cleared and
     * the bumped epoch taken in memory, with no last epoch, so the fenced producer can never
     * pass for a retry. The abort is then prepared with that epoch.
     */
    void applyEpochFence(short fencedEpoch) {
        if (pendingState != TransactionState.PREPARE_EPOCH_FENCE) {
            throw new IllegalStateException(transactionalId + ": no fence pending but " + pendingState);
        }
        pendingState = null;
        producerEpoch = fencedEpoch;
        lastProducerEpoch = NO_PRODUCER_EPOCH;
    }

    /** The abort write of a fence failed: the next fence reuses the epoch, which was never handed out. */
    void markFailedEpochFence() {
        hasFailedEpochFence = true;
    }

    private boolean sameProducer(TransactionTransition t) {
        return t.producerId() == producerId && t.producerEpoch() == producerEpoch;
    }

    private boolean validEpochBump(TransactionTransition t) {
        return t.producerEpoch() == (short) (producerEpoch + 1) || (t.producerEpoch() == 0 && t.producerId() != producerId);
    }

    private void apply(TransactionTransition t) {
        producerId = t.producerId();
        prevProducerId = t.prevProducerId();
        nextProducerId = t.nextProducerId();
        producerEpoch = t.producerEpoch();
        lastProducerEpoch = t.lastProducerEpoch();
        timeoutMs = t.timeoutMs();
        state = t.state();
        partitions = t.partitions();
        txnStartTimestamp = t.txnStartTimestamp();
        txnLastUpdateTimestamp = t.txnLastUpdateTimestamp();
    }

    // ---------------------------------------------------------------- reading

    public String transactionalId() {
        return transactionalId;
    }

    public long producerId() {
        return producerId;
    }

    public long prevProducerId() {
        return prevProducerId;
    }

    public long nextProducerId() {
        return nextProducerId;
    }

    public short producerEpoch() {
        return producerEpoch;
    }

    public short lastProducerEpoch() {
        return lastProducerEpoch;
    }

    public int timeoutMs() {
        return timeoutMs;
    }

    public TransactionState state() {
        return state;
    }

    /** The partitions of the open transaction (immutable). */
    public Set<TopicPartition> partitions() {
        return partitions;
    }

    public long txnStartTimestamp() {
        return txnStartTimestamp;
    }

    public long txnLastUpdateTimestamp() {
        return txnLastUpdateTimestamp;
    }

    /** The state a transition in flight leads to, or null. */
    public TransactionState pendingState() {
        return pendingState;
    }

    public boolean hasPendingTransition() {
        return pendingState != null;
    }

    boolean hasFailedEpochFence() {
        return hasFailedEpochFence;
    }

    public boolean isProducerEpochExhausted() {
        return isEpochExhausted(producerEpoch);
    }

    @Override
    public String toString() {
        return "TransactionMetadata(" + transactionalId + ", producerId=" + producerId + ", prevProducerId=" + prevProducerId
                + ", epoch=" + producerEpoch + ", lastEpoch=" + lastProducerEpoch + ", timeoutMs=" + timeoutMs
                + ", state=" + state + ", pending=" + pendingState + ", partitions=" + partitions + ", start="
                + txnStartTimestamp + ", lastUpdate=" + txnLastUpdateTimestamp + ")";
    }
}
