package dev.runnel.broker.transaction;

import java.util.EnumSet;
import java.util.Set;

/**
 * The states of a transactional id, with the byte ids {@code __transaction_state} records carry
 * and the names DescribeTransactions and ListTransactions report, as Kafka has them.
 *
 * <pre>
 *            InitProducerId (epoch bump or new producer id)
 *          +-------------------------------------------------+
 *          v                                                  |
 *  Empty --AddPartitions/AddOffsets--> Ongoing --EndTxn(commit)--> PrepareCommit --markers--> CompleteCommit
 *                                       |  |                                                       |
 *                                       |  +--EndTxn(abort), fence, timeout--> PrepareAbort --markers--> CompleteAbort
 *                                       |                                                          |
 *                                       +-- (pending only) PrepareEpochFence --> PrepareAbort      |
 *  Empty, CompleteCommit, CompleteAbort --AddPartitions--> Ongoing                                 |
 *  Empty, CompleteCommit, CompleteAbort --expired--> Dead (tombstone; the id is forgotten) <--------+
 * </pre>
 *
 * <p>Only transaction.version 1 is served, so PrepareAbort follows Ongoing (or a fence) only; at
 * transaction.version 2 Kafka also lets Empty and Complete* abort.
 */
public enum TransactionState {

    /** No transaction: after InitProducerId. May follow Empty, CompleteCommit, CompleteAbort. */
    EMPTY((byte) 0, "Empty"),
    /** Partitions or offsets have been added; data may be written. May follow Empty, Ongoing, CompleteCommit, CompleteAbort. */
    ONGOING((byte) 1, "Ongoing"),
    /** EndTxn(commit) is written; COMMIT markers are being sent. May follow Ongoing. */
    PREPARE_COMMIT((byte) 2, "PrepareCommit"),
    /** EndTxn(abort), a fence or a timeout is written; ABORT markers are being sent. May follow Ongoing, PrepareEpochFence. */
    PREPARE_ABORT((byte) 3, "PrepareAbort"),
    /** Every partition has its COMMIT marker. May follow PrepareCommit. */
    COMPLETE_COMMIT((byte) 4, "CompleteCommit"),
    /** Every partition has its ABORT marker. May follow PrepareAbort. */
    COMPLETE_ABORT((byte) 5, "CompleteAbort"),
    /** Expired: a tombstone is being written, then the id is forgotten. May follow Empty, CompleteCommit, CompleteAbort. */
    DEAD((byte) 6, "Dead"),
    /**
     * A pending state only, never written nor current: the epoch bump that fences a producer whose
     * transaction is open, immediately followed by PrepareAbort. May follow Ongoing.
     */
    PREPARE_EPOCH_FENCE((byte) 7, "PrepareEpochFence");

    private final byte id;
    private final String stateName;
    private Set<TransactionState> validPrevious;

    static {
        EMPTY.validPrevious = EnumSet.of(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
        ONGOING.validPrevious = EnumSet.of(EMPTY, ONGOING, COMPLETE_COMMIT, COMPLETE_ABORT);
        PREPARE_COMMIT.validPrevious = EnumSet.of(ONGOING);
        PREPARE_ABORT.validPrevious = EnumSet.of(ONGOING, PREPARE_EPOCH_FENCE);
        COMPLETE_COMMIT.validPrevious = EnumSet.of(PREPARE_COMMIT);
        COMPLETE_ABORT.validPrevious = EnumSet.of(PREPARE_ABORT);
        DEAD.validPrevious = EnumSet.of(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
        PREPARE_EPOCH_FENCE.validPrevious = EnumSet.of(ONGOING);
    }

    TransactionState(byte id, String stateName) {
        this.id = id;
        this.stateName = stateName;
    }

    /** The id written as {@code TransactionStatus} in {@code __transaction_state}. */
    public byte id() {
        return id;
    }

    /** The name Kafka's tools show (DescribeTransactions, ListTransactions). */
    public String stateName() {
        return stateName;
    }

    /** The states this one may follow. */
    public Set<TransactionState> validPreviousStates() {
        return EnumSet.copyOf(validPrevious);
    }

    /** Whether an id in {@code from} may move to this state. */
    public boolean canFollow(TransactionState from) {
        return validPrevious.contains(from);
    }

    /** Whether an id idle in this state may expire ({@code transactional.id.expiration.ms}). */
    public boolean isExpirationAllowed() {
        return this == EMPTY || this == COMPLETE_COMMIT || this == COMPLETE_ABORT;
    }

    /** Whether markers are being written for a transaction in this state. */
    public boolean isPrepare() {
        return this == PREPARE_COMMIT || this == PREPARE_ABORT;
    }

    /** The state with this id. @throws IllegalArgumentException for an id Kafka does not define */
    public static TransactionState fromId(byte id) {
        for (TransactionState state : values()) {
            if (state.id == id) {
                return state;
            }
        }
        throw new IllegalArgumentException("unknown transaction state id " + id);
    }

    /** The state named {@code name} exactly as Kafka spells it, or null. */
    public static TransactionState fromName(String name) {
        for (TransactionState state : values()) {
            if (state.stateName.equals(name)) {
                return state;
            }
        }
        return null;
    }
}
