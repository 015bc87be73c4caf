package dev.runnel.broker.storage;

import java.nio.ByteBuffer;

import dev.runnel.broker.record.KafkaRecordBatches;

/**
 * A transaction marker: the one record of a control batch that ends a producer's transaction on a
 * partition (KIP-98). The coordinator has it written through WriteTxnMarkers; consumers never see it.
 *
 * <pre>
 *  control batch: attributes transactional | control (0x30), the producer's id and epoch,
 *                 base sequence -1, no compression, one record:
 *    key    int16 version (0)   int16 type (0 ABORT, 1 COMMIT; other types are not transaction markers)
 *    value  int16 version (0)   int32 coordinator epoch
 * </pre>
 *
 * @param commit           whether the transaction committed (else it aborted)
 * @param coordinatorEpoch the epoch of the transaction coordinator that wrote it (its
 *                         {@code __transaction_state} partition's leader epoch): a marker from an
 *                         older coordinator is refused
 */
public record TxnMarker(boolean commit, int coordinatorEpoch) {

    /**
     * The control batch of a marker, as a partition leader appends it for WriteTxnMarkers: producer
     * {@code producerId} at {@code producerEpoch}, from coordinator epoch {@code coordinatorEpoch},
     * stamped {@code timestamp}.
     */
    public static ByteBuffer batch(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
            long timestamp) {
        return KafkaRecordBatches.endTxnMarker(producerId, producerEpoch, coordinatorEpoch, commit, timestamp);
    }

    static final short ABORT = 0;
    static final short COMMIT = 1;

    /**
     * The marker of the control batch at {@code at} (whole in {@code b}), or {@code null} if the
     * batch holds none: emptied by the cleaner, or a control type other than ABORT and COMMIT.
     *
     * @throws LogException INVALID_RECORD if the batch is compressed or its record is malformed
     */
    static TxnMarker read(ByteBuffer b, int at) {
        if (RecordBatchHeader.recordCount(b, at) == 0) {
            return null;
        }
        if (RecordBatchHeader.codecId(b, at) != 0) {
            throw invalid("a control batch must not be compressed");
        }
        int end = at + RecordBatchHeader.sizeInBytes(b, at);
        Varints r = new Varints(b, at + RecordBatchHeader.RECORDS, end);
        try {
            int length = r.readVarint();
            if (length <= 0 || length > r.remaining()) {
                throw invalid("control record claims " + length + " bytes, " + r.remaining() + " remain");
            }
            r.limitTo(r.position() + length);
            r.readByte(); // attributes
            r.readVarlong(); // timestamp delta
            r.readVarint(); // offset delta
            int keyLength = r.readVarint();
            if (keyLength < 4 || keyLength > r.remaining()) {
                throw invalid("control record key of " + keyLength + " bytes");
            }
            int key = r.position();
            short type = b.getShort(key + 2);
            r.skip(keyLength);
            if (type != ABORT && type != COMMIT) {
                return null;
            }
            int valueLength = r.readVarint();
            if (valueLength < 6 || valueLength > r.remaining()) {
                throw invalid("transaction marker value of " + valueLength + " bytes");
            }
            int value = r.position();
            short version = b.getShort(value);
            if (version < 0) {
                throw invalid("transaction marker value version " + version);
            }
            return new TxnMarker(type == COMMIT, b.getInt(value + 2));
        } catch (IllegalArgumentException e) {
            throw invalid("control record framing is broken: " + e.getMessage());
        }
    }

    private static LogException invalid(String message) {
        return new LogException(LogError.INVALID_RECORD, message);
    }
}
