package dev.runnel.broker.group;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.common.time.Scheduler;

/**
 * JoinGroup: a new member (which first gets its id with MEMBER_ID_REQUIRED, unless it is static or
 * an old client), a member joining again, and a static member whose process restarted under a new
 * member id. A join that changes the group starts or joins a rebalance ({@link Rebalancer}) and is
 * parked until the generation forms; a member that changes nothing gets the current generation.
 *
 * <p>Runs on the group's queue.
 */
final class JoinGroups {

    private final GroupMetadataManager groups;
    private final Scheduler scheduler;
    private final GroupSettings settings;
    private final Rebalancer rebalancer;
    private final MemberSessions sessions;

    JoinGroups(GroupMetadataManager groups, Scheduler scheduler, Rebalancer rebalancer, MemberSessions sessions) {
        this.groups = groups;
        this.scheduler = scheduler;
        this.settings = groups.settings();
        this.rebalancer = rebalancer;
        this.sessions = sessions;
    }

    /** A JoinGroup for {@code g} ({@code newMember}: without a member id); {@code respond} now or when the generation forms. */
    void join(ClassicGroup g, JoinRequest r, boolean newMember, Consumer<JoinResult> respond) {
        boolean arriving = newMember || g.isPending(r.memberId());
        if (arriving && g.size() >= settings.maxGroupSize()) {
            respond.accept(JoinResult.error(r.memberId(), Errors.GROUP_MAX_SIZE_REACHED));
        } else if (!g.supportsProtocols(r.protocolType(), r.protocols().stream().map(MemberProtocol::name).toList())) {
            respond.accept(JoinResult.error(r.memberId(), Errors.INCONSISTENT_GROUP_PROTOCOL));
        } else if (newMember) {
            joinNewMember(g, r, respond);
        } else {
            joinKnownMember(g, r, respond);
        }
    }

    private void joinNewMember(ClassicGroup g, JoinRequest r, Consumer<JoinResult> respond) {
        String memberId = (r.groupInstanceId() != null ? r.groupInstanceId() : r.clientId()) + "-" + UUID.randomUUID();
        if (r.groupInstanceId() != null) {
            String existing = g.staticMemberId(r.groupInstanceId());
            if (existing != null) {
                replaceStaticMember(g, existing, memberId, r, respond);
            } else {
                addMemberAndRebalance(g, memberId, r, respond);
            }
        } else if (r.requireKnownMemberId()) {
            // The client must come back with this id; until it does, a rebalance waits for it.
            g.addPending(memberId);
            scheduler.schedule("group-pending-member", () -> g.queue.execute(() -> {
                if (g.removePending(memberId)) {
                    rebalancer.maybeCompleteJoin(g);
                }
            }), Duration.ofMillis(r.sessionTimeoutMs()));
            respond.accept(JoinResult.error(memberId, Errors.MEMBER_ID_REQUIRED));
        } else {
            addMemberAndRebalance(g, memberId, r, respond);
        }
    }

    private void joinKnownMember(ClassicGroup g, JoinRequest r, Consumer<JoinResult> respond) {
        String memberId = r.memberId();
        if (g.isPending(memberId)) {
            addMemberAndRebalance(g, memberId, r, respond);
            return;
        }
        Errors invalid = GroupCoordinator.validateMember(g, memberId, r.groupInstanceId());
        if (invalid != Errors.NONE) {
            respond.accept(JoinResult.error(memberId, invalid));
            return;
        }
        GroupMember member = g.member(memberId);
        boolean unchanged = member.sameProtocols(r.protocols());
        switch (g.state()) {
            case PREPARING_REBALANCE -> updateMemberAndRebalance(g, member, r, respond, "member " + memberId + " rejoined");
            case COMPLETING_REBALANCE -> {
                if (unchanged) {
                    sessions.restart(g, member);
                    respond.accept(JoinResult.currentGeneration(g, member));
                } else {
                    updateMemberAndRebalance(g, member, r, respond, "member " + memberId + " changed its protocols");
                }
            }
            case STABLE -> {
                if (unchanged && !g.isLeader(memberId)) {
                    sessions.restart(g, member);
                    respond.accept(JoinResult.currentGeneration(g, member));
                } else {
                    updateMemberAndRebalance(g, member, r, respond, g.isLeader(memberId)
                            ? "the leader rejoined" : "member " + memberId + " changed its protocols");
                }
            }
            default -> respond.accept(JoinResult.error(memberId, Errors.UNKNOWN_MEMBER_ID));
        }
    }

    private void addMemberAndRebalance(ClassicGroup g, String memberId, JoinRequest r, Consumer<JoinResult> respond) {
        GroupMember member = new GroupMember(memberId, r.groupInstanceId(), r.clientId(), r.clientHost(),
                r.rebalanceTimeoutMs(), r.sessionTimeoutMs(), r.protocolType(), r.protocols());
        member.awaitJoin(respond);
        g.memberArrived();
        g.add(member);
        sessions.restart(g, member);
        rebalancer.maybePrepareRebalance(g, "member " + memberId + " joined");
    }

    private void updateMemberAndRebalance(ClassicGroup g, GroupMember member, JoinRequest r,
            Consumer<JoinResult> respond, String reason) {
        member.rejoined(r);
        // A second JoinGroup from the same member replaces its first, which is answered now.
        member.completeJoin(JoinResult.error(member.memberId, Errors.REBALANCE_IN_PROGRESS));
        member.awaitJoin(respond);
        sessions.restart(g, member);
        rebalancer.maybePrepareRebalance(g, reason);
    }

    /**
     * A static member joined again under a new member id (its process restarted): the new id takes
     * over the old one's place and assignment, and the old id is fenced. With unchanged protocols
     * in a Stable group there is no rebalance: the group is written with the new id.
     */
    private void replaceStaticMember(ClassicGroup g, String oldId, String newId, JoinRequest r,
            Consumer<JoinResult> respond) {
        GroupMember old = g.member(oldId);
        boolean unchanged = old.sameProtocols(r.protocols());
        old.completeJoin(JoinResult.error(oldId, Errors.FENCED_INSTANCE_ID));
        old.completeSync(SyncResult.error(Errors.FENCED_INSTANCE_ID));
        GroupMember member = g.replaceStatic(r.groupInstanceId(), oldId, newId);
        member.rejoined(r);
        sessions.restart(g, member);
        if (g.is(GroupState.STABLE) && unchanged) {
            storeReplacement(g, oldId, newId, r.groupInstanceId(), respond);
            return;
        }
        member.awaitJoin(respond);
        rebalancer.maybePrepareRebalance(g, "static member " + r.groupInstanceId() + " rejoined with new protocols");
    }

    /**
     * Writes the group with a static member's new id. The swap is made before the write, so the old
     * id is fenced at once (as Kafka does), and undone if the record cannot be written; once written,
     * the record replays into the group if the group still holds it (no rebalance came in between).
     */
    private void storeReplacement(ClassicGroup g, String oldId, String newId, String instanceId,
            Consumer<JoinResult> respond) {
        int generation = g.generationId();
        GroupRecord.GroupMetadata record = g.metadataRecord(Map.of());
        groups.writeMetadata(g, List.of(record)).thenAccept(error -> {
            if (error != Errors.NONE) {
                // Not written: the old id stays the member, and the new process must try again.
                if (g.has(newId)) {
                    g.replaceStatic(instanceId, newId, oldId);
                }
                respond.accept(JoinResult.error(newId, error));
            } else if (g.generationId() != generation || !g.has(newId)) {
                respond.accept(JoinResult.error(newId, Errors.REBALANCE_IN_PROGRESS));
            } else {
                if (g.holds(record)) {
                    groups.replay(g, List.of(record));
                }
                // Nothing to reassign: a leader that restarted is told to skip the assignment (KIP-814).
                GroupMember current = g.member(newId);
                sessions.restart(g, current);
                JoinResult join = JoinResult.currentGeneration(g, current);
                respond.accept(new JoinResult(join.error(), join.memberId(), join.generationId(), join.protocolType(),
                        join.protocolName(), join.leaderId(), g.isLeader(newId), join.members()));
            }
        });
    }
}
