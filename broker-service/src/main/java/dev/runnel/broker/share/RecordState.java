package dev.runnel.broker.share;

/**
 * The delivery state of one in-flight record of a share partition (KIP-932's {@code RecordState}),
 * with Kafka's ids, which are also the persisted delivery states.
 *
 * <pre>
 *   AVAILABLE --acquire--> ACQUIRED --accept--------------> ACKNOWLEDGED
 *    |  ^                     |  --reject, gap-----------> ARCHIVED
 *    |  +--release, timeout---+  --release, timeout at the
 *    |                             delivery count limit--> ARCHIVED
 *    +--aborted, not in the log, at the limit------------> ARCHIVED
 * </pre>
 */
enum RecordState {

    /**
     * May be acquired by the next fetch of any member. Follows: ACQUIRED; ARCHIVED instead when a
     * fetch finds it of an aborted transaction, no longer in the log, or already delivered up to the
     * delivery count limit.
     */
    AVAILABLE((byte) 0),
    /** Locked to one member until it acknowledges it or its lock times out. Follows: any other state. */
    ACQUIRED((byte) 1),
    /** Accepted by its consumer: done. Follows: none. */
    ACKNOWLEDGED((byte) 2),
    /** Rejected, a gap, or delivered too often: done, never delivered again. Follows: none. */
    ARCHIVED((byte) 4);

    final byte id;

    RecordState(byte id) {
        this.id = id;
    }

    /** Whether a record in this state needs nothing more: the start offset may pass it. */
    boolean done() {
        return this == ACKNOWLEDGED || this == ARCHIVED;
    }

    /** Whether the state machine allows {@code this -> next}. */
    boolean mayBecome(RecordState next) {
        return switch (this) {
            case AVAILABLE -> next == ACQUIRED || next == ARCHIVED;
            case ACQUIRED -> next != ACQUIRED;
            case ACKNOWLEDGED, ARCHIVED -> false;
        };
    }

    /** The state a persisted delivery state id names; ACQUIRED is never persisted. */
    static RecordState persisted(byte id) {
        return switch (id) {
            case 0 -> AVAILABLE;
            case 2 -> ACKNOWLEDGED;
            case 4 -> ARCHIVED;
            default -> throw new IllegalArgumentException("not a persisted delivery state: " + id);
        };
    }
}
