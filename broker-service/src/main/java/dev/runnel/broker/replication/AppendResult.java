package dev.runnel.broker.replication;

import dev.runnel.broker.storage.AppendInfo;

/**
 * One partition's outcome of {@link ReplicaManager#appendRecords}.
 *
 * <ul>
 *   <li>appended (and, with acks=all, replicated): {@code info} set, {@code failure} null;</li>
 *   <li>refused before anything was appended: {@code info} null, {@code failure} set;</li>
 *   <li>appended on the leader but not acknowledged by the ISR (timeout, leadership lost, the ISR
 *       shrank below {@code min.insync.replicas}): both set.</li>
 * </ul>
 *
 * @param failure a {@link ReplicaException} or a {@link dev.runnel.broker.storage.LogException}
 */
public record AppendResult(AppendInfo info, long logStartOffset, RuntimeException failure) {

    static AppendResult appended(AppendInfo info, long logStartOffset) {
        return new AppendResult(info, logStartOffset, null);
    }

    static AppendResult refused(RuntimeException failure) {
        return new AppendResult(null, -1, failure);
    }

    /** The same append, not acknowledged after all. */
    AppendResult notAcknowledged(RuntimeException why) {
        return new AppendResult(info, logStartOffset, why);
    }

    public boolean failed() {
        return failure != null;
    }

    /** Whether the records reached the leader's log before the failure (so the failure came while waiting). */
    public boolean failedAfterAppend() {
        return failure != null && info != null;
    }
}
