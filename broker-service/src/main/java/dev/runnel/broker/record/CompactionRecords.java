package dev.runnel.broker.record;

import java.nio.ByteBuffer;
import java.util.OptionalLong;

import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

/**
 * What the log cleaner needs from the record format: the keys of stored batches, and a rewrite of
 * stored batches that keeps only the records the cleaner's rules retain. The rules are the
 * cleaner's (in {@code storage}); the bytes are kafka-clients' {@code MemoryRecords.filterTo}, so a
 * rewritten batch is what Kafka's cleaner would write: same base offset, producer id, epoch, base
 * sequence and last offset delta (so the producer's last sequence survives), same codec, a fresh
 * CRC, and, when it keeps a tombstone, the delete horizon (attribute bit 6, the base timestamp
 * holding the time after which a later cleaning may drop the tombstone, as KIP-534 defines).
 *
 * <p>The rules see every batch once, in offset order, before its records ({@link Rules#batch},
 * {@link KeyVisitor#batch}), whichever path reads it: the cleaner's transaction rules keep state
 * from batch to batch (which producers' transactions are aborted, which markers saw data).
 *
 * <p>Stateless; each method walks whole v2 batches from the buffer's position to its limit.
 */
public final class CompactionRecords {

    /** A record's body may decompress to at most this many bytes (what a cleaning will handle). */
    private static final int MAX_RECORD_BODY_BYTES = Integer.MAX_VALUE;

    private CompactionRecords() {
    }

    /** What becomes of a whole batch, before its records are looked at. */
    public enum BatchRetention {
        /** The batch goes, whatever its records. */
        DELETE,
        /** The batch stays, emptied to its header if none of its records stays. */
        RETAIN_EMPTY,
        /** The records decide; the batch goes if none stays. */
        DELETE_EMPTY
    }

    /** What a batch is: data, or a control batch and the type of its (first) control record. */
    public enum Control {
        /** A data batch. */
        NONE,
        /** A control batch without records: emptied by an earlier cleaning. */
        EMPTY,
        /** A transaction's ABORT marker. */
        ABORT,
        /** A transaction's COMMIT marker. */
        COMMIT,
        /** A control record of another type (KRaft's), or one that does not parse. */
        OTHER
    }

    /** A stored batch as the rules see it. */
    public record Batch(long baseOffset, long lastOffset, long producerId, short producerEpoch, boolean transactional,
            Control control, OptionalLong deleteHorizonMs) {

        public boolean isControl() {
            return control != Control.NONE;
        }
    }

    /**
     * What becomes of one batch (Kafka's {@code BatchRetentionResult} and the cleaner's
     * {@code discardBatchRecords}).
     *
     * @param retention   what becomes of the batch as a whole
     * @param dropRecords every record goes, whatever {@link Rules#retain} would say (an aborted
     *                    transaction's data, a marker past its delete horizon): the batch stays
     *                    only emptied, if {@code retention} keeps it
     * @param stampHorizon the batch may go once a delete horizon has passed (a marker the
     *                    cleaner may remove): if kept with records and without a horizon, it gets one
     */
    public record BatchDecision(BatchRetention retention, boolean dropRecords, boolean stampHorizon) {
    }

    /** The cleaner's decisions. */
    public interface Rules {
        /** Called once for every batch, in offset order, before any of its records. */
        BatchDecision batch(Batch batch);

        /**
         * Whether the record at {@code offset} (of {@code batch}) stays. {@code key} is {@code null}
         * for a record without one, and its bytes are valid only during the call; {@code tombstone}
         * is true for a record with no value.
         */
        boolean retain(Batch batch, long offset, ByteBuffer key, boolean tombstone);
    }

    /** Receives the keys of a walk over stored batches. */
    public interface KeyVisitor {
        /**
         * A batch ending at or after the walk's first offset, control batches included, before its
         * records.
         *
         * @return whether to visit its keys (false: skip them, e.g. an aborted transaction's data)
         */
        default boolean batch(Batch batch) {
            return true;
        }

        /**
         * A keyed record of a data batch, at or after the walk's first offset; {@code key}'s bytes
         * are valid only during the call.
         *
         * @return whether the walk goes on (false: stop before this record, e.g. the map is full)
         */
        boolean record(long offset, ByteBuffer key);

        /** A batch was walked to its end (control batches included, whose records are not visited). */
        void batchEnd(long lastOffset);
    }

    /** What one rewrite did; {@code output} holds the kept batches from its position to its limit. */
    public record Filtered(ByteBuffer output, int recordsRead, int recordsRetained, int bytesRead, int bytesRetained) {
    }

    /**
     * Visits the key of every keyed record at or after {@code fromOffset} in the data batches of
     * {@code batches} that the visitor wants ({@link KeyVisitor#batch}), decompressing as needed,
     * until the visitor says stop.
     *
     * @return whether every batch was walked (false: the visitor stopped it)
     */
    public static boolean forEachKey(ByteBuffer batches, long fromOffset, KeyVisitor visitor) {
        ByteBuffer keyView = batches.duplicate();
        for (int at = batches.position(); wholeBatchAt(batches, at); at += sizeAt(batches, at)) {
            long lastOffset = batches.getLong(at) + batches.getInt(at + LAST_OFFSET_DELTA);
            if (lastOffset < fromOffset) {
                continue;
            }
            boolean visit = visitor.batch(view(batches, at));
            if (visit && !isControl(batches, at)) {
                int walked = isUncompressed(batches, at) ? walk(batches, at, (offset, keyAt, keyLength, tombstone) ->
                        offset < fromOffset || keyLength < 0 || visitor.record(offset, view(keyView, keyAt, keyLength)))
                        : MALFORMED;
                if (walked == STOPPED) {
                    return false;
                }
                if (walked == MALFORMED && !forEachKeyDecoded(slice(batches, at), fromOffset, visitor)) {
                    return false;
                }
            }
            visitor.batchEnd(lastOffset);
        }
        return true;
    }

    /**
     * The keys of batches through kafka-clients (compressed, or records the fast walk could not
     * read): what {@link #forEachKey} falls back to, and the reference its test holds it to.
     */
    static boolean forEachKeyDecoded(ByteBuffer batch, long fromOffset, KeyVisitor visitor) {
        for (MutableRecordBatch decoded : MemoryRecords.readableRecords(batch).batches()) {
            try (CloseableIterator<Record> records = decoded.streamingIterator(BufferSupplier.NO_CACHING,
                    MAX_RECORD_BODY_BYTES)) {
                while (records.hasNext()) {
                    Record record = records.next();
                    if (record.offset() >= fromOffset && record.hasKey()
                            && !visitor.record(record.offset(), record.key())) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /**
     * Writes into {@code destination} the batches of {@code batches} that the rules keep, with the
     * records they keep; {@code nowMs} and {@code deleteRetentionMs} stamp the delete horizon of a
     * kept batch that holds a tombstone and has none yet. The destination grows if it must (the
     * result's output is then a new buffer).
     */
    public static Filtered filter(ByteBuffer batches, ByteBuffer destination, long nowMs, long deleteRetentionMs,
            Rules rules) {
        Output out = new Output(destination);
        ByteBuffer keyView = batches.duplicate();
        int[] counts = new int[4]; // records read, records retained, bytes read, bytes retained
        for (int at = batches.position(); wholeBatchAt(batches, at); at += sizeAt(batches, at)) {
            int size = sizeAt(batches, at);
            Batch batch = view(batches, at);
            BatchDecision decision = rules.batch(batch);
            if (decision.retention() == BatchRetention.DELETE) {
                counts[2] += size;
                continue;
            }
            if (!batch.isControl() && isUncompressed(batches, at)
                    && filterUncompressed(batches, at, size, batch, decision, rules, keyView, out, counts)) {
                continue;
            }
            // The rules saw this batch already: the rewrite gets their decision, not a second call.
            Rules decided = new Rules() {
                @Override
                public BatchDecision batch(Batch ignored) {
                    return decision;
                }

                @Override
                public boolean retain(Batch b, long offset, ByteBuffer key, boolean tombstone) {
                    return rules.retain(b, offset, key, tombstone);
                }
            };
            Filtered decoded = filterDecoded(slice(batches, at), ByteBuffer.allocate(size + 64), nowMs,
                    deleteRetentionMs, decided);
            counts[0] += decoded.recordsRead();
            counts[1] += decoded.recordsRetained();
            counts[2] += decoded.bytesRead();
            counts[3] += decoded.bytesRetained();
            out.put(decoded.output());
        }
        return new Filtered(out.flipped(), counts[0], counts[1], counts[2], counts[3]);
    }

    /**
     * The common cases of an uncompressed data batch without kafka-clients' per-record objects:
     * every record kept (and no delete horizon to stamp), so the batch is copied as it is; or none
     * kept where the decision lets the batch go. Anything else (a batch partly kept, one to keep
     * emptied, one that needs a horizon, records that do not parse) is left to
     * {@link #filterDecoded}, which rewrites it.
     *
     * @return whether the batch was dealt with
     */
    private static boolean filterUncompressed(ByteBuffer batches, int at, int size, Batch batch,
            BatchDecision decision, Rules rules, ByteBuffer keyView, Output out, int[] counts) {
        int[] kept = {0, 0}; // records kept, tombstones kept
        int walked = walk(batches, at, (offset, keyAt, keyLength, tombstone) -> {
            if (!decision.dropRecords()
                    && rules.retain(batch, offset, keyLength < 0 ? null : view(keyView, keyAt, keyLength), tombstone)) {
                kept[0]++;
                if (tombstone) {
                    kept[1]++;
                }
            }
            return true;
        });
        if (walked != DONE) {
            return false;
        }
        int count = batches.getInt(at + RECORD_COUNT);
        boolean horizonToStamp = (kept[1] > 0 || decision.stampHorizon()) && batch.deleteHorizonMs().isEmpty();
        if (count > 0 && kept[0] == count && !horizonToStamp) {
            out.put(batches.duplicate().position(at).limit(at + size));
        } else if (!(kept[0] == 0 && decision.retention() == BatchRetention.DELETE_EMPTY)) {
            // kafka-clients writes a kept empty batch afresh (an empty header), and stamps horizons.
            return false;
        }
        counts[0] += count;
        counts[1] += kept[0];
        counts[2] += size;
        counts[3] += kept[0] == 0 ? 0 : size;
        return true;
    }

    /**
     * Batches rewritten by kafka-clients' {@code filterTo}: what the fast paths fall back to, and the
     * reference {@code CompactionRecordsTest} holds them to.
     */
    static Filtered filterDecoded(ByteBuffer batch, ByteBuffer destination, long nowMs, long deleteRetentionMs,
            Rules rules) {
        MemoryRecords.RecordFilter filter = new MemoryRecords.RecordFilter(nowMs, deleteRetentionMs) {
            // filterTo asks about a batch, then about its records: the batch's view and decision hold till the next.
            private Batch view;
            private BatchDecision decision;

            @Override
            protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
                view = view(batch);
                decision = rules.batch(view);
                return new BatchRetentionResult(switch (decision.retention()) {
                    case DELETE -> MemoryRecords.RecordFilter.BatchRetention.DELETE;
                    case RETAIN_EMPTY -> MemoryRecords.RecordFilter.BatchRetention.RETAIN_EMPTY;
                    case DELETE_EMPTY -> MemoryRecords.RecordFilter.BatchRetention.DELETE_EMPTY;
                }, decision.stampHorizon());
            }

            @Override
            protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
                return !decision.dropRecords() && rules.retain(view, record.offset(),
                        record.hasKey() ? record.key() : null, !record.hasValue());
            }
        };
        // filterTo grows a destination too small for the first batch it keeps, but then loses the
        // batches after it (seen with kafka-clients 4.4): so it always gets room for twice its input,
        // and must have read all of it, or it is given four times as much once more.
        ByteBuffer target = destination.capacity() >= batch.remaining() * 2 + 1024 ? destination
                : ByteBuffer.allocate(batch.remaining() * 2 + 1024);
        for (int attempt = 0; ; attempt++) {
            MemoryRecords.FilterResult result = MemoryRecords.readableRecords(batch.duplicate()).filterTo(filter, target,
                    BufferSupplier.NO_CACHING, MAX_RECORD_BODY_BYTES);
            if (result.bytesRead() == batch.remaining() && result.outputBuffer() == target) {
                ByteBuffer output = result.outputBuffer();
                output.flip();
                return new Filtered(output, result.messagesRead(), result.messagesRetained(), result.bytesRead(),
                        result.bytesRetained());
            }
            if (attempt == 1) {
                throw new IllegalStateException("rewriting " + batch.remaining() + " bytes of batches read "
                        + result.bytesRead() + " of them into " + target.capacity() + " bytes");
            }
            target = ByteBuffer.allocate(target.capacity() * 4);
        }
    }

    private static Batch view(RecordBatch batch) {
        return new Batch(batch.baseOffset(), batch.lastOffset(), batch.producerId(), batch.producerEpoch(),
                batch.isTransactional(), controlOf(batch), batch.deleteHorizonMs());
    }

    /**
     * What {@code batch} is: for a control batch, the type in its first record's key (Kafka's
     * {@code ControlRecordType.parse}).
     */
    private static Control controlOf(RecordBatch batch) {
        if (!batch.isControlBatch()) {
            return Control.NONE;
        }
        try (CloseableIterator<Record> records = batch.streamingIterator(BufferSupplier.NO_CACHING,
                MAX_RECORD_BODY_BYTES)) {
            if (!records.hasNext()) {
                return Control.EMPTY;
            }
            Record first = records.next();
            if (!first.hasKey()) {
                return Control.OTHER;
            }
            return switch (ControlRecordType.parse(first.key())) {
                case ABORT -> Control.ABORT;
                case COMMIT -> Control.COMMIT;
                default -> Control.OTHER;
            };
        } catch (RuntimeException e) {
            return Control.OTHER; // a control record that does not parse is kept, never taken for a marker
        }
    }

    // ---- the fast walk over an uncompressed v2 batch ----------------------------------------

    private static final int LENGTH = 8;
    private static final int ATTRIBUTES = 21;
    private static final int LAST_OFFSET_DELTA = 23;
    private static final int BASE_TIMESTAMP = 27;
    private static final int PRODUCER_ID = 43;
    private static final int PRODUCER_EPOCH = 51;
    private static final int RECORD_COUNT = 57;
    private static final int RECORDS = 61;
    private static final int CODEC_MASK = 0x07;
    private static final int TRANSACTIONAL_FLAG = 0x10;
    private static final int CONTROL_FLAG = 0x20;
    private static final int DELETE_HORIZON_FLAG = 0x40;

    private static final int DONE = 1;
    private static final int STOPPED = 0;
    private static final int MALFORMED = -1;

    /** One record as the fast walk reads it; the key lies at {@code keyAt} in the walked buffer ({@code keyLength} -1: none). */
    @FunctionalInterface
    private interface RecordVisitor {
        boolean record(long offset, int keyAt, int keyLength, boolean tombstone);
    }

    private static boolean wholeBatchAt(ByteBuffer b, int at) {
        return at + RECORDS <= b.limit() && sizeAt(b, at) >= RECORDS && at + (long) sizeAt(b, at) <= b.limit();
    }

    private static int sizeAt(ByteBuffer b, int at) {
        return b.getInt(at + LENGTH) + 12;
    }

    private static boolean isControl(ByteBuffer b, int at) {
        return (b.getShort(at + ATTRIBUTES) & CONTROL_FLAG) != 0;
    }

    private static boolean isUncompressed(ByteBuffer b, int at) {
        return (b.getShort(at + ATTRIBUTES) & CODEC_MASK) == 0;
    }

    private static ByteBuffer slice(ByteBuffer b, int at) {
        return b.duplicate().position(at).limit(at + sizeAt(b, at)).slice();
    }

    /** {@code view} set to the key's bytes: valid until the next record, as the visitor contracts say. */
    private static ByteBuffer view(ByteBuffer view, int at, int length) {
        return view.limit(view.capacity()).position(at).limit(at + length);
    }

    /** The batch at {@code at}; a control batch's type is read through kafka-clients (markers are few and small). */
    private static Batch view(ByteBuffer b, int at) {
        long base = b.getLong(at);
        short attributes = b.getShort(at + ATTRIBUTES);
        boolean horizon = (attributes & DELETE_HORIZON_FLAG) != 0;
        Control control = (attributes & CONTROL_FLAG) == 0 ? Control.NONE : controlAt(b, at);
        return new Batch(base, base + b.getInt(at + LAST_OFFSET_DELTA), b.getLong(at + PRODUCER_ID),
                b.getShort(at + PRODUCER_EPOCH), (attributes & TRANSACTIONAL_FLAG) != 0, control,
                horizon ? OptionalLong.of(b.getLong(at + BASE_TIMESTAMP)) : OptionalLong.empty());
    }

    private static Control controlAt(ByteBuffer b, int at) {
        try {
            for (MutableRecordBatch decoded : MemoryRecords.readableRecords(slice(b, at)).batches()) {
                return controlOf(decoded);
            }
        } catch (RuntimeException e) {
            // as controlOf: kept, never taken for a marker
        }
        return Control.OTHER;
    }

    /**
     * Walks the records of the uncompressed batch at {@code at} (length, attributes, timestamp delta,
     * offset delta, key, value; headers skipped by the length) and hands each to {@code visitor}.
     *
     * @return {@link #DONE}, {@link #STOPPED} (the visitor said so), or {@link #MALFORMED} (the records do not
     *         match their batch: the caller reads it through kafka-clients instead, which says what is wrong)
     */
    private static int walk(ByteBuffer b, int at, RecordVisitor visitor) {
        int end = at + sizeAt(b, at);
        long base = b.getLong(at);
        int count = b.getInt(at + RECORD_COUNT);
        int[] pos = {at + RECORDS};
        try {
            for (int i = 0; i < count; i++) {
                int length = (int) varint(b, pos, end);
                int recordEnd = pos[0] + length;
                if (length <= 0 || recordEnd > end) {
                    return MALFORMED;
                }
                pos[0]++; // attributes
                varint(b, pos, recordEnd); // timestamp delta
                long offsetDelta = varint(b, pos, recordEnd);
                int keyLength = (int) varint(b, pos, recordEnd);
                int keyAt = pos[0];
                if (keyLength < -1 || (keyLength > 0 && keyAt + keyLength > recordEnd)) {
                    return MALFORMED;
                }
                pos[0] += Math.max(0, keyLength);
                long valueLength = varint(b, pos, recordEnd);
                if (valueLength < -1 || pos[0] + Math.max(0, valueLength) > recordEnd || offsetDelta != i) {
                    return MALFORMED;
                }
                if (!visitor.record(base + offsetDelta, keyAt, keyLength, valueLength < 0)) {
                    return STOPPED;
                }
                pos[0] = recordEnd;
            }
        } catch (IllegalArgumentException e) {
            return MALFORMED;
        }
        return pos[0] == end ? DONE : MALFORMED;
    }

    /** A zigzag varint (at most 10 bytes) at {@code pos[0]}, below {@code end}; advances {@code pos[0]}. */
    private static long varint(ByteBuffer b, int[] pos, int end) {
        long raw = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= end) {
                throw new IllegalArgumentException("varint runs past its record");
            }
            byte next = b.get(pos[0]++);
            raw |= (long) (next & 0x7f) << shift;
            if (next >= 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new IllegalArgumentException("varint longer than 10 bytes");
    }

    /** A growing output buffer. */
    private static final class Output {
        private ByteBuffer buffer;

        Output(ByteBuffer initial) {
            this.buffer = initial;
        }

        void put(ByteBuffer bytes) {
            if (buffer.remaining() < bytes.remaining()) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + bytes.remaining()));
                buffer.flip();
                bigger.put(buffer);
                buffer = bigger;
            }
            buffer.put(bytes.duplicate());
        }

        ByteBuffer flipped() {
            return buffer.flip();
        }
    }
}
