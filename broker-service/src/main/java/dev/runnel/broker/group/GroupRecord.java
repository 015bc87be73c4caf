package dev.runnel.broker.group;

import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import dev.runnel.common.TopicPartition;

/**
 * A record of {@code __consumer_offsets}, decoded: a committed offset, a classic group's metadata,
 * one of the five records of a consumer group (KIP-848): its epoch, a member's metadata, the
 * target assignment's epoch, a member's target assignment and a member's current assignment; or
 * one of the six of a share group (KIP-932): the same five and the share partitions whose state
 * the group has initialized. A null value deletes. Operations produce these, and replaying them is the only way a group's
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

    /**
     * What a member's metadata record holds: who it is and what it subscribes to, and for a member
     * that speaks the classic protocol (JoinGroup, SyncGroup, Heartbeat) its classic metadata.
     *
     * @param classic null for a member of the consumer group protocol
     */
    record StoredConsumerMember(String instanceId, String rackId, String clientId, String clientHost,
            List<String> subscribedTopicNames, String subscribedTopicRegex, int rebalanceTimeoutMs,
            String serverAssignor, ClassicMetadata classic) {

        public StoredConsumerMember {
            subscribedTopicNames = List.copyOf(subscribedTopicNames);
        }

        /** A member of the consumer group protocol. */
        public StoredConsumerMember(String instanceId, String rackId, String clientId, String clientHost,
                List<String> subscribedTopicNames, String subscribedTopicRegex, int rebalanceTimeoutMs,
                String serverAssignor) {
            this(instanceId, rackId, clientId, clientHost, subscribedTopicNames, subscribedTopicRegex,
                    rebalanceTimeoutMs, serverAssignor, null);
        }

        boolean isClassic() {
            return classic != null;
        }
    }

    /**
     * Kafka's {@code ClassicMemberMetadata} of a consumer group member that uses the classic
     * protocol: its session timeout and the protocols (assignors, with its subscription as their
     * metadata) its last JoinGroup offered, in its order of preference.
     */
    record ClassicMetadata(int sessionTimeoutMs, List<MemberProtocol> protocols) {

        public ClassicMetadata {
            protocols = List.copyOf(protocols);
        }

        /** The protocol the member prefers: its JoinGroup and SyncGroup answers name it. */
        String protocolName() {
            return protocols.get(0).name();
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof ClassicMetadata other) || other.sessionTimeoutMs != sessionTimeoutMs
                    || other.protocols.size() != protocols.size()) {
                return false;
            }
            for (int i = 0; i < protocols.size(); i++) {
                if (!protocols.get(i).name().equals(other.protocols.get(i).name())
                        || !Arrays.equals(protocols.get(i).metadata(), other.protocols.get(i).metadata())) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            int h = sessionTimeoutMs;
            for (MemberProtocol p : protocols) {
                h = 31 * h + p.name().hashCode();
                h = 31 * h + Arrays.hashCode(p.metadata());
            }
            return h;
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

    // ---------------------------------------------------------------- share groups (KIP-932)

    /** A share group's epoch and the hash of its subscribed topics' metadata, or its deletion. */
    record ShareGroupMetadata(String groupId, StoredShareGroup value) implements GroupRecord {
    }

    /** What a share group's metadata record holds. */
    record StoredShareGroup(int epoch, long metadataHash) {
    }

    /** A share group member's metadata, or its removal ({@code value} null). */
    record ShareMemberMetadata(String groupId, String memberId, StoredShareMember value) implements GroupRecord {
    }

    /** What a share member's metadata record holds. */
    record StoredShareMember(String rackId, String clientId, String clientHost, List<String> subscribedTopicNames) {

        public StoredShareMember {
            subscribedTopicNames = List.copyOf(subscribedTopicNames);
        }
    }

    /** The epoch of a share group's target assignment, or its deletion ({@code assignmentEpoch} null). */
    record ShareTargetMetadata(String groupId, Integer assignmentEpoch) implements GroupRecord {
    }

    /** A share member's part of the target assignment, or its removal ({@code partitions} null). */
    record ShareTargetMember(String groupId, String memberId, PartitionSet partitions) implements GroupRecord {
    }

    /** A share member's current assignment, or its removal ({@code value} null). */
    record ShareCurrentAssignment(String groupId, String memberId, StoredShareAssignment value) implements GroupRecord {
    }

    /** What a share member's current assignment record holds (its state is always Kafka's STABLE, 0). */
    record StoredShareAssignment(int memberEpoch, int previousMemberEpoch, PartitionSet assigned) {
    }

    /**
     * The share partitions whose state (in the share coordinator) a share group is initializing,
     * has initialized and is deleting, or the record's deletion ({@code value} null).
     */
    record ShareStatePartitions(String groupId, StoredShareStatePartitions value) implements GroupRecord {
    }

    /** What a share group's state-partitions record holds; a deleting topic's partitions are empty. */
    record StoredShareStatePartitions(List<ShareTopicPartitions> initializing, List<ShareTopicPartitions> initialized,
            List<ShareTopicPartitions> deleting) {

        public StoredShareStatePartitions {
            initializing = List.copyOf(initializing);
            initialized = List.copyOf(initialized);
            deleting = List.copyOf(deleting);
        }
    }

    /** A topic by id and name, and some of its partitions in ascending order. */
    record ShareTopicPartitions(UUID topicId, String topicName, List<Integer> partitions) {

        public ShareTopicPartitions {
            partitions = List.copyOf(partitions);
        }
    }
}
