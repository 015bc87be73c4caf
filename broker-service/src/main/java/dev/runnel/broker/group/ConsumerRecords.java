package dev.runnel.broker.group;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.UUID;

/**
 * The bytes of the consumer group protocol's records in {@code __consumer_offsets}, as Kafka 4.x
 * writes them (layouts in {@link GroupRecordCodec}): keys with the record type as their version,
 * version 0 values in the flexible encoding. Used through {@link GroupRecordCodec} only; its
 * readers of the flexible encoding serve {@link ShareRecords} too.
 */
final class ConsumerRecords {

    private static final short VALUE_VERSION = 0;
    /** ConsumerGroupMetadataValue's tagged field: the hash of the subscribed topics' metadata. */
    private static final int METADATA_HASH_TAG = 0;
    /** The TopicPartitions struct's tagged field: the epoch each partition was assigned at (KIP-1251). */
    private static final int ASSIGNMENT_EPOCHS_TAG = 0;
    /** ConsumerGroupMemberMetadataValue's tagged field: the classic protocol's metadata of a classic member. */
    private static final int CLASSIC_MEMBER_TAG = 0;

    private ConsumerRecords() {
    }

    static GroupLog.Entry encode(GroupRecord record) {
        GroupRecordCodec.Writer key = new GroupRecordCodec.Writer();
        byte[] value;
        if (record instanceof GroupRecord.ConsumerGroupMetadata r) {
            key.int16(GroupRecordCodec.CONSUMER_GROUP_KEY).string(r.groupId());
            value = r.value() == null ? null : groupValue(r.value());
        } else if (record instanceof GroupRecord.ConsumerMemberMetadata r) {
            key.int16(GroupRecordCodec.CONSUMER_MEMBER_KEY).string(r.groupId()).string(r.memberId());
            value = r.value() == null ? null : memberValue(r.value());
        } else if (record instanceof GroupRecord.TargetAssignmentMetadata r) {
            key.int16(GroupRecordCodec.TARGET_ASSIGNMENT_KEY).string(r.groupId());
            value = r.assignmentEpoch() == null ? null
                    : new GroupRecordCodec.Writer().int16(VALUE_VERSION).int32(r.assignmentEpoch()).uvarint(0).bytes();
        } else if (record instanceof GroupRecord.TargetAssignmentMember r) {
            key.int16(GroupRecordCodec.TARGET_MEMBER_KEY).string(r.groupId()).string(r.memberId());
            value = r.partitions() == null ? null
                    : partitions(new GroupRecordCodec.Writer().int16(VALUE_VERSION), r.partitions()).uvarint(0).bytes();
        } else if (record instanceof GroupRecord.CurrentMemberAssignment r) {
            key.int16(GroupRecordCodec.CURRENT_ASSIGNMENT_KEY).string(r.groupId()).string(r.memberId());
            value = r.value() == null ? null : assignmentValue(r.value());
        } else {
            throw new IllegalArgumentException("not a consumer group record: " + record);
        }
        return new GroupLog.Entry(key.bytes(), value);
    }

    private static byte[] groupValue(GroupRecord.StoredConsumerGroup g) {
        GroupRecordCodec.Writer w = new GroupRecordCodec.Writer().int16(VALUE_VERSION).int32(g.epoch());
        if (g.metadataHash() == 0) {
            return w.uvarint(0).bytes();
        }
        return w.uvarint(1).uvarint(METADATA_HASH_TAG).uvarint(8).int64(g.metadataHash()).bytes();
    }

    private static byte[] memberValue(GroupRecord.StoredConsumerMember m) {
        GroupRecordCodec.Writer w = new GroupRecordCodec.Writer().int16(VALUE_VERSION)
                .compactString(m.instanceId()).compactString(m.rackId()).compactString(m.clientId())
                .compactString(m.clientHost()).uvarint(m.subscribedTopicNames().size() + 1);
        m.subscribedTopicNames().forEach(w::compactString);
        w.compactString(m.subscribedTopicRegex()).int32(m.rebalanceTimeoutMs()).compactString(m.serverAssignor());
        if (m.classic() == null) {
            return w.uvarint(0).bytes();
        }
        byte[] classic = classicValue(m.classic());
        // Tagged field 0, a nullable struct: its size counts the presence byte (1) that precedes it.
        return w.uvarint(1).uvarint(CLASSIC_MEMBER_TAG).uvarint(classic.length + 1).uvarint(1).raw(classic)
                .bytes();
    }

    /** ClassicMemberMetadata: session timeout, a compact array of {name, metadata, no tags}, no tags. */
    private static byte[] classicValue(GroupRecord.ClassicMetadata c) {
        GroupRecordCodec.Writer w = new GroupRecordCodec.Writer().int32(c.sessionTimeoutMs())
                .uvarint(c.protocols().size() + 1);
        for (MemberProtocol p : c.protocols()) {
            w.compactString(p.name()).uvarint(p.metadata().length + 1).raw(p.metadata()).uvarint(0);
        }
        return w.uvarint(0).bytes();
    }

    private static byte[] assignmentValue(MemberAssignment a) {
        GroupRecordCodec.Writer w = new GroupRecordCodec.Writer().int16(VALUE_VERSION).int32(a.memberEpoch())
                .int32(a.previousMemberEpoch()).int8(a.state().value);
        partitions(w, a.assigned(), a.assignedAt());
        partitions(w, a.pendingRevocation());
        return w.uvarint(0).bytes();
    }

    /** A compact array of {topic id, [partition], no tags}. */
    static GroupRecordCodec.Writer partitions(GroupRecordCodec.Writer w, PartitionSet set) {
        return partitions(w, set, Map.of());
    }

    /**
     * A compact array of {topic id, [partition], tags}: when every partition of a topic has its
     * assignment epoch, tagged field 0 holds them, aligned with the partitions (KIP-1251).
     */
    private static GroupRecordCodec.Writer partitions(GroupRecordCodec.Writer w, PartitionSet set,
            Map<UUID, Map<Integer, Integer>> epochs) {
        w.uvarint(set.topics().size() + 1);
        for (var e : set.asMap().entrySet()) {
            SortedSet<Integer> ps = e.getValue();
            w.uuid(e.getKey()).uvarint(ps.size() + 1);
            ps.forEach(w::int32);
            Map<Integer, Integer> topicEpochs = epochs.getOrDefault(e.getKey(), Map.of());
            if (!topicEpochs.keySet().containsAll(ps)) {
                w.uvarint(0);
                continue;
            }
            int arrayBytes = uvarintSize(ps.size() + 1) + 4 * ps.size();
            w.uvarint(1).uvarint(ASSIGNMENT_EPOCHS_TAG).uvarint(arrayBytes).uvarint(ps.size() + 1);
            ps.forEach(p -> w.int32(topicEpochs.get(p)));
        }
        return w;
    }

    private static int uvarintSize(int v) {
        int bytes = 1;
        while ((v & ~0x7F) != 0) {
            bytes++;
            v >>>= 7;
        }
        return bytes;
    }

    // ---------------------------------------------------------------- decoding

    static GroupRecord decode(short type, String groupId, ByteBuffer key, ByteBuffer value) {
        String memberId = type == GroupRecordCodec.CONSUMER_GROUP_KEY || type == GroupRecordCodec.TARGET_ASSIGNMENT_KEY
                ? null : GroupRecordCodec.string(key);
        if (value != null) {
            short version = value.getShort();
            if (version != VALUE_VERSION) {
                throw new IllegalArgumentException("unknown value version " + version + " of record type " + type);
            }
        }
        return switch (type) {
            case GroupRecordCodec.CONSUMER_GROUP_KEY -> new GroupRecord.ConsumerGroupMetadata(groupId,
                    value == null ? null : groupValue(value));
            case GroupRecordCodec.CONSUMER_MEMBER_KEY -> new GroupRecord.ConsumerMemberMetadata(groupId, memberId,
                    value == null ? null : memberValue(value));
            case GroupRecordCodec.TARGET_ASSIGNMENT_KEY -> {
                Integer epoch = null;
                if (value != null) {
                    epoch = value.getInt();
                    skipTags(value);
                }
                yield new GroupRecord.TargetAssignmentMetadata(groupId, epoch);
            }
            case GroupRecordCodec.TARGET_MEMBER_KEY -> {
                PartitionSet partitions = null;
                if (value != null) {
                    partitions = partitions(value);
                    skipTags(value);
                }
                yield new GroupRecord.TargetAssignmentMember(groupId, memberId, partitions);
            }
            case GroupRecordCodec.CURRENT_ASSIGNMENT_KEY -> new GroupRecord.CurrentMemberAssignment(groupId, memberId,
                    value == null ? null : assignmentValue(value));
            default -> throw new IllegalArgumentException("unknown key version " + type);
        };
    }

    private static GroupRecord.StoredConsumerGroup groupValue(ByteBuffer v) {
        int epoch = v.getInt();
        long hash = 0;
        int tags = uvarint(v);
        for (int i = 0; i < tags; i++) {
            int tag = uvarint(v);
            int size = uvarint(v);
            if (tag == METADATA_HASH_TAG && size == 8) {
                hash = v.getLong();
            } else {
                skip(v, size);
            }
        }
        return new GroupRecord.StoredConsumerGroup(epoch, hash);
    }

    private static GroupRecord.StoredConsumerMember memberValue(ByteBuffer v) {
        String instanceId = compactString(v);
        String rackId = compactString(v);
        String clientId = compactString(v);
        String clientHost = compactString(v);
        int count = arrayLength(v);
        List<String> topics = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            topics.add(compactString(v));
        }
        String regex = compactString(v);
        int rebalanceTimeout = v.getInt();
        String assignor = compactString(v);
        GroupRecord.ClassicMetadata classic = null;
        int tags = uvarint(v);
        for (int i = 0; i < tags; i++) {
            int tag = uvarint(v);
            int size = uvarint(v);
            if (tag != CLASSIC_MEMBER_TAG) {
                skip(v, size);
                continue;
            }
            int end = v.position() + size;
            classic = v.get() == 1 ? classicValue(v) : null;
            v.position(end);
        }
        return new GroupRecord.StoredConsumerMember(instanceId, rackId, clientId == null ? "" : clientId,
                clientHost == null ? "" : clientHost, topics, regex, rebalanceTimeout, assignor, classic);
    }

    private static GroupRecord.ClassicMetadata classicValue(ByteBuffer v) {
        int sessionTimeout = v.getInt();
        int count = arrayLength(v);
        List<MemberProtocol> protocols = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String name = compactString(v);
            int length = uvarint(v) - 1;
            if (length < 0 || length > v.remaining()) {
                throw new IllegalArgumentException("protocol metadata of " + length + " bytes in " + v.remaining());
            }
            byte[] metadata = new byte[length];
            v.get(metadata);
            skipTags(v);
            protocols.add(new MemberProtocol(name, metadata));
        }
        skipTags(v);
        return new GroupRecord.ClassicMetadata(sessionTimeout, protocols);
    }

    private static MemberAssignment assignmentValue(ByteBuffer v) {
        int epoch = v.getInt();
        int previous = v.getInt();
        MemberState state = MemberState.of(v.get());
        Map<UUID, Map<Integer, Integer>> epochs = new HashMap<>();
        PartitionSet assigned = partitions(v, epochs);
        PartitionSet pending = partitions(v, new HashMap<>());
        skipTags(v);
        return new MemberAssignment(epoch, previous, state, assigned, pending, epochs);
    }

    static PartitionSet partitions(ByteBuffer v) {
        return partitions(v, new HashMap<>());
    }

    /** Reads a compact array of {topic id, [partition], tags}, the assignment epochs (tag 0) into {@code epochs}. */
    private static PartitionSet partitions(ByteBuffer v, Map<UUID, Map<Integer, Integer>> epochs) {
        int topics = arrayLength(v);
        PartitionSet.Builder b = new PartitionSet.Builder();
        for (int i = 0; i < topics; i++) {
            UUID topic = new UUID(v.getLong(), v.getLong());
            int count = arrayLength(v);
            int[] partitions = new int[count];
            for (int j = 0; j < count; j++) {
                partitions[j] = v.getInt();
                b.add(topic, partitions[j]);
            }
            int tags = uvarint(v);
            for (int t = 0; t < tags; t++) {
                int tag = uvarint(v);
                int size = uvarint(v);
                if (tag != ASSIGNMENT_EPOCHS_TAG) {
                    skip(v, size);
                    continue;
                }
                int end = v.position() + size;
                int n = arrayLength(v);
                Map<Integer, Integer> byPartition = new HashMap<>();
                for (int j = 0; j < n; j++) {
                    int e = v.getInt();
                    if (j < count) {
                        byPartition.put(partitions[j], e);
                    }
                }
                if (n == count) {
                    epochs.put(topic, byPartition);
                }
                v.position(end);
            }
        }
        return b.build();
    }

    static int arrayLength(ByteBuffer v) {
        int n = uvarint(v) - 1;
        if (n > v.remaining()) {
            throw new IllegalArgumentException("an array of " + n + " elements in " + v.remaining() + " bytes");
        }
        return Math.max(n, 0);
    }

    static String compactString(ByteBuffer v) {
        int length = uvarint(v) - 1;
        if (length < 0) {
            return null;
        }
        if (length > v.remaining()) {
            throw new IllegalArgumentException("a string of " + length + " bytes in " + v.remaining());
        }
        byte[] bytes = new byte[length];
        v.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static void skipTags(ByteBuffer v) {
        int tags = uvarint(v);
        for (int i = 0; i < tags; i++) {
            uvarint(v);
            skip(v, uvarint(v));
        }
    }

    private static void skip(ByteBuffer v, int n) {
        if (n < 0 || n > v.remaining()) {
            throw new IllegalArgumentException("a tagged field of " + n + " bytes in " + v.remaining());
        }
        v.position(v.position() + n);
    }

    static int uvarint(ByteBuffer v) {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            byte b = v.get();
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("an unsigned varint longer than 5 bytes");
    }
}
