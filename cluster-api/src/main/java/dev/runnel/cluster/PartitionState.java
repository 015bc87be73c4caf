package dev.runnel.cluster;

import java.util.List;

/**
 * Leadership of one partition, stored at {@link ZkPaths#partitionState(String, int)}.
 *
 * @param leader         the leader's broker id, or {@link #NO_LEADER} when the partition is offline
 * @param leaderEpoch    bumped on every leader change; brokers refuse commands with an older one
 * @param isr            the in-sync replicas
 * @param partitionEpoch bumped on every change of this state; an AlterPartition must name the current one
 */
public record PartitionState(int leader, int leaderEpoch, List<Integer> isr, int partitionEpoch) {

    public static final int NO_LEADER = -1;

    public PartitionState {
        isr = List.copyOf(isr);
    }

    public boolean online() {
        return leader != NO_LEADER;
    }
}
