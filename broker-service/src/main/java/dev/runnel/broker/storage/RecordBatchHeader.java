package dev.runnel.broker.storage;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Field access to a Kafka RecordBatch (magic 2) header, read in place from a buffer.
 *
 * <pre>
 *  offset  size  field
 *       0     8  baseOffset            rewritten by the leader on append
 *       8     4  batchLength           bytes after this field
 *      12     4  partitionLeaderEpoch  rewritten by the leader on append
 *      16     1  magic (2)
 *      17     4  crc                   CRC-32C of bytes 21 .. end
 *      21     2  attributes            bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control
 *      23     4  lastOffsetDelta
 *      27     8  baseTimestamp
 *      35     8  maxTimestamp
 *      43     8  producerId
 *      51     2  producerEpoch
 *      53     4  baseSequence
 *      57     4  recordCount
 *      61     .  records
 * </pre>
 *
 * The two fields the leader rewrites lie outside the CRC, so the bytes a producer checksummed are
 * stored and served unchanged. Stateless; all methods take the buffer and the batch's start.
 */
public final class RecordBatchHeader {

    public static final int BASE_OFFSET = 0;
    public static final int LENGTH = 8;
    public static final int PARTITION_LEADER_EPOCH = 12;
    public static final int MAGIC = 16;
    public static final int CRC = 17;
    public static final int ATTRIBUTES = 21;
    public static final int LAST_OFFSET_DELTA = 23;
    public static final int BASE_TIMESTAMP = 27;
    public static final int MAX_TIMESTAMP = 35;
    public static final int PRODUCER_ID = 43;
    public static final int PRODUCER_EPOCH = 51;
    public static final int BASE_SEQUENCE = 53;
    public static final int RECORD_COUNT = 57;
    public static final int RECORDS = 61;

    /** The base offset and length fields that precede every batch's length-counted bytes. */
    public static final int LOG_OVERHEAD = 12;
    /** A header with no records: the smallest valid batch. */
    public static final int HEADER_SIZE = RECORDS;
    public static final byte MAGIC_V2 = 2;
    /** The producer id of a batch not written by an idempotent producer. */
    public static final long NO_PRODUCER_ID = -1L;

    private static final int CODEC_MASK = 0x07;
    private static final int LOG_APPEND_TIME_FLAG = 0x08;
    private static final int TRANSACTIONAL_FLAG = 0x10;
    private static final int CONTROL_FLAG = 0x20;

    private RecordBatchHeader() {
    }

    public static long baseOffset(ByteBuffer b, int at) {
        return b.getLong(at + BASE_OFFSET);
    }

    /** The whole batch size in bytes, including the offset and length fields. */
    public static int sizeInBytes(ByteBuffer b, int at) {
        return b.getInt(at + LENGTH) + LOG_OVERHEAD;
    }

    public static int partitionLeaderEpoch(ByteBuffer b, int at) {
        return b.getInt(at + PARTITION_LEADER_EPOCH);
    }

    public static byte magic(ByteBuffer b, int at) {
        return b.get(at + MAGIC);
    }

    public static int codecId(ByteBuffer b, int at) {
        return b.getShort(at + ATTRIBUTES) & CODEC_MASK;
    }

    public static boolean isControl(ByteBuffer b, int at) {
        return (b.getShort(at + ATTRIBUTES) & CONTROL_FLAG) != 0;
    }

    public static boolean isTransactional(ByteBuffer b, int at) {
        return (b.getShort(at + ATTRIBUTES) & TRANSACTIONAL_FLAG) != 0;
    }

    public static int lastOffsetDelta(ByteBuffer b, int at) {
        return b.getInt(at + LAST_OFFSET_DELTA);
    }

    public static long lastOffset(ByteBuffer b, int at) {
        return baseOffset(b, at) + lastOffsetDelta(b, at);
    }

    public static long maxTimestamp(ByteBuffer b, int at) {
        return b.getLong(at + MAX_TIMESTAMP);
    }

    public static long producerId(ByteBuffer b, int at) {
        return b.getLong(at + PRODUCER_ID);
    }

    /** Whether an idempotent (or transactional) producer wrote the batch. */
    public static boolean hasProducerId(ByteBuffer b, int at) {
        return producerId(b, at) >= 0;
    }

    public static short producerEpoch(ByteBuffer b, int at) {
        return b.getShort(at + PRODUCER_EPOCH);
    }

    public static int baseSequence(ByteBuffer b, int at) {
        return b.getInt(at + BASE_SEQUENCE);
    }

    /**
     * The sequence of the batch's last record: the base sequence plus the last offset delta,
     * wrapping from {@link Integer#MAX_VALUE} to 0 as producers do. A negative base sequence (none)
     * is returned as it is.
     */
    public static int lastSequence(ByteBuffer b, int at) {
        int base = baseSequence(b, at);
        return base < 0 ? base : incrementSequence(base, lastOffsetDelta(b, at));
    }

    /** {@code sequence + increment}, wrapping past {@link Integer#MAX_VALUE} to 0. */
    public static int incrementSequence(int sequence, int increment) {
        if (sequence > Integer.MAX_VALUE - increment) {
            return increment - (Integer.MAX_VALUE - sequence) - 1;
        }
        return sequence + increment;
    }

    public static int recordCount(ByteBuffer b, int at) {
        return b.getInt(at + RECORD_COUNT);
    }

    /** Whether the stored CRC matches the batch's bytes; the batch must be whole in {@code b}. */
    public static boolean isCrcValid(ByteBuffer b, int at) {
        int size = sizeInBytes(b, at);
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().limit(at + size).position(at + ATTRIBUTES));
        return (int) crc.getValue() == b.getInt(at + CRC);
    }

    static void setBaseOffset(ByteBuffer b, int at, long baseOffset) {
        b.putLong(at + BASE_OFFSET, baseOffset);
    }

    /**
     * Marks the batch as stamped with the leader's clock (LogAppendTime): sets the timestamp-type
     * attribute and the max timestamp, and recomputes the CRC that covers both.
     */
    static void setLogAppendTime(ByteBuffer b, int at, long timestamp) {
        short attributes = b.getShort(at + ATTRIBUTES);
        b.putShort(at + ATTRIBUTES, (short) (attributes | LOG_APPEND_TIME_FLAG));
        b.putLong(at + MAX_TIMESTAMP, timestamp);
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().limit(at + sizeInBytes(b, at)).position(at + ATTRIBUTES));
        b.putInt(at + CRC, (int) crc.getValue());
    }

    public static boolean isLogAppendTime(ByteBuffer b, int at) {
        return (b.getShort(at + ATTRIBUTES) & LOG_APPEND_TIME_FLAG) != 0;
    }

    public static long baseTimestamp(ByteBuffer b, int at) {
        return b.getLong(at + BASE_TIMESTAMP);
    }

    static void setPartitionLeaderEpoch(ByteBuffer b, int at, int epoch) {
        b.putInt(at + PARTITION_LEADER_EPOCH, epoch);
    }
}
