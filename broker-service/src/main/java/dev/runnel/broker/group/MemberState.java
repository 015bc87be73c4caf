package dev.runnel.broker.group;

/**
 * A consumer group member's reconciliation state (KIP-848), with the byte Kafka stores for it.
 *
 * <ul>
 * <li>{@code STABLE}: the member owns its target assignment at the target's epoch. Next: UNREVOKED_PARTITIONS
 *     or UNRELEASED_PARTITIONS when a new target takes partitions away or gives it some still owned elsewhere.</li>
 * <li>{@code UNREVOKED_PARTITIONS}: the member must revoke partitions before its epoch moves on; it stays
 *     at its epoch until a heartbeat shows it no longer owns them (or its rebalance timeout fences it).
 *     Next: UNRELEASED_PARTITIONS or STABLE.</li>
 * <li>{@code UNRELEASED_PARTITIONS}: the member is at the target's epoch but waits for partitions other
 *     members have not revoked yet. Next: STABLE, or UNREVOKED_PARTITIONS if the target changes again.</li>
 * </ul>
 */
enum MemberState {
    STABLE((byte) 0),
    UNREVOKED_PARTITIONS((byte) 1),
    UNRELEASED_PARTITIONS((byte) 2);

    final byte value;

    MemberState(byte value) {
        this.value = value;
    }

    /** The state stored as {@code value}; an unknown byte (a newer Kafka's) reads as STABLE, to be reconciled again. */
    static MemberState of(byte value) {
        for (MemberState s : values()) {
            if (s.value == value) {
                return s;
            }
        }
        return STABLE;
    }
}
