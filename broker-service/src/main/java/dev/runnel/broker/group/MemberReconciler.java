package dev.runnel.broker.group;

import java.util.UUID;

/**
 * A member's next assignment on its way to its target (Kafka's {@code CurrentAssignmentBuilder}):
 * partitions are revoked before the member moves to the target's epoch, and a partition is
 * assigned only once no other member holds it. Pure: the group's state is read, never changed.
 *
 * <pre>
 *   held      = assigned + pending revocation (only assigned, once a heartbeat shows those revoked)
 *   revoke    = held - target          non-empty: UNREVOKED_PARTITIONS, epoch unchanged, assigned = held & target
 *   unreleased = target - held, still held by another member
 *                                      non-empty: UNRELEASED_PARTITIONS at the target's epoch
 *   otherwise                          STABLE at the target's epoch, assigned = target
 * </pre>
 */
final class MemberReconciler {

    /** Who holds a partition now (null: nobody). */
    @FunctionalInterface
    interface Owners {
        String owner(UUID topic, int partition);
    }

    private MemberReconciler() {
    }

    /**
     * @param memberId    the member
     * @param current     its current assignment
     * @param targetEpoch the target assignment's epoch
     * @param target      its part of the target
     * @param owned       the partitions its heartbeat says it owns, or null if the heartbeat did not say
     * @param owners      who holds each partition now
     */
    static MemberAssignment next(String memberId, MemberAssignment current, int targetEpoch, PartitionSet target,
            PartitionSet owned, Owners owners) {
        boolean revoked = current.state() != MemberState.UNREVOKED_PARTITIONS
                || (owned != null && !owned.intersects(current.pendingRevocation()));
        PartitionSet held = revoked ? current.assigned() : current.held();
        PartitionSet revoke = held.minus(target);
        PartitionSet retain = held.intersect(target);
        if (!revoke.isEmpty()) {
            return new MemberAssignment(current.memberEpoch(), current.previousMemberEpoch(),
                    MemberState.UNREVOKED_PARTITIONS, retain, revoke, current.epochsFor(retain, current.memberEpoch()));
        }
        PartitionSet toAssign = target.minus(held);
        PartitionSet unreleased = toAssign.filter((t, p) -> {
            String owner = owners.owner(t, p);
            return owner != null && !owner.equals(memberId);
        });
        int previous = current.memberEpoch() != targetEpoch ? current.memberEpoch() : current.previousMemberEpoch();
        PartitionSet assigned = retain.union(toAssign.minus(unreleased));
        return new MemberAssignment(targetEpoch, previous,
                unreleased.isEmpty() ? MemberState.STABLE : MemberState.UNRELEASED_PARTITIONS,
                assigned, PartitionSet.EMPTY, current.epochsFor(assigned, targetEpoch));
    }
}
