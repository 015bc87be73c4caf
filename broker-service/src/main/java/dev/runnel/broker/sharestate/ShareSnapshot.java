package dev.runnel.broker.sharestate;

import java.util.List;

import dev.runnel.broker.sharestate.ShareStatePersister.ShareState;
import dev.runnel.broker.sharestate.ShareStatePersister.StateBatch;
import dev.runnel.broker.sharestate.ShareStatePersister.Summary;

/**
 * What the coordinator keeps of one share partition: the value of Kafka's {@code ShareSnapshot}
 * record, which is also what it writes for every change.
 *
 * @param snapshotEpoch   0 for the key's first snapshot, then one more with each snapshot written
 * @param createTimestamp when the state was initialized (kept by later writes)
 * @param writeTimestamp  when this snapshot was written
 */
public record ShareSnapshot(int snapshotEpoch, int stateEpoch, int leaderEpoch, long startOffset,
        int deliveryCompleteCount, long createTimestamp, long writeTimestamp, List<StateBatch> batches) {

    public ShareSnapshot {
        batches = List.copyOf(batches);
    }

    /** The state as a share-partition leader reads it. */
    public ShareState state() {
        return new ShareState(stateEpoch, leaderEpoch, startOffset, deliveryCompleteCount, batches);
    }

    public Summary summary() {
        return new Summary(stateEpoch, leaderEpoch, startOffset, deliveryCompleteCount);
    }

    /** This snapshot at {@code leaderEpoch}, written at {@code now}. */
    ShareSnapshot withLeaderEpoch(int leaderEpoch, long now) {
        return new ShareSnapshot(snapshotEpoch + 1, stateEpoch, leaderEpoch, startOffset, deliveryCompleteCount,
                createTimestamp, now, batches);
    }
}
