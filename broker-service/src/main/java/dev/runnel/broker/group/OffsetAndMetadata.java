package dev.runnel.broker.group;

/**
 * A committed offset.
 *
 * @param offset          the next offset the group will consume
 * @param leaderEpoch     the leader epoch of the last consumed record, or -1
 * @param metadata        the committer's string, never null
 * @param commitTimestamp when the coordinator accepted the commit
 * @param expireTimestamp when a v2-v4 commit asked it to expire, or -1 for the retention rule
 */
public record OffsetAndMetadata(long offset, int leaderEpoch, String metadata, long commitTimestamp,
        long expireTimestamp) {

    public OffsetAndMetadata {
        metadata = metadata == null ? "" : metadata;
    }
}
