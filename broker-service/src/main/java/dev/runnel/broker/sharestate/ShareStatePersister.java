package dev.runnel.broker.sharestate;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

/**
 * Where the durable state of share partitions lives (KIP-932's persister): a share-partition
 * leader reads a partition's state when it starts serving it and writes it after every change of
 * what is acknowledged, archived or released; the group coordinator initializes, summarizes and
 * deletes it for the admin APIs. The implementation is the share coordinator on the leader of the
 * {@code __share_group_state} partition the key hashes to, reached over inter-broker requests
 * (Kafka's Initialize/Read/Write/DeleteShareGroupState and ReadShareGroupStateSummary).
 *
 * <p>A call fails with a {@link ShareStateException} carrying Kafka's error:
 * FENCED_STATE_EPOCH or FENCED_LEADER_EPOCH for a stale writer, NOT_COORDINATOR or
 * COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS for the caller to retry.
 */
public interface ShareStatePersister {

    /** A share partition: one group's view of one topic partition. */
    record Key(String groupId, Uuid topicId, int partition) {
    }

    /**
     * A range of offsets in one delivery state with its delivery count. Delivery states are
     * Kafka's {@code RecordState} ids: 0 AVAILABLE, 2 ACKNOWLEDGED, 4 ARCHIVED (ACQUIRED, 1, is
     * never persisted: an acquired record is AVAILABLE to whoever reads the state next).
     */
    record StateBatch(long firstOffset, long lastOffset, byte deliveryState, short deliveryCount) {
    }

    /**
     * A share partition's whole state.
     *
     * @param stateEpoch            bumped by each initialization (an offsets reset or a deletion and re-creation);
     *                              a write with an older one is fenced
     * @param leaderEpoch           the partition leader epoch of the writer; a write with an older one is fenced
     * @param startOffset           the share-partition start offset (SPSO): every record below it is done;
     *                              -1 if initialized without one (the leader resolves {@code share.auto.offset.reset})
     * @param deliveryCompleteCount records at or above the start offset that are acknowledged or archived
     * @param batches               the in-flight records above the start offset that are not plain AVAILABLE
     *                              with delivery count 0, in offset order, not overlapping
     */
    record ShareState(int stateEpoch, int leaderEpoch, long startOffset, int deliveryCompleteCount,
            List<StateBatch> batches) {
        public ShareState {
            batches = List.copyOf(batches);
        }
    }

    /** What the admin APIs show of a share partition. */
    record Summary(int stateEpoch, int leaderEpoch, long startOffset, int deliveryCompleteCount) {
    }

    /** A persister call refused with Kafka's {@code error}. */
    final class ShareStateException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Errors error;

        public ShareStateException(Errors error, String message) {
            super(message, null, false, false);
            this.error = error;
        }

        public Errors error() {
            return error;
        }
    }

    /**
     * Sets the partition's state to empty at {@code startOffset} (-1: unresolved) with
     * {@code stateEpoch}, replacing any older state.
     */
    CompletableFuture<Void> initialize(Key key, int stateEpoch, long startOffset);

    /**
     * The partition's state, taking over as writer at {@code leaderEpoch} (older leaders' writes
     * are fenced from then on); empty if it was never initialized or was deleted.
     */
    CompletableFuture<Optional<ShareState>> read(Key key, int leaderEpoch);

    /** Replaces the partition's state; fenced if {@code state}'s epochs are older than the stored ones. */
    CompletableFuture<Void> write(Key key, ShareState state);

    /** The stored state's summary, empty if there is none. */
    CompletableFuture<Optional<Summary>> readSummary(Key key);

    /** Removes the partition's state (DeleteShareGroupOffsets, DeleteGroups). */
    CompletableFuture<Void> delete(Key key);
}
