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
 */
public record AppendInfo(long firstOffset, long lastOffset, long maxTimestamp, long offsetOfMaxTimestamp,
        int batchCount, int recordCount, int sizeInBytes, int firstBatchEpoch) {

    /** The offset the next append will get. */
    public long nextOffset() {
        return lastOffset + 1;
    }
}
