package dev.runnel.broker.transaction;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.runnel.common.TopicPartition;

/**
 * The bytes of {@code __transaction_state} records, as Kafka writes them, so that Kafka's tools
 * and a Kafka broker read our topic and we read theirs. All integers are big-endian.
 *
 * <pre>
 * key (version 0, the only one):
 *   int16 version = 0 | int16 length | UTF-8 transactional id
 *
 * value version 0 (transaction.version 0):
 *   int16 version = 0 | int64 producer id | int16 epoch | int32 timeout ms | int8 state id
 *   | int32 topic count (-1: null, written in Empty) | per topic: { int16 length, UTF-8 topic, int32 count, int32 partition... }
 *   | int64 last update ms | int64 start ms (-1: none)
 *
 * value version 1 (transaction.version 1 and up; flexible, what this broker writes):
 *   int16 version = 1 | int64 producer id | int16 epoch | int32 timeout ms | int8 state id
 *   | uvarint topic count + 1 (0: null) | per topic: { uvarint length + 1, UTF-8 topic,
 *                                          uvarint count + 1, int32 partition..., uvarint 0 (no tagged fields) }
 *   | int64 last update ms | int64 start ms
 *   | tagged fields: uvarint count, then per field in tag order { uvarint tag, uvarint size, bytes }:
 *       0 PreviousProducerId int64, 1 NextProducerId int64, 2 ClientTransactionVersion int16,
 *       3 NextProducerEpoch int16; each written only when it differs from its default (-1, -1, 0, -1)
 *
 * value null: a tombstone, the id expired
 * </pre>
 *
 * <p>Topics are written in name order and partitions ascending (Kafka writes its set's iteration
 * order; the order carries no meaning). The client transaction version is 0 for every client this
 * broker serves, so it is never written, and an unknown tagged field is skipped on reading.
 * Stateless and thread-safe.
 */
final class TransactionLogCodec {

    static final short KEY_VERSION = 0;
    /** The value version a Kafka 4.x broker writes at transaction.version 1. */
    static final short VALUE_VERSION = 1;

    private static final int TAG_PREVIOUS_PRODUCER_ID = 0;
    private static final int TAG_NEXT_PRODUCER_ID = 1;
    private static final int TAG_CLIENT_TRANSACTION_VERSION = 2;
    private static final int TAG_NEXT_PRODUCER_EPOCH = 3;

    private TransactionLogCodec() {
    }

    /** A decoded record: the id and what it became, or a null value for a tombstone. */
    record Decoded(String transactionalId, TransactionTransition value) {
    }

    static byte[] key(String transactionalId) {
        Writer w = new Writer();
        w.int16(KEY_VERSION).string(transactionalId);
        return w.bytes();
    }

    /** The record for {@code transactionalId} after {@code t}; null {@code t} for a tombstone. */
    static TransactionLog.Entry encode(String transactionalId, TransactionTransition t) {
        return new TransactionLog.Entry(key(transactionalId), t == null ? null : value(t));
    }

    static byte[] value(TransactionTransition t) {
        return value(t, VALUE_VERSION);
    }

    /** The value in {@code version} 0 or 1. */
    static byte[] value(TransactionTransition t, short version) {
        if (t.state() == TransactionState.DEAD || t.state() == TransactionState.PREPARE_EPOCH_FENCE) {
            throw new IllegalArgumentException(t.state() + " is never written as a value");
        }
        if (t.state() == TransactionState.EMPTY && !t.partitions().isEmpty()) {
            throw new IllegalArgumentException("an Empty transaction has no partitions: " + t);
        }
        if (version != 0 && version != 1) {
            throw new IllegalArgumentException("unknown value version " + version);
        }
        boolean flexible = version >= 1;
        Writer w = new Writer();
        w.int16(version).int64(t.producerId()).int16(t.producerEpoch()).int32(t.timeoutMs()).int8(t.state().id());
        Map<String, List<Integer>> byTopic = t.state() == TransactionState.EMPTY ? null : byTopic(t.partitions());
        if (byTopic == null) {
            if (flexible) {
                w.uvarint(0);
            } else {
                w.int32(-1);
            }
        } else {
            w.count(byTopic.size(), flexible);
            byTopic.forEach((topic, ids) -> {
                if (flexible) {
                    w.compactString(topic);
                } else {
                    w.string(topic);
                }
                w.count(ids.size(), flexible);
                ids.forEach(w::int32);
                if (flexible) {
                    w.uvarint(0);
                }
            });
        }
        w.int64(t.txnLastUpdateTimestamp()).int64(t.txnStartTimestamp());
        if (flexible) {
            Writer tags = new Writer();
            int count = 0;
            if (t.prevProducerId() != -1) {
                tags.uvarint(TAG_PREVIOUS_PRODUCER_ID).uvarint(8).int64(t.prevProducerId());
                count++;
            }
            if (t.nextProducerId() != -1) {
                tags.uvarint(TAG_NEXT_PRODUCER_ID).uvarint(8).int64(t.nextProducerId());
                count++;
            }
            w.uvarint(count).raw(tags.bytes());
        }
        return w.bytes();
    }

    private static Map<String, List<Integer>> byTopic(Set<TopicPartition> partitions) {
        Map<String, List<Integer>> byTopic = new TreeMap<>();
        for (TopicPartition tp : partitions) {
            byTopic.computeIfAbsent(tp.topic(), topic -> new ArrayList<>()).add(tp.partition());
        }
        byTopic.values().forEach(ids -> ids.sort(null));
        return byTopic;
    }

    /**
     * The record with these bytes ({@code value} null for a tombstone).
     *
     * @throws IllegalArgumentException for a key or value version this broker does not know, a state
     *                                  id Kafka does not define, or truncated bytes
     */
    static Decoded decode(ByteBuffer key, ByteBuffer value) {
        try {
            short keyVersion = key.getShort();
            if (keyVersion != KEY_VERSION) {
                throw new IllegalArgumentException("unknown __transaction_state key version " + keyVersion);
            }
            String transactionalId = string(key);
            return new Decoded(transactionalId, value == null ? null : value(value));
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("a truncated __transaction_state record", e);
        }
    }

    private static TransactionTransition value(ByteBuffer v) {
        short version = v.getShort();
        if (version != 0 && version != 1) {
            throw new IllegalArgumentException("unknown __transaction_state value version " + version);
        }
        boolean flexible = version >= 1;
        long producerId = v.getLong();
        short epoch = v.getShort();
        int timeoutMs = v.getInt();
        TransactionState state = TransactionState.fromId(v.get());
        Set<TopicPartition> partitions = new HashSet<>();
        int topics = flexible ? compactCount(v, 2) : count(v, 4);
        for (int i = 0; i < topics; i++) {
            String topic = flexible ? compactString(v) : string(v);
            int ids = flexible ? compactCount(v, 4) : count(v, 4);
            for (int j = 0; j < ids; j++) {
                partitions.add(new TopicPartition(topic, v.getInt()));
            }
            if (flexible) {
                skipTaggedFields(v);
            }
        }
        long lastUpdate = v.getLong();
        long start = v.getLong();
        long prevProducerId = -1;
        long nextProducerId = -1;
        if (flexible) {
            int fields = uvarint(v);
            for (int i = 0; i < fields; i++) {
                int tag = uvarint(v);
                int size = uvarint(v);
                requireRemaining(v, size);
                ByteBuffer field = v.slice(v.position(), size);
                v.position(v.position() + size);
                switch (tag) {
                    case TAG_PREVIOUS_PRODUCER_ID -> prevProducerId = field.getLong();
                    case TAG_NEXT_PRODUCER_ID -> nextProducerId = field.getLong();
                    case TAG_CLIENT_TRANSACTION_VERSION, TAG_NEXT_PRODUCER_EPOCH -> { } // transaction.version 2 only
                    default -> { } // a field added after 4.4: skipped
                }
            }
        }
        if (state == TransactionState.EMPTY) {
            partitions.clear(); // Kafka ignores any, as it writes none
        }
        return new TransactionTransition(producerId, prevProducerId, nextProducerId, epoch,
                TransactionMetadata.NO_PRODUCER_EPOCH, timeoutMs, state, partitions, start, lastUpdate);
    }

    // ---------------------------------------------------------------- reading primitives

    private static String string(ByteBuffer b) {
        short length = b.getShort();
        if (length < 0) {
            throw new IllegalArgumentException("a null string where Kafka's schema has none");
        }
        return utf8(b, length);
    }

    private static String compactString(ByteBuffer b) {
        int length = uvarint(b) - 1;
        if (length < 0) {
            throw new IllegalArgumentException("a null string where Kafka's schema has none");
        }
        return utf8(b, length);
    }

    private static String utf8(ByteBuffer b, int length) {
        requireRemaining(b, length);
        byte[] bytes = new byte[length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** An int32 array count (-1 for null reads as 0), checked against the bytes present. */
    private static int count(ByteBuffer b, int minElementBytes) {
        int count = b.getInt();
        if (count < 0) {
            return 0;
        }
        requireRemaining(b, (long) count * minElementBytes);
        return count;
    }

    /** A compact array count (uvarint count + 1, 0 for null reads as 0), checked against the bytes present. */
    private static int compactCount(ByteBuffer b, int minElementBytes) {
        int count = uvarint(b) - 1;
        if (count < 0) {
            return 0;
        }
        requireRemaining(b, (long) count * minElementBytes);
        return count;
    }

    private static void skipTaggedFields(ByteBuffer b) {
        int fields = uvarint(b);
        for (int i = 0; i < fields; i++) {
            uvarint(b);
            int size = uvarint(b);
            requireRemaining(b, size);
            b.position(b.position() + size);
        }
    }

    private static int uvarint(ByteBuffer b) {
        int value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            byte next = b.get();
            value |= (next & 0x7f) << shift;
            if ((next & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("a varint longer than 5 bytes");
    }

    /** A stored length is checked against the bytes present before anything is sized by it. */
    private static void requireRemaining(ByteBuffer b, long length) {
        if (length < 0 || length > b.remaining()) {
            throw new BufferUnderflowException();
        }
    }

    /** A growing big-endian buffer. */
    private static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

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
            for (int shift = 24; shift >= 0; shift -= 8) {
                out.write(v >>> shift);
            }
            return this;
        }

        Writer int64(long v) {
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) (v >>> shift));
            }
            return this;
        }

        Writer uvarint(int v) {
            int rest = v;
            while ((rest & ~0x7f) != 0) {
                out.write((rest & 0x7f) | 0x80);
                rest >>>= 7;
            }
            out.write(rest);
            return this;
        }

        /** An array count: int32, or uvarint count + 1 in flexible versions. */
        Writer count(int n, boolean flexible) {
            return flexible ? uvarint(n + 1) : int32(n);
        }

        Writer string(String s) {
            byte[] bytes = utf8(s);
            if (bytes.length > Short.MAX_VALUE) {
                throw new IllegalArgumentException("a string of " + bytes.length + " bytes is too long for a record");
            }
            int16((short) bytes.length);
            return raw(bytes);
        }

        Writer compactString(String s) {
            byte[] bytes = utf8(s);
            if (bytes.length > Short.MAX_VALUE) {
                throw new IllegalArgumentException("a string of " + bytes.length + " bytes is too long for a record");
            }
            uvarint(bytes.length + 1);
            return raw(bytes);
        }

        Writer raw(byte[] bytes) {
            out.write(bytes, 0, bytes.length);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private static byte[] utf8(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
    }
}
