package dev.runnel.broker.group;

import java.util.List;

/**
 * A ConsumerGroupHeartbeat as the coordinator takes it. Fields the client did not change since
 * its last heartbeat are null (-1 for the rebalance timeout), as on the wire.
 *
 * @param ownedPartitions the partitions the member owns, or null if unchanged since its last heartbeat
 */
public record ConsumerHeartbeat(String groupId, String memberId, int memberEpoch, String instanceId, String rackId,
        int rebalanceTimeoutMs, List<String> subscribedTopicNames, String subscribedTopicRegex, String serverAssignor,
        PartitionSet ownedPartitions, String clientId, String clientHost) {

    /** The epoch a member joins with. */
    public static final int JOIN = 0;
    /** The epoch a member leaves with. */
    public static final int LEAVE = -1;
    /** The epoch a static member leaves with when it will come back (its partitions wait for it). */
    public static final int STATIC_LEAVE = -2;
}
