package dev.runnel.broker.group;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import dev.runnel.common.TopicPartition;

/**
 * The bytes of {@code __consumer_offsets} records, laid out as Kafka lays them out so Kafka's
 * offsets formatters can read our topic: keys are version 1 (offset commit: group, topic,
 * partition) and version 2 (group metadata: group); offset values are version 3 (offset, leader
 * epoch, metadata, commit time) or version 1 when a commit carries its own expiry; group values are
 * version 3 (protocol type, generation, protocol, leader, state time, members). Strings are an int16
 * length and UTF-8 (-1 for null), byte arrays an int32 length.
 *
 * <p>The consumer group protocol's records (Kafka 4.x's group coordinator schemas) have a key whose
 * int16 "version" is the record type, then the group id and, for a member's records, the member
 * id, as plain strings; and a version 0 value in Kafka's flexible encoding: compact strings and
 * arrays (unsigned varint length + 1, 0 for null), uuids as 16 bytes, and a tagged-field section
 * (unsigned varint count, then tag, size and bytes per field) after every struct:
 *
 * <pre>
 *  type 3 ConsumerGroupMetadata         value: epoch int32 | tags {0: metadata hash int64}
 *  type 5 ConsumerGroupMemberMetadata   value: instance id?, rack id?, client id, client host, [topic name],
 *                                              regex?, rebalance timeout int32, server assignor? | tags
 *  type 6 ConsumerGroupTargetAssignmentMetadata  value: assignment epoch int32 | tags
 *  type 7 ConsumerGroupTargetAssignmentMember    value: [topic id uuid, [partition int32] | tags] | tags
 *  type 8 ConsumerGroupCurrentMemberAssignment   value: member epoch int32, previous epoch int32, state int8,
 *                                              [assigned topic partitions], [pending revocation] | tags
 * </pre>
 * Tagged fields this broker does not know (a newer Kafka's) are skipped when read. A share group's
 * records (types 10 to 15, KIP-932) are laid out the same way: {@link ShareRecords}.
 */
final class GroupRecordCodec {

    static final short OFFSET_KEY = 1;
    static final short GROUP_KEY = 2;
    static final short CONSUMER_GROUP_KEY = 3;
    static final short CONSUMER_MEMBER_KEY = 5;
    static final short TARGET_ASSIGNMENT_KEY = 6;
    static final short TARGET_MEMBER_KEY = 7;
    static final short CURRENT_ASSIGNMENT_KEY = 8;

    private GroupRecordCodec() {
    }

    static byte[] offsetKey(String group, TopicPartition tp) {
        Writer w = new Writer();
        w.int16(OFFSET_KEY).string(group).string(tp.topic()).int32(tp.partition());
        return w.bytes();
    }

    static byte[] groupKey(String group) {
        Writer w = new Writer();
        w.int16(GROUP_KEY).string(group);
        return w.bytes();
    }

    static byte[] offsetValue(OffsetAndMetadata o) {
        Writer w = new Writer();
        if (o.expireTimestamp() >= 0) {
            w.int16((short) 1).int64(o.offset()).string(o.metadata()).int64(o.commitTimestamp()).int64(o.expireTimestamp());
        } else {
            w.int16((short) 3).int64(o.offset()).int32(o.leaderEpoch()).string(o.metadata()).int64(o.commitTimestamp());
        }
        return w.bytes();
    }

    static byte[] groupValue(GroupRecord.StoredGroup g) {
        Writer w = new Writer();
        w.int16((short) 3).string(g.protocolType() == null ? "" : g.protocolType()).int32(g.generationId())
                .string(g.protocolName()).string(g.leaderId()).int64(g.stateTimestampMs()).int32(g.members().size());
        for (GroupRecord.StoredMember m : g.members()) {
            w.string(m.memberId()).string(m.groupInstanceId()).string(m.clientId()).string(m.clientHost())
                    .int32(m.rebalanceTimeoutMs()).int32(m.sessionTimeoutMs()).bytes(m.subscription()).bytes(m.assignment());
        }
        return w.bytes();
    }

    /** The key and value bytes of {@code record} (a null value for a deletion). */
    static GroupLog.Entry encode(GroupRecord record) {
        if (record instanceof GroupRecord.OffsetCommit commit) {
            return new GroupLog.Entry(offsetKey(commit.groupId(), commit.partition()),
                    commit.value() == null ? null : offsetValue(commit.value()));
        }
        if (record instanceof GroupRecord.GroupMetadata metadata) {
            return new GroupLog.Entry(groupKey(metadata.groupId()),
                    metadata.value() == null ? null : groupValue(metadata.value()));
        }
        if (record instanceof GroupRecord.ShareGroupMetadata || record instanceof GroupRecord.ShareMemberMetadata
                || record instanceof GroupRecord.ShareTargetMetadata || record instanceof GroupRecord.ShareTargetMember
                || record instanceof GroupRecord.ShareCurrentAssignment
                || record instanceof GroupRecord.ShareStatePartitions) {
            return ShareRecords.encode(record);
        }
        return ConsumerRecords.encode(record);
    }

    /**
     * The record with these key and value bytes ({@code value} null for a deletion).
     *
     * @throws IllegalArgumentException for a key or value version this broker does not know, or truncated bytes
     */
    static GroupRecord decode(ByteBuffer key, ByteBuffer value) {
        try {
            short keyVersion = key.getShort();
            String group = string(key);
            if (keyVersion == 0 || keyVersion == OFFSET_KEY) {
                TopicPartition tp = new TopicPartition(string(key), key.getInt());
                return new GroupRecord.OffsetCommit(group, tp, value == null ? null : offset(value));
            }
            if (keyVersion == GROUP_KEY) {
                return new GroupRecord.GroupMetadata(group, value == null ? null : group(value));
            }
            if (keyVersion >= CONSUMER_GROUP_KEY && keyVersion <= CURRENT_ASSIGNMENT_KEY && keyVersion != 4) {
                return ConsumerRecords.decode(keyVersion, group, key, value);
            }
            if (ShareRecords.isShareRecordType(keyVersion)) {
                return ShareRecords.decode(keyVersion, group, key, value);
            }
            throw new IllegalArgumentException("unknown key version " + keyVersion);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("a truncated __consumer_offsets record", e);
        }
    }

    private static OffsetAndMetadata offset(ByteBuffer v) {
        short version = v.getShort();
        return switch (version) {
            case 0 -> new OffsetAndMetadata(v.getLong(), -1, string(v), v.getLong(), -1);
            case 1 -> new OffsetAndMetadata(v.getLong(), -1, string(v), v.getLong(), v.getLong());
            case 3 -> new OffsetAndMetadata(v.getLong(), v.getInt(), string(v), v.getLong(), -1);
            default -> throw new IllegalArgumentException("unknown offset value version " + version);
        };
    }

    private static GroupRecord.StoredGroup group(ByteBuffer v) {
        short version = v.getShort();
        if (version != 3) {
            throw new IllegalArgumentException("unknown group metadata value version " + version);
        }
        String type = string(v);
        int generation = v.getInt();
        String protocol = string(v);
        String leader = string(v);
        long timestamp = v.getLong();
        int count = v.getInt();
        List<GroupRecord.StoredMember> members = new ArrayList<>(Math.max(0, Math.min(count, 10_000)));
        for (int i = 0; i < count; i++) {
            members.add(new GroupRecord.StoredMember(string(v), string(v), string(v), string(v), v.getInt(), v.getInt(),
                    bytes(v), bytes(v)));
        }
        return new GroupRecord.StoredGroup(type, generation, protocol, leader, timestamp, members);
    }

    static String string(ByteBuffer b) {
        short length = b.getShort();
        if (length < 0) {
            return null;
        }
        requireRemaining(b, length);
        byte[] bytes = new byte[length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuffer b) {
        int length = b.getInt();
        if (length < 0) {
            return new byte[0];
        }
        requireRemaining(b, length);
        byte[] bytes = new byte[length];
        b.get(bytes);
        return bytes;
    }

    /** A stored length is checked against the bytes present before anything is sized by it. */
    private static void requireRemaining(ByteBuffer b, int length) {
        if (length > b.remaining()) {
            throw new BufferUnderflowException();
        }
    }

    /** A growing big-endian buffer. */
    static final class Writer {
        private ByteBuffer buf = ByteBuffer.allocate(128);

        void ensure(int n) {
            if (buf.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n));
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        Writer int8(byte v) {
            ensure(1);
            buf.put(v);
            return this;
        }

        Writer uvarint(int v) {
            while ((v & ~0x7F) != 0) {
                int8((byte) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            return int8((byte) v);
        }

        /** A compact string: unsigned varint length + 1 (0 for null), then UTF-8. */
        Writer compactString(String s) {
            if (s == null) {
                return uvarint(0);
            }
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            uvarint(bytes.length + 1);
            ensure(bytes.length);
            buf.put(bytes);
            return this;
        }

        Writer uuid(UUID id) {
            return int64(id.getMostSignificantBits()).int64(id.getLeastSignificantBits());
        }

        Writer int16(short v) {
            ensure(2);
            buf.putShort(v);
            return this;
        }

        Writer int32(int v) {
            ensure(4);
            buf.putInt(v);
            return this;
        }

        Writer int64(long v) {
            ensure(8);
            buf.putLong(v);
            return this;
        }

        Writer string(String s) {
            if (s == null) {
                return int16((short) -1);
            }
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            if (bytes.length > Short.MAX_VALUE) {
                throw new IllegalArgumentException("a string of " + bytes.length + " bytes is too long for a record");
            }
            int16((short) bytes.length);
            ensure(bytes.length);
            buf.put(bytes);
            return this;
        }

        Writer bytes(byte[] bytes) {
            byte[] b = bytes == null ? new byte[0] : bytes;
            int32(b.length);
            ensure(b.length);
            buf.put(b);
            return this;
        }

        /** The bytes as they are, without a length. */
        Writer raw(byte[] b) {
            ensure(b.length);
            buf.put(b);
            return this;
        }

        byte[] bytes() {
            byte[] out = new byte[buf.position()];
            buf.flip();
            buf.get(out);
            return out;
        }
    }
}
