package dev.runnel.broker.group;

import java.util.List;

/**
 * A JoinGroup as the coordinator needs it.
 *
 * @param memberId             empty for a member joining for the first time
 * @param groupInstanceId      the static member's instance id, or null for a dynamic member
 * @param requireKnownMemberId JoinGroup v4+: a new dynamic member first gets its id (MEMBER_ID_REQUIRED)
 *                             and must join again with it
 */
public record JoinRequest(String groupId, String memberId, String groupInstanceId, String clientId,
        String clientHost, int sessionTimeoutMs, int rebalanceTimeoutMs, String protocolType,
        List<MemberProtocol> protocols, boolean requireKnownMemberId, String reason) {
}
