package dev.runnel.broker.group;

import java.util.List;

/**
 * A ShareGroupHeartbeat as the coordinator takes it (KIP-932). Fields the client did not change
 * since its last heartbeat are null, as on the wire.
 */
public record ShareHeartbeat(String groupId, String memberId, int memberEpoch, String rackId,
        List<String> subscribedTopicNames, String clientId, String clientHost) {

    /** The epoch a member joins with. */
    public static final int JOIN = 0;
    /** The epoch a member leaves with. */
    public static final int LEAVE = -1;
}
