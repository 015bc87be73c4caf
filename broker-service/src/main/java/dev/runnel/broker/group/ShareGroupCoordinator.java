package dev.runnel.broker.group;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.config.ShareGroupConfigs;
import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.common.time.Scheduler;

/**
 * Share groups (KIP-932, {@code KafkaShareConsumer}): ShareGroupHeartbeat and
 * ShareGroupDescribe, with the sessions that remove silent members.
 *
 * <p>A member joins with an id of its own and epoch 0 and leaves with epoch -1, subscribed to
 * topic names. A change of members, of their subscriptions or of the subscribed topics' metadata
 * bumps the group epoch; the {@link SimpleAssignor} then computes the target at that epoch, and a
 * member takes its part of it at its next heartbeat, its epoch the target's: share partitions are
 * not owned, so there is no revocation (several members may fetch from one partition). A member
 * not heard from for the group's session timeout ({@code share.session.timeout.ms}, by default
 * {@code group.share.session.timeout.ms}, from {@link ShareGroupConfigs}) is removed. A partition
 * is assigned only once its share-partition state is initialized through the share coordinator
 * ({@link ShareStateInitializer}), as in Kafka.
 *
 * <p>A group id is a share group or another type, never both: a share heartbeat to a classic or
 * consumer group is GROUP_ID_NOT_FOUND, a consumer heartbeat to a share group too, and a JoinGroup
 * INCONSISTENT_GROUP_PROTOCOL. As for consumer groups, every change decides its records and answer
 * first ({@link ShareHeartbeats}), one operation of a group writes at a time ({@link GroupWrites}),
 * and the records change the group only when replayed.
 */
public final class ShareGroupCoordinator {

    private static final Logger log = LoggerFactory.getLogger(ShareGroupCoordinator.class);

    private final GroupMetadataManager groups;
    private final GroupCoordinator classic;
    private final Clock clock;
    private final Scheduler scheduler;
    private final ShareGroupConfigs configs;
    private final ShareHeartbeats decisions;
    private final GroupWrites writes;
    private final ShareStateInitializer initializer;

    /**
     * @param configs      each group's settings (session timeout, heartbeat interval)
     * @param persister    the share coordinator, which initializes the state of newly subscribed share
     *                     partitions; looked up at each use (none yet: they stay initializing, unassigned)
     * @param maxGroupSize {@code group.share.max.size}
     */
    public ShareGroupCoordinator(GroupCoordinator classic, Clock clock, Scheduler scheduler, TopicsView topics,
            ShareGroupConfigs configs, Supplier<ShareStatePersister> persister, int maxGroupSize) {
        this.classic = classic;
        this.groups = classic.metadata();
        this.clock = clock;
        this.scheduler = scheduler;
        this.configs = configs;
        this.decisions = new ShareHeartbeats(topics, configs, maxGroupSize);
        this.writes = new GroupWrites(classic);
        this.initializer = new ShareStateInitializer(groups, writes, persister);
        groups.onLoaded(g -> {
            startSessions(g);
            initializer.maybeInitialize(g);
        });
        groups.onUnloaded(g -> {
            if (g.share() != null) {
                g.share().cancelTimers();
            }
        });
    }

    // ---------------------------------------------------------------- ShareGroupHeartbeat

    public CompletableFuture<ShareHeartbeatResult> heartbeat(ShareHeartbeat r) {
        ShareHeartbeatResult invalid = ShareHeartbeats.validate(r);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        Errors error = groups.coordinatorError(r.groupId());
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(ShareHeartbeatResult.error(error, null));
        }
        ClassicGroup group = r.memberEpoch() == ShareHeartbeat.JOIN ? groups.getOrCreate(r.groupId())
                : groups.group(r.groupId());
        if (group == null) {
            // As for a member its group forgot: the client joins again (GROUP_ID_NOT_FOUND would be fatal to it).
            return CompletableFuture.completedFuture(ShareHeartbeatResult.error(Errors.UNKNOWN_MEMBER_ID,
                    "Member " + r.memberId() + " is not a member of group " + r.groupId() + "."));
        }
        return writes.serialized(group, e -> ShareHeartbeatResult.error(e, null), g -> decisions.decide(g, r),
                (g, answer) -> {
                    if (answer.error() == Errors.NONE && r.memberEpoch() != ShareHeartbeat.LEAVE) {
                        heard(g, r.memberId());
                    }
                    initializer.maybeInitialize(g);
                });
    }

    // ---------------------------------------------------------------- sessions

    private void heard(ClassicGroup g, String memberId) {
        ShareGroup sg = g.share();
        ShareGroup.Member member = sg == null ? null : sg.member(memberId);
        if (member != null) {
            restartSession(g, member);
        }
    }

    private void restartSession(ClassicGroup g, ShareGroup.Member member) {
        member.cancelSession();
        member.lastHeartbeatMs = clock.millis();
        long timeoutMs = configs.settings(g.groupId).sessionTimeout().toMillis();
        member.session = scheduler.schedule("share-group-session", () -> g.queue.execute(() -> {
            ShareGroup sg = g.share();
            if (sg == null || sg.member(member.memberId) != member || groups.group(g.groupId) != g
                    || clock.millis() - member.lastHeartbeatMs < timeoutMs) {
                return;
            }
            remove(g, member, "member " + member.memberId + " has not sent a heartbeat for " + timeoutMs + " ms");
        }), Duration.ofMillis(timeoutMs));
    }

    /** Removes a member whose session expired. */
    private void remove(ClassicGroup g, ShareGroup.Member member, String why) {
        writes.serialized(g, e -> e, group -> {
            ShareGroup sg = group.share();
            if (sg == null || sg.member(member.memberId) != member) {
                return new CoordinatorResult<>(List.of(), Errors.NONE);
            }
            log.info("Removing {} from share group {}: {}", member.memberId, g.groupId, why);
            return new CoordinatorResult<>(decisions.removal(group, sg, member.memberId), Errors.NONE);
        }, (group, e) -> { });
    }

    /** A group just loaded: its members' sessions run from now. */
    private void startSessions(ClassicGroup g) {
        ShareGroup sg = g.share();
        if (sg != null) {
            List.copyOf(sg.members()).forEach(m -> restartSession(g, m));
        }
    }

    // ---------------------------------------------------------------- ShareGroupDescribe

    /** A member as ShareGroupDescribe shows it. */
    public record MemberDescription(String memberId, String rackId, int memberEpoch, String clientId,
            String clientHost, List<String> subscribedTopicNames, PartitionSet assignment) {
    }

    /** A group as ShareGroupDescribe shows it. */
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
            ShareGroup sg = g.share();
            if (sg == null) {
                respond.accept(Description.error(groupId, Errors.GROUP_ID_NOT_FOUND, ShareHeartbeats.isOtherType(g)
                        ? "Group " + groupId + " is not a share group." : "Group " + groupId + " not found."));
                return;
            }
            List<MemberDescription> members = new ArrayList<>();
            for (ShareGroup.Member m : sg.members()) {
                GroupRecord.StoredShareMember md = m.metadata;
                if (md != null) {
                    members.add(new MemberDescription(m.memberId, md.rackId(), m.memberEpoch(), md.clientId(),
                            md.clientHost(), md.subscribedTopicNames(), m.assignment.assigned()));
                }
            }
            respond.accept(new Description(Errors.NONE, null, groupId, sg.stateName(), sg.groupEpoch(),
                    sg.assignmentEpoch(), SimpleAssignor.NAME, members));
        });
    }
}
