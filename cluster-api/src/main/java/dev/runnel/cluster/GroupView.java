package dev.runnel.cluster;

import java.util.List;

/**
 * A consumer group as operators see it (broker and controller admin APIs, Actuator): its state,
 * members with their assigned partitions, and committed offsets with the lag behind each
 * partition's high watermark.
 *
 * @param coordinator the broker coordinating the group
 * @param totalLag    the sum of the known lags, or null when none is known
 */
public record GroupView(String groupId, String state, String protocolType, String protocol, int generation,
        int coordinator, List<Member> members, List<PartitionOffset> offsets, Long totalLag) {

    public GroupView {
        members = List.copyOf(members);
        offsets = List.copyOf(offsets);
    }

    /** A member and the partitions it is assigned ({@code topic-partition}), when the group is Stable. */
    public record Member(String memberId, String groupInstanceId, String clientId, String clientHost,
            List<String> assignment) {
    }

    /**
     * A committed offset; {@code highWatermark} and {@code lag} are null when the broker answering
     * does not know the partition's high watermark.
     */
    public record PartitionOffset(String topic, int partition, long committedOffset, String metadata,
            Long highWatermark, Long lag) {
    }
}
