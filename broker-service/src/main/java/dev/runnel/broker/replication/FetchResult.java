package dev.runnel.broker.replication;

import java.util.List;

import dev.runnel.broker.storage.AbortedTransaction;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.common.TopicPartition;

/**
 * One partition's outcome of {@link ReplicaManager#fetchMessages}: what was read, or why not.
 *
 * @param abortedTransactions for a read_committed fetch, the aborted transactions in what was read
 *        (possibly none); null for any other fetch
 * @param failure a {@link ReplicaException} or a {@link dev.runnel.broker.storage.LogException}
 */
public record FetchResult(TopicPartition tp, PartitionLog.ReadResult read,
        List<AbortedTransaction> abortedTransactions, RuntimeException failure) {

    /** A read without aborted transactions (read_uncommitted, a follower's), or a failure. */
    public FetchResult(TopicPartition tp, PartitionLog.ReadResult read, RuntimeException failure) {
        this(tp, read, null, failure);
    }

    public boolean failed() {
        return failure != null;
    }

    /** The record bytes read; zero for none or a failure. */
    public int bytes() {
        return read == null || read.isEmpty() ? 0 : read.slice().size();
    }
}
