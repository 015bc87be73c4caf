package dev.runnel.broker.group;

import java.util.List;

import dev.runnel.common.TopicPartition;

/** A record of {@code __consumer_offsets}, decoded: a committed offset or a group's metadata; a null value deletes. */
sealed interface GroupRecord {

    String groupId();

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
