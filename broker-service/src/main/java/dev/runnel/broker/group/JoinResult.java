package dev.runnel.broker.group;

import java.util.List;

import org.apache.kafka.common.protocol.Errors;

/**
 * The answer to a JoinGroup: the generation the member belongs to, and for the leader every
 * member's metadata for the chosen protocol.
 */
public record JoinResult(Errors error, String memberId, int generationId, String protocolType, String protocolName,
        String leaderId, boolean skipAssignment, List<MemberMetadata> members) {

    /** A member as the leader sees it, to assign partitions. */
    public record MemberMetadata(String memberId, String groupInstanceId, byte[] metadata) {
    }

    /** {@code member}'s answer in {@code g}'s current generation: the leader also gets every member's metadata. */
    static JoinResult currentGeneration(ClassicGroup g, GroupMember member) {
        boolean leader = g.isLeader(member.memberId);
        return new JoinResult(Errors.NONE, member.memberId, g.generationId(), g.protocolType(), g.protocolName(),
                g.leaderId(), false, leader ? g.memberMetadata() : List.of());
    }

    static JoinResult error(String memberId, Errors error) {
        return new JoinResult(error, memberId, -1, null, null, "", false, List.of());
    }
}
