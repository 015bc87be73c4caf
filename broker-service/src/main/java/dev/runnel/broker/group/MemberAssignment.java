package dev.runnel.broker.group;

/**
 * Where a consumer group member stands in its reconciliation: its epoch, the epoch before it (a
 * member whose last answer was lost may heartbeat with that one), its state, the partitions it
 * owns and those it must give up first. Immutable; written as Kafka's
 * {@code ConsumerGroupCurrentMemberAssignment} record.
 *
 * @param memberEpoch         the epoch the member must heartbeat with; -2 while a static member is away
 * @param previousMemberEpoch the epoch before the last bump
 * @param state               see {@link MemberState}
 * @param assigned            the partitions the member may consume
 * @param pendingRevocation   the partitions it must revoke before it moves on (UNREVOKED_PARTITIONS)
 */
record MemberAssignment(int memberEpoch, int previousMemberEpoch, MemberState state, PartitionSet assigned,
        PartitionSet pendingRevocation) {

    /** A member that has just joined: epoch 0, nothing owned. */
    static final MemberAssignment JOINING = new MemberAssignment(0, 0, MemberState.STABLE, PartitionSet.EMPTY,
            PartitionSet.EMPTY);

    /** Every partition the member still holds: assigned and not yet revoked. */
    PartitionSet held() {
        return assigned.union(pendingRevocation);
    }
}
