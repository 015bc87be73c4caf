package dev.runnel.broker.group;

import java.util.List;

import dev.runnel.common.TopicPartition;

/**
 * A record of {@code __consumer_offsets}, decoded: a committed offset or a group's metadata; a null
 * value deletes. Operations produce these, and replaying them is the only way a group's persisted
 * state changes, live and on load.
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
}
