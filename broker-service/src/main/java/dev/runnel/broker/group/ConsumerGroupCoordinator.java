package dev.runnel.broker.group;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.time.Scheduler;

/**
 * The consumer group protocol (KIP-848, {@code group.protocol=consumer}): ConsumerGroupHeartbeat
 * and ConsumerGroupDescribe, with the timers that remove silent members and fence members that do
 * not revoke in time.
 *
 * <p>The group has an epoch, bumped when its members or their subscriptions change, or when the
 * subscribed topics' metadata does (partitions added, a topic created or deleted). When the group
 * epoch passes the target assignment's epoch, the server-side assignor ({@code uniform} or
 * {@code range}) computes a new target. Each member then reconciles towards its part of the
 * target one heartbeat at a time ({@link MemberReconciler}): it first revokes what it must give up,
 * staying at its epoch; a partition is handed to its new owner only once its previous owner's
 * heartbeat shows it no longer owns it. A member not heard from for
 * {@code group.consumer.session.timeout.ms} is removed, and one that does not revoke within its
 * rebalance timeout is fenced; either way its partitions move. A static member
 * ({@code group.instance.id}) leaving with epoch -2 keeps its partitions until it comes back with
 * a new member id and takes its place, or its session expires.
 *
 * <p>Every operation that changes the group decides its records and answer first, without changing
 * anything ({@link CoordinatorResult}; a heartbeat's in {@link ConsumerHeartbeats}); once {@code __consumer_offsets} has them, they are replayed
 * ({@link GroupMetadataManager#replay}) and the answer goes out. One operation of a group writes at
 * a time ({@link GroupWrites}): the next decides on the state the last one left.
 */
public final class ConsumerGroupCoordinator {

    private static final Logger log = LoggerFactory.getLogger(ConsumerGroupCoordinator.class);

    private final GroupMetadataManager groups;
    private final GroupCoordinator classic;
    private final Clock clock;
    private final Scheduler scheduler;
    private final GroupSettings.ConsumerProtocol settings;
    private final ConsumerHeartbeats decisions;
    private final GroupWrites writes;
    private final ClassicMembers classicMembers;


    /**
     * @param codec the classic consumer protocol's bytes, to serve classic members and to convert
     *              groups between the protocols
     */
    public ConsumerGroupCoordinator(GroupCoordinator classic, Clock clock, Scheduler scheduler, TopicsView topics,
            ConsumerProtocolCodec codec) {
        this.classic = classic;
        this.groups = classic.metadata();
        this.clock = clock;
        this.scheduler = scheduler;
        this.settings = groups.settings().consumer();
        ClassicConsumerProtocol protocol = new ClassicConsumerProtocol(codec, topics);
        this.decisions = new ConsumerHeartbeats(groups, clock, topics, protocol);
        this.writes = new GroupWrites(classic);
        this.classicMembers = new ClassicMembers(groups.settings(), protocol, decisions);
        classic.serveClassicMembersWith(this);
        groups.onLoaded(this::startTimers);
        groups.onUnloaded(g -> {
            if (g.consumer() != null) {
                g.consumer().cancelTimers();
            }
        });
    }

    // ---------------------------------------------------------------- ConsumerGroupHeartbeat

    public CompletableFuture<ConsumerHeartbeatResult> heartbeat(ConsumerHeartbeat r) {
        ConsumerHeartbeatResult invalid = decisions.validate(r);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        Errors error = groups.coordinatorError(r.groupId());
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(ConsumerHeartbeatResult.error(error, null));
        }
        ClassicGroup group = r.memberEpoch() == ConsumerHeartbeat.JOIN ? groups.getOrCreate(r.groupId())
                : groups.group(r.groupId());
        if (group == null) {
            return CompletableFuture.completedFuture(ConsumerHeartbeatResult.error(Errors.UNKNOWN_MEMBER_ID,
                    "Member " + r.memberId() + " is not a member of group " + r.groupId() + "."));
        }
        return serialized(group, e -> ConsumerHeartbeatResult.error(e, null), g -> decisions.decide(g, r),
                (g, answer) -> {
                    if (answer.error() == Errors.NONE) {
                        heard(g, r.memberId());
                    }
                });
    }


    // ---------------------------------------------------------------- classic members (online migration)

    /** Whether classic members are served in consumer groups (the migration policy is not {@code disabled}). */
    boolean servesClassicMembers() {
        return decisions.migration().servesClassicMembers();
    }

    /** A classic member's JoinGroup to the consumer group {@code g}, on its queue ({@link ClassicMembers#join}). */
    void classicJoin(ClassicGroup g, JoinRequest r, Consumer<JoinResult> respond) {
        String memberId = ClassicMembers.memberIdFor(r);
        runOrWait(g, () -> run(g, e -> JoinResult.error(r.memberId(), e), group -> classicMembers.join(group, r, memberId),
                (group, answer) -> {
                    if (answer.error() == Errors.NONE) {
                        heard(group, memberId);
                        classicDeadline(group, memberId, false, "it did not send SyncGroup");
                    }
                }, respond));
    }

    /** A classic member's SyncGroup to the consumer group {@code g}, on its queue. */
    void classicSync(ClassicGroup g, int generationId, String memberId, String instanceId, String protocolType,
            String protocolName, Consumer<SyncResult> respond) {
        runOrWait(g, () -> run(g, SyncResult::error, group -> new CoordinatorResult<>(List.of(),
                classicMembers.sync(group, generationId, memberId, instanceId, protocolType, protocolName)),
                (group, answer) -> {
                    if (answer.error() == Errors.NONE) {
                        heard(group, memberId);
                        cancelClassicDeadline(group, memberId);
                    } else if (answer.error() == Errors.REBALANCE_IN_PROGRESS) {
                        classicDeadline(group, memberId, true, "it did not rejoin");
                    }
                }, respond));
    }

    /** A classic member's Heartbeat to the consumer group {@code g}, on its queue. */
    void classicHeartbeat(ClassicGroup g, int generationId, String memberId, String instanceId,
            Consumer<Errors> respond) {
        runOrWait(g, () -> run(g, e -> e, group -> new CoordinatorResult<>(List.of(),
                classicMembers.heartbeat(group, generationId, memberId, instanceId)), (group, answer) -> {
                    if (answer == Errors.NONE || answer == Errors.REBALANCE_IN_PROGRESS) {
                        heard(group, memberId);
                    }
                    if (answer == Errors.REBALANCE_IN_PROGRESS) {
                        classicDeadline(group, memberId, true, "it did not rejoin");
                    }
                }, respond));
    }

    /** A LeaveGroup of classic members from the consumer group {@code g}, on its queue: one member at a time. */
    void classicLeave(ClassicGroup g, List<GroupCoordinator.LeavingMember> leaving,
            Consumer<GroupCoordinator.LeaveResult> respond) {
        leaveNext(g, leaving, new ArrayList<>(), respond);
    }

    private void leaveNext(ClassicGroup g, List<GroupCoordinator.LeavingMember> leaving, List<Errors> outcomes,
            Consumer<GroupCoordinator.LeaveResult> respond) {
        if (outcomes.size() == leaving.size()) {
            respond.accept(new GroupCoordinator.LeaveResult(Errors.NONE, outcomes));
            return;
        }
        GroupCoordinator.LeavingMember m = leaving.get(outcomes.size());
        runOrWait(g, () -> run(g, e -> e, group -> {
            ConsumerGroup cg = group.consumer();
            if (cg == null) {
                return new CoordinatorResult<>(List.of(), Errors.UNKNOWN_MEMBER_ID);
            }
            ClassicMembers.Leaving who = classicMembers.leaving(cg, m.memberId(), m.groupInstanceId());
            if (who.error() != Errors.NONE) {
                return new CoordinatorResult<>(List.of(), who.error());
            }
            log.info("Classic member {} left consumer group {}", who.memberId(), group.groupId);
            return new CoordinatorResult<>(classicMembers.removal(group, cg, who.memberId()), Errors.NONE);
        }, (group, e) -> {
            if (group.consumer() != null) {
                updateRevocationDeadlines(group);
            }
        }, outcome -> {
            outcomes.add(outcome);
            leaveNext(g, leaving, outcomes, respond);
        }));
    }

    // ---------------------------------------------------------------- timers

    /**
     * A classic member must join within its rebalance timeout once told to rejoin, and sync within
     * it once joined, else it is removed (Kafka's join and sync timers). {@code ifAbsent}: a
     * deadline already running stays (a member told again to rejoin does not get more time).
     */
    private void classicDeadline(ClassicGroup g, String memberId, boolean ifAbsent, String why) {
        ConsumerGroup cg = g.consumer();
        ConsumerGroup.Member member = cg == null ? null : cg.member(memberId);
        if (member == null || member.metadata == null || (ifAbsent && member.classicDeadline != null)) {
            return;
        }
        if (member.classicDeadline != null) {
            member.classicDeadline.cancel();
        }
        int timeout = member.metadata.rebalanceTimeoutMs();
        member.classicDeadline = scheduler.schedule("consumer-group-classic-deadline", () -> g.queue.execute(() -> {
            ConsumerGroup now = g.consumer();
            if (now == null || now.member(memberId) != member || groups.group(g.groupId) != g) {
                return;
            }
            member.classicDeadline = null;
            remove(g, member, "classic member " + memberId + ": " + why + " within its rebalance timeout of " + timeout
                    + " ms");
        }), Duration.ofMillis(Math.max(0, timeout)));
    }

    private static void cancelClassicDeadline(ClassicGroup g, String memberId) {
        ConsumerGroup.Member member = g.consumer() == null ? null : g.consumer().member(memberId);
        if (member != null && member.classicDeadline != null) {
            member.classicDeadline.cancel();
            member.classicDeadline = null;
        }
    }

    /** After a heartbeat of {@code memberId}: its session restarts; revocation deadlines follow the states. */
    private void heard(ClassicGroup g, String memberId) {
        ConsumerGroup cg = g.consumer();
        if (cg == null) {
            return;
        }
        ConsumerGroup.Member member = cg.member(memberId);
        if (member != null) {
            restartSession(g, member);
        }
        updateRevocationDeadlines(g);
    }

    private void restartSession(ClassicGroup g, ConsumerGroup.Member member) {
        if (member.session != null) {
            member.session.cancel();
        }
        member.lastHeartbeatMs = clock.millis();
        int timeout = sessionTimeoutMs(member);
        member.session = scheduler.schedule("consumer-group-session", () -> g.queue.execute(() -> {
            ConsumerGroup cg = g.consumer();
            if (cg == null || cg.member(member.memberId) != member || groups.group(g.groupId) != g
                    || clock.millis() - member.lastHeartbeatMs < timeout) {
                return;
            }
            remove(g, member, "member " + member.memberId + " has not sent a heartbeat for " + timeout + " ms");
        }), Duration.ofMillis(timeout));
    }

    /** A classic member's session timeout is its own (session.timeout.ms); the others' the broker's. */
    private int sessionTimeoutMs(ConsumerGroup.Member member) {
        return member.metadata != null && member.metadata.isClassic() ? member.metadata.classic().sessionTimeoutMs()
                : settings.sessionTimeoutMs();
    }

    /** Members revoking partitions must do so within their rebalance timeout, else they are fenced. */
    private void updateRevocationDeadlines(ClassicGroup g) {
        for (ConsumerGroup.Member m : g.consumer().members()) {
            MemberAssignment a = m.assignment;
            // A classic member revokes by rejoining: its join deadline applies instead (as in Kafka).
            boolean revoking = a.state() == MemberState.UNREVOKED_PARTITIONS
                    && (m.metadata == null || !m.metadata.isClassic());
            if (!revoking && m.revocation != null) {
                m.revocation.cancel();
                m.revocation = null;
            } else if (revoking && (m.revocation == null || m.revocationEpoch != a.memberEpoch())) {
                if (m.revocation != null) {
                    m.revocation.cancel();
                }
                int epoch = a.memberEpoch();
                m.revocationEpoch = epoch;
                int timeout = m.metadata == null ? settings.sessionTimeoutMs() : m.metadata.rebalanceTimeoutMs();
                m.revocation = scheduler.schedule("consumer-group-revocation", () -> g.queue.execute(() -> {
                    ConsumerGroup cg = g.consumer();
                    if (cg == null || cg.member(m.memberId) != m || groups.group(g.groupId) != g
                            || m.assignment.state() != MemberState.UNREVOKED_PARTITIONS
                            || m.assignment.memberEpoch() != epoch) {
                        return;
                    }
                    remove(g, m, "member " + m.memberId + " did not revoke " + m.assignment.pendingRevocation()
                            + " within its rebalance timeout of " + timeout + " ms");
                }), Duration.ofMillis(Math.max(0, timeout)));
            }
        }
    }

    /** Removes a member the coordinator gave up on (session expired, revocation overdue). */
    private void remove(ClassicGroup g, ConsumerGroup.Member member, String why) {
        serialized(g, e -> e, group -> {
            ConsumerGroup cg = group.consumer();
            if (cg == null || cg.member(member.memberId) != member) {
                return new CoordinatorResult<>(List.of(), Errors.NONE);
            }
            log.info("Removing {} from group {}: {}", member.memberId, g.groupId, why);
            return new CoordinatorResult<>(decisions.removal(group, cg, member.memberId), Errors.NONE);
        }, (group, e) -> {
            if (group.consumer() != null) {
                updateRevocationDeadlines(group);
            }
        });
    }

    /** A group just loaded: its members' sessions and deadlines run from now. */
    private void startTimers(ClassicGroup g) {
        ConsumerGroup cg = g.consumer();
        if (cg == null) {
            return;
        }
        for (ConsumerGroup.Member m : List.copyOf(cg.members())) {
            restartSession(g, m);
        }
        updateRevocationDeadlines(g);
    }

    // ---------------------------------------------------------------- ConsumerGroupDescribe

    /** A member as ConsumerGroupDescribe shows it ({@code classic}: it uses the classic protocol). */
    public record MemberDescription(String memberId, String instanceId, String rackId, int memberEpoch,
            String clientId, String clientHost, List<String> subscribedTopicNames, String subscribedTopicRegex,
            PartitionSet assignment, PartitionSet targetAssignment, boolean classic) {
    }

    /** A group as ConsumerGroupDescribe shows it. */
    public record Description(Errors error, String errorMessage, String groupId, String state, int groupEpoch,
            int assignmentEpoch, String assignorName, List<MemberDescription> members) {

        static Description error(String groupId, Errors error, String message) {
            return new Description(error, message, groupId, "Dead", -1, -1, "", List.of());
        }
    }

    public CompletableFuture<Description> describe(String groupId) {
        Errors error = groups.coordinatorError(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(Description.error(groupId, error, null));
        }
        ClassicGroup group = groups.group(groupId);
        if (group == null) {
            return CompletableFuture.completedFuture(Description.error(groupId, Errors.GROUP_ID_NOT_FOUND,
                    "Group " + groupId + " not found."));
        }
        return classic.<Description>onQueue(group, e -> Description.error(groupId,
                e == Errors.COORDINATOR_NOT_AVAILABLE ? Errors.GROUP_ID_NOT_FOUND : e, null), (g, respond) -> {
            ConsumerGroup cg = g.consumer();
            if (cg == null) {
                respond.accept(Description.error(groupId, Errors.GROUP_ID_NOT_FOUND,
                        "Group " + groupId + " is not a consumer group."));
                return;
            }
            List<MemberDescription> members = new ArrayList<>();
            for (ConsumerGroup.Member m : cg.members()) {
                GroupRecord.StoredConsumerMember md = m.metadata;
                if (md == null) {
                    continue;
                }
                members.add(new MemberDescription(m.memberId, md.instanceId(), md.rackId(), m.assignment.memberEpoch(),
                        md.clientId(), md.clientHost(), md.subscribedTopicNames(), md.subscribedTopicRegex(),
                        m.assignment.assigned(), cg.target(m.memberId), md.isClassic()));
            }
            respond.accept(new Description(Errors.NONE, null, groupId, cg.stateName(), cg.groupEpoch(),
                    cg.assignmentEpoch(), decisions.assignorName(cg), members));
        });
    }

    // ---------------------------------------------------------------- one write at a time

    /** {@link GroupWrites#serialized}, with {@link #typeChanges}. */
    private <T> CompletableFuture<T> serialized(ClassicGroup group, Function<Errors, T> failed,
            Function<ClassicGroup, CoordinatorResult<T>> decide, GroupWrites.AfterReplay<T> after) {
        boolean[] wasConsumerGroup = new boolean[1];
        return writes.serialized(group, failed, g -> {
            wasConsumerGroup[0] = g.isConsumerGroup();
            return decide.apply(g);
        }, typeChanges(wasConsumerGroup, after));
    }

    private static void runOrWait(ClassicGroup g, Runnable operation) {
        GroupWrites.runOrWait(g, operation);
    }

    /** {@link GroupWrites#run} (an operation already on the group's queue), with {@link #typeChanges}. */
    private <T> void run(ClassicGroup g, Function<Errors, T> failed, Function<ClassicGroup, CoordinatorResult<T>> decide,
            GroupWrites.AfterReplay<T> after, Consumer<T> respond) {
        boolean[] wasConsumerGroup = new boolean[1];
        writes.run(g, failed, group -> {
            wasConsumerGroup[0] = group.isConsumerGroup();
            return decide.apply(group);
        }, typeChanges(wasConsumerGroup, after), respond);
    }

    /**
     * {@code after}, preceded by what a write that changed the group's type needs once replayed: an
     * upgraded group's former classic members' sessions run from then on, and a downgraded group
     * with members rebalances as a classic group.
     */
    private <T> GroupWrites.AfterReplay<T> typeChanges(boolean[] wasConsumerGroup, GroupWrites.AfterReplay<T> after) {
        return (g, answer) -> {
            if (!wasConsumerGroup[0] && g.isConsumerGroup()) {
                startTimers(g);
            } else if (wasConsumerGroup[0] && !g.isConsumerGroup() && !g.isEmpty()) {
                classic.downgraded(g);
            }
            after.accept(g, answer);
        };
    }
}
