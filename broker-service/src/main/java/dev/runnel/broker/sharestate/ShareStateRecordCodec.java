package dev.runnel.broker.sharestate;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.Uuid;

import dev.runnel.broker.sharestate.ShareStatePersister.Key;
import dev.runnel.broker.sharestate.ShareStatePersister.StateBatch;

/**
 * The bytes of {@code __share_group_state} records, in Kafka 4.x's layout, so that Kafka's tools
 * can read the topic and the records mean the same to both. Only {@code ShareSnapshot} records
 * (type 0) are written; {@code ShareUpdate} records (type 1, Kafka's deltas) are recognised and
 * refused, since this coordinator never writes them.
 *
 * <pre>
 * key (non-flexible, version 0 of the key message, preceded by the record type):
 *   +---------+--------------------------------+-----------+-------------+
 *   | type:16 | group id: int16 length + UTF-8 | topic id: | partition:  |
 *   |  (0)    |                                | 128 bits  | int32       |
 *   +---------+--------------------------------+-----------+-------------+
 *
 * value (ShareSnapshotValue version 0, flexible; absent for a tombstone):
 *   version:int16 (0) | snapshotEpoch:int32 | stateEpoch:int32 | leaderEpoch:int32 | startOffset:int64
 *   | createTimestamp:int64 | writeTimestamp:int64
 *   | batches: uvarint(n + 1), then n x [firstOffset:int64 lastOffset:int64 deliveryState:int8
 *                                         deliveryCount:int16 tags:uvarint(0)]
 *   | tags: uvarint(count), [tag 0 = deliveryCompleteCount: uvarint(0) uvarint(4) int32] when it is not -1
 * </pre>
 *
 * <p>Stateless and thread-safe. A record it cannot read fails with {@link IllegalArgumentException}.
 */
public final class ShareStateRecordCodec {

    /** The record type of {@code ShareSnapshotKey}/{@code ShareSnapshotValue}. */
    static final short SNAPSHOT = 0;
    /** The record type of {@code ShareUpdateKey}/{@code ShareUpdateValue} (never written here). */
    static final short UPDATE = 1;
    private static final short VALUE_VERSION = 0;
    private static final int DELIVERY_COMPLETE_COUNT_TAG = 0;

    private ShareStateRecordCodec() {
    }

    public static byte[] key(Key key) {
        byte[] group = key.groupId().getBytes(StandardCharsets.UTF_8);
        if (group.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("the group id is longer than " + Short.MAX_VALUE + " bytes");
        }
        return ByteBuffer.allocate(2 + 2 + group.length + 16 + 4).putShort(SNAPSHOT).putShort((short) group.length)
                .put(group).putLong(key.topicId().getMostSignificantBits())
                .putLong(key.topicId().getLeastSignificantBits()).putInt(key.partition()).array();
    }

    /** The value of {@code snapshot}, or null (a tombstone) for null. */
    public static byte[] value(ShareSnapshot snapshot) {
        if (snapshot == null) {
            return null;
        }
        Writer w = new Writer();
        w.int16(VALUE_VERSION).int32(snapshot.snapshotEpoch()).int32(snapshot.stateEpoch())
                .int32(snapshot.leaderEpoch()).int64(snapshot.startOffset()).int64(snapshot.createTimestamp())
                .int64(snapshot.writeTimestamp()).uvarint(snapshot.batches().size() + 1);
        for (StateBatch b : snapshot.batches()) {
            w.int64(b.firstOffset()).int64(b.lastOffset()).int8(b.deliveryState()).int16(b.deliveryCount()).uvarint(0);
        }
        if (snapshot.deliveryCompleteCount() == -1) {
            w.uvarint(0);
        } else {
            w.uvarint(1).uvarint(DELIVERY_COMPLETE_COUNT_TAG).uvarint(4).int32(snapshot.deliveryCompleteCount());
        }
        return w.bytes();
    }

    /** A record of {@code __share_group_state}; {@code value} null is a tombstone. */
    public static ShareStateRecord decode(ByteBuffer key, ByteBuffer value) {
        try {
            short type = key.getShort();
            if (type == UPDATE) {
                throw new IllegalArgumentException("a ShareUpdate record: this coordinator writes only snapshots");
            }
            if (type != SNAPSHOT) {
                throw new IllegalArgumentException("unknown record type " + type);
            }
            Key k = decodeKey(key);
            return new ShareStateRecord(k, value == null ? null : decodeValue(value));
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("a truncated record", e);
        }
    }

    private static Key decodeKey(ByteBuffer key) {
        int length = key.getShort();
        if (length < 0) {
            throw new IllegalArgumentException("a null group id");
        }
        byte[] group = new byte[length];
        key.get(group);
        Uuid topicId = new Uuid(key.getLong(), key.getLong());
        int partition = key.getInt();
        if (key.hasRemaining()) {
            throw new IllegalArgumentException(key.remaining() + " bytes after the key");
        }
        return new Key(new String(group, StandardCharsets.UTF_8), topicId, partition);
    }

    private static ShareSnapshot decodeValue(ByteBuffer v) {
        short version = v.getShort();
        if (version != VALUE_VERSION) {
            throw new IllegalArgumentException("unknown ShareSnapshotValue version " + version);
        }
        int snapshotEpoch = v.getInt();
        int stateEpoch = v.getInt();
        int leaderEpoch = v.getInt();
        long startOffset = v.getLong();
        long created = v.getLong();
        long written = v.getLong();
        int count = uvarint(v) - 1;
        if (count < 0 || count > v.remaining() / 19) {
            throw new IllegalArgumentException("a batch count of " + count);
        }
        List<StateBatch> batches = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            batches.add(new StateBatch(v.getLong(), v.getLong(), v.get(), v.getShort()));
            skipTags(v, null);
        }
        int[] deliveryComplete = {-1};
        skipTags(v, deliveryComplete);
        return new ShareSnapshot(snapshotEpoch, stateEpoch, leaderEpoch, startOffset, deliveryComplete[0], created,
                written, batches);
    }

    /** Skips a tagged-field section, reading tag 0 into {@code deliveryComplete} if it is given. */
    private static void skipTags(ByteBuffer v, int[] deliveryComplete) {
        int tags = uvarint(v);
        for (int i = 0; i < tags; i++) {
            int tag = uvarint(v);
            int size = uvarint(v);
            if (size < 0 || size > v.remaining()) {
                throw new IllegalArgumentException("a tagged field of " + size + " bytes");
            }
            if (deliveryComplete != null && tag == DELIVERY_COMPLETE_COUNT_TAG && size == 4) {
                deliveryComplete[0] = v.getInt();
            } else {
                v.position(v.position() + size);
            }
        }
    }

    private static int uvarint(ByteBuffer v) {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            byte b = v.get();
            value |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("a varint longer than 5 bytes");
    }

    /** Big-endian primitives and unsigned varints into a growing array. */
    private static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Writer int8(byte v) {
            out.write(v);
            return this;
        }

        Writer int16(short v) {
            out.write(v >>> 8);
            out.write(v);
            return this;
        }

        Writer int32(int v) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(v).array());
            return this;
        }

        Writer int64(long v) {
            out.writeBytes(ByteBuffer.allocate(8).putLong(v).array());
            return this;
        }

        Writer uvarint(int v) {
            while ((v & ~0x7f) != 0) {
                out.write((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            out.write(v);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
