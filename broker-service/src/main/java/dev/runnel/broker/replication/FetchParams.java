package dev.runnel.broker.replication;

import java.time.Duration;
import java.util.OptionalInt;

import dev.runnel.common.TopicPartition;

/**
 * What one fetch asks of {@link ReplicaManager#fetchMessages}, as Kafka's {@code FetchParams}.
 *
 * @param replicaId the fetching follower's broker id, or -1 for a consumer or a coordinator
 * @param maxWait   how long to wait for {@code minBytes} (zero: answer with what there is)
 * @param minBytes  the bytes that end the wait
 * @param maxBytes  the bytes the whole answer may carry (the first batch may exceed it, so a
 *                  fetch always makes progress)
 * @param bound     up to where records may be read
 */
public record FetchParams(int replicaId, Duration maxWait, int minBytes, int maxBytes, Partition.ReadBound bound) {

    /** A read_uncommitted consumer's fetch: up to the high watermark. */
    public static FetchParams consumer(Duration maxWait, int minBytes, int maxBytes) {
        return consumer(maxWait, minBytes, maxBytes, false);
    }

    /**
     * A consumer's fetch: up to the last stable offset with {@code readCommitted} (the answer then
     * names the aborted transactions in what was read), else up to the high watermark.
     */
    public static FetchParams consumer(Duration maxWait, int minBytes, int maxBytes, boolean readCommitted) {
        return new FetchParams(-1, maxWait, minBytes, maxBytes,
                readCommitted ? Partition.ReadBound.LAST_STABLE : Partition.ReadBound.HIGH_WATERMARK);
    }

    /** Whether the fetch reads committed records only (read_committed). */
    public boolean readCommitted() {
        return bound == Partition.ReadBound.LAST_STABLE;
    }

    /** A follower's fetch: up to the log end; its fetch offset is its own log end. */
    public static FetchParams follower(int replicaId, Duration maxWait, int minBytes, int maxBytes) {
        return new FetchParams(replicaId, maxWait, minBytes, maxBytes, Partition.ReadBound.LOG_END);
    }

    /** A coordinator loading its state from a partition it leads: everything, without waiting. */
    public static FetchParams coordinatorLoad(int maxBytes) {
        return new FetchParams(-1, Duration.ZERO, 0, maxBytes, Partition.ReadBound.LOG_END);
    }

    public boolean isFromFollower() {
        return replicaId >= 0;
    }

    /** One partition to read. */
    public record PartitionRequest(TopicPartition tp, long fetchOffset, OptionalInt currentLeaderEpoch, int maxBytes) {
    }
}
