package dev.runnel.broker.replication;

import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.common.TopicPartition;

/**
 * One partition's outcome of {@link ReplicaManager#fetchMessages}: what was read, or why not.
 *
 * @param failure a {@link ReplicaException} or a {@link dev.runnel.broker.storage.LogException}
 */
public record FetchResult(TopicPartition tp, PartitionLog.ReadResult read, RuntimeException failure) {

    public boolean failed() {
        return failure != null;
    }

    /** The record bytes read; zero for none or a failure. */
    public int bytes() {
        return read == null || read.isEmpty() ? 0 : read.slice().size();
    }
}
