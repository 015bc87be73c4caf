package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A classic group's members: by member id in the order they joined, static members by their
 * instance id, and the new members told MEMBER_ID_REQUIRED that have not joined again yet; and the
 * protocol they agree on (Kafka's {@code ClassicGroup} member bookkeeping and protocol selection).
 *
 * <p>Owned by its {@link ClassicGroup}, which keeps the leader, the generation and the rebalance in
 * step with every change made here; nothing else holds it. Touched only on the group's queue.
 */
final class MemberRegistry {

    private final Map<String, GroupMember> members = new LinkedHashMap<>();
    /** Members told MEMBER_ID_REQUIRED that have not joined again yet. */
    private final Set<String> pendingMembers = new HashSet<>();
    private final Map<String, String> staticMembers = new HashMap<>();

    boolean has(String memberId) {
        return members.containsKey(memberId);
    }

    GroupMember get(String memberId) {
        return members.get(memberId);
    }

    Collection<GroupMember> all() {
        return members.values();
    }

    /** The member ids in the order the members joined. */
    List<String> ids() {
        return List.copyOf(members.keySet());
    }

    /** The member that joined first, or null without members. */
    String first() {
        return members.isEmpty() ? null : members.keySet().iterator().next();
    }

    int size() {
        return members.size();
    }

    boolean isEmpty() {
        return members.isEmpty();
    }

    /** Adds {@code member}; it is no longer pending. */
    void add(GroupMember member) {
        members.put(member.memberId, member);
        if (member.isStatic()) {
            staticMembers.put(member.groupInstanceId, member.memberId);
        }
        pendingMembers.remove(member.memberId);
    }

    /** Removes the member, its session timer cancelled; returns it, or null if there was none. */
    GroupMember remove(String memberId) {
        GroupMember removed = members.remove(memberId);
        if (removed == null) {
            return null;
        }
        removed.cancelHeartbeat();
        if (removed.isStatic() && memberId.equals(staticMembers.get(removed.groupInstanceId))) {
            staticMembers.remove(removed.groupInstanceId);
        }
        return removed;
    }

    /** A static member that joined again with a new member id takes the old one's place and assignment. */
    GroupMember replaceStatic(String instanceId, String oldMemberId, String newMemberId) {
        GroupMember old = members.remove(oldMemberId);
        old.cancelHeartbeat();
        GroupMember replacement = new GroupMember(newMemberId, instanceId, old.clientId, old.clientHost,
                old.rebalanceTimeoutMs, old.sessionTimeoutMs, old.protocolType, old.protocols);
        replacement.assignment = old.assignment;
        members.put(newMemberId, replacement);
        staticMembers.put(instanceId, newMemberId);
        return replacement;
    }

    /** The member id the static member {@code instanceId} holds, or null. */
    String staticMemberId(String instanceId) {
        return instanceId == null ? null : staticMembers.get(instanceId);
    }

    void addPending(String memberId) {
        pendingMembers.add(memberId);
    }

    boolean removePending(String memberId) {
        return pendingMembers.remove(memberId);
    }

    boolean isPending(String memberId) {
        return pendingMembers.contains(memberId);
    }

    /** Every member has rejoined, and no new member is still to come back with its id. */
    boolean allJoined() {
        return pendingMembers.isEmpty() && members.values().stream().allMatch(GroupMember::isAwaitingJoin);
    }

    List<GroupMember> notYetRejoined() {
        return members.values().stream().filter(m -> !m.isAwaitingJoin()).toList();
    }

    /** The longest rebalance timeout among the members: how long a join phase may last. */
    int rebalanceTimeoutMs() {
        return members.values().stream().mapToInt(m -> m.rebalanceTimeoutMs).max().orElse(0);
    }

    /**
     * Whether a member offering {@code type} and {@code names} may join a group of
     * {@code groupProtocolType}: an empty group takes any non-empty offer, a group with members one
     * of its type sharing a protocol with every member.
     */
    boolean supportsProtocols(String groupProtocolType, String type, Collection<String> names) {
        if (members.isEmpty()) {
            return type != null && !type.isEmpty() && !names.isEmpty();
        }
        if (!type.equals(groupProtocolType)) {
            return false;
        }
        Set<String> common = candidateProtocols();
        return names.stream().anyMatch(common::contains);
    }

    /** The protocols every member offers. */
    private Set<String> candidateProtocols() {
        Set<String> common = null;
        for (GroupMember m : members.values()) {
            Set<String> names = new HashSet<>(m.protocolMap().keySet());
            if (common == null) {
                common = names;
            } else {
                common.retainAll(names);
            }
        }
        return common == null ? Set.of() : common;
    }

    /** The protocol most members prefer among those all offer (ties go to the first counted); there must be members. */
    String selectProtocol() {
        Set<String> candidates = candidateProtocols();
        Map<String, Integer> votes = new LinkedHashMap<>();
        for (GroupMember m : members.values()) {
            votes.merge(m.vote(candidates), 1, Integer::sum);
        }
        return votes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    /** Each member's metadata for {@code protocolName}, as the leader's JoinGroup answer carries them. */
    List<JoinResult.MemberMetadata> metadata(String protocolName) {
        List<JoinResult.MemberMetadata> list = new ArrayList<>();
        for (GroupMember m : members.values()) {
            list.add(new JoinResult.MemberMetadata(m.memberId, m.groupInstanceId, m.metadata(protocolName)));
        }
        return list;
    }

    /**
     * The members as a metadata record stores them, with {@code assignments} by member id (members
     * without one keep the assignment they have).
     */
    List<GroupRecord.StoredMember> stored(String protocolName, Map<String, byte[]> assignments) {
        List<GroupRecord.StoredMember> stored = new ArrayList<>();
        for (GroupMember m : members.values()) {
            stored.add(new GroupRecord.StoredMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                    m.rebalanceTimeoutMs, m.sessionTimeoutMs, protocolName == null ? new byte[0] : m.metadata(protocolName),
                    assignments.getOrDefault(m.memberId, m.assignment)));
        }
        return stored;
    }

    /**
     * Takes the members of a metadata record, in its order. A member held already keeps its object
     * (its session and parked requests); one not held is made from the record.
     *
     * @return the members held before that the record does not have, their session timers cancelled
     */
    Collection<GroupMember> replay(GroupRecord.StoredGroup stored) {
        Map<String, GroupMember> previous = new LinkedHashMap<>(members);
        members.clear();
        staticMembers.clear();
        for (GroupRecord.StoredMember s : stored.members()) {
            GroupMember member = previous.remove(s.memberId());
            if (member == null || !Objects.equals(member.groupInstanceId, s.groupInstanceId())) {
                member = GroupMember.fromRecord(s, stored.protocolType(), stored.protocolName());
            } else {
                member.replay(s, stored.protocolType(), stored.protocolName());
            }
            members.put(member.memberId, member);
            if (member.isStatic()) {
                staticMembers.put(member.groupInstanceId, member.memberId);
            }
        }
        previous.values().forEach(GroupMember::cancelHeartbeat);
        return previous.values();
    }
}
