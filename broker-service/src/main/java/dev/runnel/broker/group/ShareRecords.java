package dev.runnel.broker.group;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The bytes of a share group's records in {@code __consumer_offsets} (KIP-932), as Kafka 4.x's
 * group coordinator writes them: a key whose int16 is the record type, then the group id and, for
 * a member's records, the member id; a version 0 value in the flexible encoding (see
 * {@link GroupRecordCodec}):
 *
 * <pre>
 *  type 10 ShareGroupMemberMetadata          value: rack id?, client id, client host, [topic name] | tags
 *  type 11 ShareGroupMetadata                value: epoch int32, metadata hash int64 | tags
 *  type 12 ShareGroupTargetAssignmentMetadata value: assignment epoch int32 | tags
 *  type 13 ShareGroupTargetAssignmentMember  value: [topic id uuid, [partition int32] | tags] | tags
 *  type 14 ShareGroupCurrentMemberAssignment value: member epoch int32, previous epoch int32, state int8,
 *                                                   [topic id uuid, [partition int32] | tags] | tags
 *  type 15 ShareGroupStatePartitionMetadata  value: initializing [topic id, topic name, [partition] | tags],
 *                                                   initialized [same], deleting [topic id, topic name | tags] | tags
 * </pre>
 * Used through {@link GroupRecordCodec} only.
 */
final class ShareRecords {

    static final short MEMBER_KEY = 10;
    static final short GROUP_KEY = 11;
    static final short TARGET_ASSIGNMENT_KEY = 12;
    static final short TARGET_MEMBER_KEY = 13;
    static final short CURRENT_ASSIGNMENT_KEY = 14;
    static final short STATE_PARTITIONS_KEY = 15;

    private static final short VALUE_VERSION = 0;
    /** The only member state a share member has: Kafka's MemberState.STABLE. */
    private static final byte STABLE = 0;

    private ShareRecords() {
    }

    static boolean isShareRecordType(short type) {
        return type >= MEMBER_KEY && type <= STATE_PARTITIONS_KEY;
    }

    static GroupLog.Entry encode(GroupRecord record) {
        GroupRecordCodec.Writer key = new GroupRecordCodec.Writer();
        GroupRecordCodec.Writer value = new GroupRecordCodec.Writer().int16(VALUE_VERSION);
        boolean tombstone;
        if (record instanceof GroupRecord.ShareGroupMetadata r) {
            key.int16(GROUP_KEY).string(r.groupId());
            tombstone = r.value() == null;
            if (!tombstone) {
                value.int32(r.value().epoch()).int64(r.value().metadataHash());
            }
        } else if (record instanceof GroupRecord.ShareMemberMetadata r) {
            key.int16(MEMBER_KEY).string(r.groupId()).string(r.memberId());
            tombstone = r.value() == null;
            if (!tombstone) {
                GroupRecord.StoredShareMember m = r.value();
                value.compactString(m.rackId()).compactString(m.clientId()).compactString(m.clientHost())
                        .uvarint(m.subscribedTopicNames().size() + 1);
                m.subscribedTopicNames().forEach(value::compactString);
            }
        } else if (record instanceof GroupRecord.ShareTargetMetadata r) {
            key.int16(TARGET_ASSIGNMENT_KEY).string(r.groupId());
            tombstone = r.assignmentEpoch() == null;
            if (!tombstone) {
                value.int32(r.assignmentEpoch());
            }
        } else if (record instanceof GroupRecord.ShareTargetMember r) {
            key.int16(TARGET_MEMBER_KEY).string(r.groupId()).string(r.memberId());
            tombstone = r.partitions() == null;
            if (!tombstone) {
                ConsumerRecords.partitions(value, r.partitions());
            }
        } else if (record instanceof GroupRecord.ShareCurrentAssignment r) {
            key.int16(CURRENT_ASSIGNMENT_KEY).string(r.groupId()).string(r.memberId());
            tombstone = r.value() == null;
            if (!tombstone) {
                value.int32(r.value().memberEpoch()).int32(r.value().previousMemberEpoch()).int8(STABLE);
                ConsumerRecords.partitions(value, r.value().assigned());
            }
        } else if (record instanceof GroupRecord.ShareStatePartitions r) {
            key.int16(STATE_PARTITIONS_KEY).string(r.groupId());
            tombstone = r.value() == null;
            if (!tombstone) {
                topics(value, r.value().initializing(), true);
                topics(value, r.value().initialized(), true);
                topics(value, r.value().deleting(), false);
            }
        } else {
            throw new IllegalArgumentException("not a share group record: " + record);
        }
        return new GroupLog.Entry(key.bytes(), tombstone ? null : value.uvarint(0).bytes());
    }

    private static void topics(GroupRecordCodec.Writer w, List<GroupRecord.ShareTopicPartitions> topics,
            boolean withPartitions) {
        w.uvarint(topics.size() + 1);
        for (GroupRecord.ShareTopicPartitions t : topics) {
            w.uuid(t.topicId()).compactString(t.topicName());
            if (withPartitions) {
                w.uvarint(t.partitions().size() + 1);
                t.partitions().forEach(w::int32);
            }
            w.uvarint(0);
        }
    }

    // ---------------------------------------------------------------- decoding

    static GroupRecord decode(short type, String groupId, ByteBuffer key, ByteBuffer value) {
        boolean memberRecord = type == MEMBER_KEY || type == TARGET_MEMBER_KEY || type == CURRENT_ASSIGNMENT_KEY;
        String memberId = memberRecord ? GroupRecordCodec.string(key) : null;
        if (value != null) {
            short version = value.getShort();
            if (version != VALUE_VERSION) {
                throw new IllegalArgumentException("unknown value version " + version + " of record type " + type);
            }
        }
        GroupRecord record = switch (type) {
            case GROUP_KEY -> new GroupRecord.ShareGroupMetadata(groupId,
                    value == null ? null : new GroupRecord.StoredShareGroup(value.getInt(), value.getLong()));
            case MEMBER_KEY -> new GroupRecord.ShareMemberMetadata(groupId, memberId,
                    value == null ? null : member(value));
            case TARGET_ASSIGNMENT_KEY -> new GroupRecord.ShareTargetMetadata(groupId,
                    value == null ? null : value.getInt());
            case TARGET_MEMBER_KEY -> new GroupRecord.ShareTargetMember(groupId, memberId,
                    value == null ? null : ConsumerRecords.partitions(value));
            case CURRENT_ASSIGNMENT_KEY -> new GroupRecord.ShareCurrentAssignment(groupId, memberId,
                    value == null ? null : assignment(value));
            case STATE_PARTITIONS_KEY -> new GroupRecord.ShareStatePartitions(groupId,
                    value == null ? null : new GroupRecord.StoredShareStatePartitions(topics(value, true),
                            topics(value, true), topics(value, false)));
            default -> throw new IllegalArgumentException("unknown key version " + type);
        };
        if (value != null) {
            ConsumerRecords.skipTags(value);
        }
        return record;
    }

    private static GroupRecord.StoredShareMember member(ByteBuffer v) {
        String rackId = ConsumerRecords.compactString(v);
        String clientId = ConsumerRecords.compactString(v);
        String clientHost = ConsumerRecords.compactString(v);
        int count = ConsumerRecords.arrayLength(v);
        List<String> topics = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            topics.add(ConsumerRecords.compactString(v));
        }
        return new GroupRecord.StoredShareMember(rackId, clientId == null ? "" : clientId,
                clientHost == null ? "" : clientHost, topics);
    }

    private static GroupRecord.StoredShareAssignment assignment(ByteBuffer v) {
        int epoch = v.getInt();
        int previous = v.getInt();
        v.get(); // the state: always STABLE for a share member
        return new GroupRecord.StoredShareAssignment(epoch, previous, ConsumerRecords.partitions(v));
    }

    private static List<GroupRecord.ShareTopicPartitions> topics(ByteBuffer v, boolean withPartitions) {
        int count = ConsumerRecords.arrayLength(v);
        List<GroupRecord.ShareTopicPartitions> topics = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            UUID id = new UUID(v.getLong(), v.getLong());
            String name = ConsumerRecords.compactString(v);
            List<Integer> partitions = new ArrayList<>();
            if (withPartitions) {
                int n = ConsumerRecords.arrayLength(v);
                for (int j = 0; j < n; j++) {
                    partitions.add(v.getInt());
                }
            }
            ConsumerRecords.skipTags(v);
            topics.add(new GroupRecord.ShareTopicPartitions(id, name == null ? "" : name, partitions));
        }
        return topics;
    }
}
