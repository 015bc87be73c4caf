package dev.runnel.broker.storage;

/**
 * What one validated append holds: offsets, timestamps and sizes.
 *
 * @param firstOffset          base offset of the first batch
 * @param lastOffset           last offset of the last batch
 * @param maxTimestamp         largest batch max-timestamp, or -1 if none
 * @param offsetOfMaxTimestamp last offset of the batch holding {@code maxTimestamp}
 * @param batchCount           number of batches
 * @param recordCount          number of records
 * @param sizeInBytes          bytes of all batches together
 * @param firstBatchEpoch      partition leader epoch of the first batch after any rewrite
 * @param logAppendTimeMs      the time the leader stamped on the batches under
 *                             {@code message.timestamp.type=LogAppendTime}, else -1
 * @param duplicate            whether the batch was a producer's retry of one already in the log:
 *                             nothing was appended and the offsets are the original's, or with
 *                             {@code firstOffset} -1 unknown ({@link #offsetsUnknown})
 */
public record AppendInfo(long firstOffset, long lastOffset, long maxTimestamp, long offsetOfMaxTimestamp,
        int batchCount, int recordCount, int sizeInBytes, int firstBatchEpoch, long logAppendTimeMs,
        boolean duplicate) {

    /** An append of new batches with producer-set timestamps. */
    public AppendInfo(long firstOffset, long lastOffset, long maxTimestamp, long offsetOfMaxTimestamp,
            int batchCount, int recordCount, int sizeInBytes, int firstBatchEpoch) {
        this(firstOffset, lastOffset, maxTimestamp, offsetOfMaxTimestamp, batchCount, recordCount, sizeInBytes,
                firstBatchEpoch, -1, false);
    }

    /**
     * A retry of a batch the partition no longer remembers (older than a producer's retained
     * batches): written somewhere below {@link #nextOffset()}, at offsets not known any more.
     */
    public boolean offsetsUnknown() {
        return duplicate && firstOffset < 0;
    }

    /** The offset the next append will get. */
    public long nextOffset() {
        return lastOffset + 1;
    }
}
