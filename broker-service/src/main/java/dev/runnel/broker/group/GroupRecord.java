package dev.runnel.broker.group;

import java.util.List;

import dev.runnel.common.TopicPartition;

/**
 * A record of {@code __consumer_offsets}, decoded: a committed offset, a classic group's metadata,
 * or one of the five records of a consumer group (KIP-848): its epoch, a member's metadata, the
 * target assignment's epoch, a member's target assignment and a member's current assignment. A
 * null value deletes. Operations produce these, and replaying them is the only way a group's
 * persisted state changes, live and on load.
 */
sealed interface GroupRecord {

    String groupId();

    /** The record committing {@code value} for {@code partition}. */
    static GroupRecord offsetCommit(String groupId, TopicPartition partition, OffsetAndMetadata value) {
        return new OffsetCommit(groupId, partition, value);
    }

    /** The record deleting the committed offset of {@code partition}. */
    static GroupRecord offsetTombstone(String groupId, TopicPartition partition) {
        return new OffsetCommit(groupId, partition, null);
    }

    /** The record deleting the group. */
    static GroupRecord groupTombstone(String groupId) {
        return new GroupMetadata(groupId, null);
    }

    /** A committed offset, or its deletion ({@code value} null). */
    record OffsetCommit(String groupId, TopicPartition partition, OffsetAndMetadata value) implements GroupRecord {
    }

    /** A group's membership as of its last generation change, or the group's deletion ({@code value} null). */
    record GroupMetadata(String groupId, StoredGroup value) implements GroupRecord {
    }

    /** What a group's metadata record holds. */
    record StoredGroup(String protocolType, int generationId, String protocolName, String leaderId,
            long stateTimestampMs, List<StoredMember> members) {
    }

    /** A member as stored: enough to serve it again after a coordinator moves. */
    record StoredMember(String memberId, String groupInstanceId, String clientId, String clientHost,
            int rebalanceTimeoutMs, int sessionTimeoutMs, byte[] subscription, byte[] assignment) {
    }

    // ---------------------------------------------------------------- the consumer group protocol

    /** A consumer group's epoch and the hash of its subscribed topics' metadata, or its deletion. */
    record ConsumerGroupMetadata(String groupId, StoredConsumerGroup value) implements GroupRecord {
    }

    /** What a consumer group's metadata record holds. */
    record StoredConsumerGroup(int epoch, long metadataHash) {
    }

    /** A consumer group member's metadata, or its removal ({@code value} null). */
    record ConsumerMemberMetadata(String groupId, String memberId, StoredConsumerMember value) implements GroupRecord {
    }

    /** What a member's metadata record holds: who it is and what it subscribes to. */
    record StoredConsumerMember(String instanceId, String rackId, String clientId, String clientHost,
            List<String> subscribedTopicNames, String subscribedTopicRegex, int rebalanceTimeoutMs,
            String serverAssignor) {

        public StoredConsumerMember {
            subscribedTopicNames = List.copyOf(subscribedTopicNames);
        }
    }

    /** The epoch of the group's target assignment, or its deletion ({@code assignmentEpoch} null). */
    record TargetAssignmentMetadata(String groupId, Integer assignmentEpoch) implements GroupRecord {
    }

    /** A member's part of the target assignment, or its removal ({@code partitions} null). */
    record TargetAssignmentMember(String groupId, String memberId, PartitionSet partitions) implements GroupRecord {
    }

    /** A member's current assignment and epochs, or its removal ({@code value} null). */
    record CurrentMemberAssignment(String groupId, String memberId, MemberAssignment value) implements GroupRecord {
    }
}
