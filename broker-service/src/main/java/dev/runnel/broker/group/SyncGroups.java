package dev.runnel.broker.group;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SyncGroup: members of a generation just formed wait for the leader's assignment; the leader's
 * SyncGroup carries it. The assignment is written to {@code __consumer_offsets} as the group's
 * metadata record and, once the ISR has it, replayed into the group: that gives every member its
 * part and makes the group Stable, and then every waiting SyncGroup is answered. If it cannot be
 * written, nobody gets an assignment and the group rebalances.
 *
 * <p>Runs on the group's queue.
 */
final class SyncGroups {

    private static final Logger log = LoggerFactory.getLogger(SyncGroups.class);

    private final GroupMetadataManager groups;
    private final Rebalancer rebalancer;
    private final MemberSessions sessions;

    SyncGroups(GroupMetadataManager groups, Rebalancer rebalancer, MemberSessions sessions) {
        this.groups = groups;
        this.rebalancer = rebalancer;
        this.sessions = sessions;
    }

    /** A SyncGroup for {@code g}; {@code respond} now or once the assignment is written. */
    void sync(ClassicGroup g, int generationId, String memberId, String instanceId, String protocolType,
            String protocolName, Map<String, byte[]> assignments, Consumer<SyncResult> respond) {
        Errors invalid = GroupCoordinator.validateMember(g, memberId, instanceId);
        if (invalid == Errors.NONE && generationId != g.generationId()) {
            invalid = Errors.ILLEGAL_GENERATION;
        }
        if (invalid == Errors.NONE && ((protocolType != null && !protocolType.equals(g.protocolType()))
                || (protocolName != null && !protocolName.equals(g.protocolName())))) {
            invalid = Errors.INCONSISTENT_GROUP_PROTOCOL;
        }
        if (invalid != Errors.NONE) {
            respond.accept(SyncResult.error(invalid));
            return;
        }
        GroupMember member = g.member(memberId);
        switch (g.state()) {
            case PREPARING_REBALANCE -> respond.accept(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
            case STABLE -> {
                g.rebalance().synced(memberId);
                sessions.restart(g, member);
                respond.accept(new SyncResult(Errors.NONE, g.protocolType(), g.protocolName(), member.assignment));
            }
            case COMPLETING_REBALANCE -> {
                // A second SyncGroup from the same member replaces its first, which is answered now.
                member.completeSync(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
                member.awaitSync(respond);
                g.rebalance().synced(memberId);
                sessions.restart(g, member);
                if (g.isLeader(memberId)) {
                    storeAssignment(g, assignments);
                }
            }
            default -> respond.accept(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
        }
    }

    /**
     * Writes the leader's assignment; once the ISR has it, replaying it gives every member its part
     * and makes the group Stable, and every member's SyncGroup is answered.
     */
    private void storeAssignment(ClassicGroup g, Map<String, byte[]> leaderAssignment) {
        CoordinatorResult<Map<String, SyncResult>> stored = assignmentRecords(g, leaderAssignment);
        int generation = g.generationId();
        groups.writeMetadata(g, stored.records()).thenAccept(error -> {
            if (!g.is(GroupState.COMPLETING_REBALANCE) || g.generationId() != generation) {
                return; // a newer rebalance took over while the record was being written
            }
            if (error != Errors.NONE) {
                log.warn("Cannot store the assignment of {}: {}", g, error);
                Rebalancer.resetAssignments(g, error);
                rebalancer.prepareRebalance(g, "storing the assignment failed with " + error);
                return;
            }
            groups.replay(g, stored.records());
            for (GroupMember m : g.members()) {
                m.completeSync(stored.response().get(m.memberId));
            }
            log.info("Group {} is stable at generation {} with {} members", g.groupId, generation, g.size());
        });
    }

    /** The metadata record of the generation with the leader's assignment, and each member's SyncGroup answer. */
    private static CoordinatorResult<Map<String, SyncResult>> assignmentRecords(ClassicGroup g,
            Map<String, byte[]> leaderAssignment) {
        Map<String, byte[]> assignment = new HashMap<>();
        Map<String, SyncResult> answers = new HashMap<>();
        for (GroupMember m : g.members()) {
            byte[] part = leaderAssignment.getOrDefault(m.memberId, new byte[0]);
            assignment.put(m.memberId, part);
            answers.put(m.memberId, new SyncResult(Errors.NONE, g.protocolType(), g.protocolName(), part));
        }
        return new CoordinatorResult<>(List.of(g.metadataRecord(assignment)), answers);
    }
}
