package dev.runnel.broker.group;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import dev.runnel.common.time.Scheduler;

/**
 * One member of a classic group: who it is, the protocols it offers with their metadata, the
 * assignment the leader gave it, and the callbacks of its parked JoinGroup and SyncGroup.
 * Touched only on its group's queue.
 */
final class GroupMember {

    final String memberId;
    final String groupInstanceId;
    String clientId;
    String clientHost;
    int rebalanceTimeoutMs;
    int sessionTimeoutMs;
    String protocolType;
    List<MemberProtocol> protocols;
    byte[] assignment = new byte[0];
    /** The parked JoinGroup's answer, while the member waits for the generation to form. */
    private Consumer<JoinResult> awaitingJoin;
    /** The parked SyncGroup's answer, while the member waits for the leader's assignment. */
    private Consumer<SyncResult> awaitingSync;
    private Scheduler.ScheduledTask heartbeatExpiry;
    private long lastHeartbeatMs;

    GroupMember(String memberId, String groupInstanceId, String clientId, String clientHost, int rebalanceTimeoutMs,
            int sessionTimeoutMs, String protocolType, List<MemberProtocol> protocols) {
        this.memberId = memberId;
        this.groupInstanceId = groupInstanceId;
        this.clientId = clientId;
        this.clientHost = clientHost;
        this.rebalanceTimeoutMs = rebalanceTimeoutMs;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.protocolType = protocolType;
        this.protocols = List.copyOf(protocols);
    }

    /** A member as a metadata record stores it: it offers only the group's protocol, with its stored subscription. */
    static GroupMember fromRecord(GroupRecord.StoredMember s, String protocolType, String protocolName) {
        GroupMember member = new GroupMember(s.memberId(), s.groupInstanceId(), s.clientId(), s.clientHost(),
                s.rebalanceTimeoutMs(), s.sessionTimeoutMs(), protocolType,
                List.of(new MemberProtocol(protocolName, s.subscription())));
        member.assignment = s.assignment();
        return member;
    }

    /**
     * Takes what a metadata record stores of this member. The protocols it offers stay unless they
     * lack the record's protocol with the record's subscription.
     */
    void replay(GroupRecord.StoredMember s, String protocolType, String protocolName) {
        clientId = s.clientId();
        clientHost = s.clientHost();
        rebalanceTimeoutMs = s.rebalanceTimeoutMs();
        sessionTimeoutMs = s.sessionTimeoutMs();
        this.protocolType = protocolType;
        if (!offers(protocolName, s.subscription())) {
            protocols = List.of(new MemberProtocol(protocolName, s.subscription()));
        }
        assignment = s.assignment();
    }

    private boolean offers(String protocol, byte[] metadata) {
        return protocols.stream().anyMatch(p -> p.name().equals(protocol) && Arrays.equals(p.metadata(), metadata));
    }

    boolean isStatic() {
        return groupInstanceId != null;
    }

    /**
     * The member joined again (same id) with what {@code r} offers: it takes effect in the next
     * generation, which is when it is written.
     */
    void rejoined(JoinRequest r) {
        protocols = List.copyOf(r.protocols());
        rebalanceTimeoutMs = r.rebalanceTimeoutMs();
        sessionTimeoutMs = r.sessionTimeoutMs();
        clientId = r.clientId();
        clientHost = r.clientHost();
    }

    /** Parks the member's JoinGroup until the generation forms (a parked one must be answered first). */
    void awaitJoin(Consumer<JoinResult> respond) {
        awaitingJoin = respond;
    }

    /** Parks the member's SyncGroup until the leader's assignment is written (a parked one must be answered first). */
    void awaitSync(Consumer<SyncResult> respond) {
        awaitingSync = respond;
    }

    /** The generation being formed has no assignment yet: the previous one's is dropped. */
    void clearAssignment() {
        assignment = new byte[0];
    }

    /** The member was heard from at {@code nowMs}; {@code expiry} ends its session unless it is heard from again. */
    void restartSession(long nowMs, Scheduler.ScheduledTask expiry) {
        cancelHeartbeat();
        lastHeartbeatMs = nowMs;
        heartbeatExpiry = expiry;
    }

    long lastHeartbeatMs() {
        return lastHeartbeatMs;
    }

    boolean isAwaitingJoin() {
        return awaitingJoin != null;
    }

    boolean isAwaitingSync() {
        return awaitingSync != null;
    }

    /** This member's metadata for {@code protocol}, which it must offer. */
    byte[] metadata(String protocol) {
        for (MemberProtocol p : protocols) {
            if (p.name().equals(protocol)) {
                return p.metadata();
            }
        }
        throw new IllegalArgumentException("member " + memberId + " does not offer protocol " + protocol);
    }

    /** Whether {@code offered} is exactly what this member offers already (a rejoin that changes nothing). */
    boolean sameProtocols(List<MemberProtocol> offered) {
        if (offered.size() != protocols.size()) {
            return false;
        }
        for (int i = 0; i < offered.size(); i++) {
            if (!offered.get(i).name().equals(protocols.get(i).name())
                    || !Arrays.equals(offered.get(i).metadata(), protocols.get(i).metadata())) {
                return false;
            }
        }
        return true;
    }

    /** The first of {@code candidates} in this member's order of preference. */
    String vote(Set<String> candidates) {
        for (MemberProtocol p : protocols) {
            if (candidates.contains(p.name())) {
                return p.name();
            }
        }
        throw new IllegalStateException("member " + memberId + " offers none of " + candidates);
    }

    Map<String, byte[]> protocolMap() {
        Map<String, byte[]> map = new LinkedHashMap<>();
        protocols.forEach(p -> map.put(p.name(), p.metadata()));
        return map;
    }

    void completeJoin(JoinResult result) {
        Consumer<JoinResult> callback = awaitingJoin;
        awaitingJoin = null;
        if (callback != null) {
            callback.accept(result);
        }
    }

    void completeSync(SyncResult result) {
        Consumer<SyncResult> callback = awaitingSync;
        awaitingSync = null;
        if (callback != null) {
            callback.accept(result);
        }
    }

    void cancelHeartbeat() {
        if (heartbeatExpiry != null) {
            heartbeatExpiry.cancel();
            heartbeatExpiry = null;
        }
    }
}
