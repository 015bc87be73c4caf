package dev.runnel.broker.group;

/**
 * A committed offset.
 *
 * @param offset          the next offset the group will consume
 * @param leaderEpoch     the leader epoch of the last consumed record, or -1
 * @param metadata        the committer's string, never null
 * @param commitTimestamp when the coordinator accepted the commit
 * @param expireTimestamp when a v2-v4 commit asked it to expire, or -1 for the retention rule
 * @param recordOffset    where its record is in {@code __consumer_offsets}, or -1 before it is written:
 *                        a transaction's commit marker makes its offset the committed one only if no
 *                        commit written after it (at a higher record offset) holds the partition
 */
public record OffsetAndMetadata(long offset, int leaderEpoch, String metadata, long commitTimestamp,
        long expireTimestamp, long recordOffset) {

    public OffsetAndMetadata {
        metadata = metadata == null ? "" : metadata;
    }

    /** An offset not written yet (or read without its position). */
    public OffsetAndMetadata(long offset, int leaderEpoch, String metadata, long commitTimestamp, long expireTimestamp) {
        this(offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp, -1);
    }

    /** This offset as written at {@code at} in {@code __consumer_offsets}. */
    OffsetAndMetadata at(long at) {
        return new OffsetAndMetadata(offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp, at);
    }
}
