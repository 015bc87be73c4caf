package dev.runnel.broker.group;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Where a consumer group member stands in its reconciliation: its epoch, the epoch before it (a
 * member whose last answer was lost may heartbeat with that one), its state, the partitions it
 * owns and those it must give up first, and the member epoch at which each partition it owns was
 * assigned to it (KIP-1251's assignment epochs: a commit sent at an older epoch is still good for
 * a partition the member has owned since then). Immutable; written as Kafka's
 * {@code ConsumerGroupCurrentMemberAssignment} record.
 *
 * @param memberEpoch         the epoch the member must heartbeat with; -2 while a static member is away
 * @param previousMemberEpoch the epoch before the last bump
 * @param state               see {@link MemberState}
 * @param assigned            the partitions the member may consume
 * @param pendingRevocation   the partitions it must revoke before it moves on (UNREVOKED_PARTITIONS)
 * @param assignedAt          topic id, partition: the member epoch it was assigned at (for assigned partitions)
 */
record MemberAssignment(int memberEpoch, int previousMemberEpoch, MemberState state, PartitionSet assigned,
        PartitionSet pendingRevocation, Map<UUID, Map<Integer, Integer>> assignedAt) {

    /** A member that has just joined: epoch 0, nothing owned. */
    static final MemberAssignment JOINING = new MemberAssignment(0, 0, MemberState.STABLE, PartitionSet.EMPTY,
            PartitionSet.EMPTY);

    MemberAssignment {
        Map<UUID, Map<Integer, Integer>> copy = new HashMap<>();
        assignedAt.forEach((topic, epochs) -> {
            Map<Integer, Integer> kept = new HashMap<>();
            epochs.forEach((p, e) -> {
                if (assigned.contains(topic, p)) {
                    kept.put(p, e);
                }
            });
            if (!kept.isEmpty()) {
                copy.put(topic, Map.copyOf(kept));
            }
        });
        assignedAt = Map.copyOf(copy);
    }

    /** Without assignment epochs (a record of a Kafka before KIP-1251). */
    MemberAssignment(int memberEpoch, int previousMemberEpoch, MemberState state, PartitionSet assigned,
            PartitionSet pendingRevocation) {
        this(memberEpoch, previousMemberEpoch, state, assigned, pendingRevocation, Map.of());
    }

    /** Every partition the member still holds: assigned and not yet revoked. */
    PartitionSet held() {
        return assigned.union(pendingRevocation);
    }

    /** The member epoch {@code partition} was assigned at, or -1 if not known. */
    int assignedAt(UUID topic, int partition) {
        return assignedAt.getOrDefault(topic, Map.of()).getOrDefault(partition, -1);
    }

    /** The assignment epochs of {@code partitions}: those known kept, the others {@code epoch}. */
    Map<UUID, Map<Integer, Integer>> epochsFor(PartitionSet partitions, int epoch) {
        Map<UUID, Map<Integer, Integer>> epochs = new HashMap<>();
        for (UUID topic : partitions.topics()) {
            Map<Integer, Integer> byPartition = new HashMap<>();
            for (int p : partitions.partitions(topic)) {
                int known = assignedAt(topic, p);
                byPartition.put(p, known >= 0 ? known : epoch);
            }
            epochs.put(topic, byPartition);
        }
        return epochs;
    }
}
