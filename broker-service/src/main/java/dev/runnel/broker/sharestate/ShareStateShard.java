package dev.runnel.broker.sharestate;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.sharestate.ShareStatePersister.Key;
import dev.runnel.broker.sharestate.ShareStatePersister.ShareState;
import dev.runnel.broker.sharestate.ShareStatePersister.StateBatch;
import dev.runnel.broker.sharestate.ShareStatePersister.Summary;

/**
 * The share partitions' states of one {@code __share_group_state} partition (Kafka's
 * {@code ShareCoordinatorShard}): the latest snapshot per key. Operations decide records and an
 * answer without changing anything ({@link ShareStateDecision}); the state changes only in
 * {@link #replay}, which applies written records live and on load, so a new coordinator rebuilds
 * exactly what the old one had written.
 *
 * <p>Fencing, as Kafka: a write whose leader epoch is older than the stored one is
 * FENCED_LEADER_EPOCH, one whose state epoch is older FENCED_STATE_EPOCH (checked in that order);
 * a read at a newer leader epoch writes that epoch, so from then on the older leader's writes are
 * fenced; an initialization with an older state epoch is FENCED_STATE_EPOCH.
 *
 * <p>Not thread-safe: its partition's serial queue owns it.
 */
final class ShareStateShard {

    /** Kafka's {@code RecordState} ids that are persisted: AVAILABLE, ACKNOWLEDGED, ARCHIVED. */
    private static final byte AVAILABLE = 0;
    private static final byte ACKNOWLEDGED = 2;
    private static final byte ARCHIVED = 4;

    private final Map<Key, ShareSnapshot> states = new HashMap<>();
    private final ShareCoordinator.Partitions partitions;

    ShareStateShard(ShareCoordinator.Partitions partitions) {
        this.partitions = partitions;
    }

    /** Why {@code key} can name no share partition, or null if it can. */
    static String invalid(Key key) {
        if (key == null) {
            return "no share partition named";
        }
        if (key.groupId() == null || key.groupId().isEmpty()) {
            return "the group id is empty";
        }
        if (key.topicId() == null || Uuid.ZERO_UUID.equals(key.topicId())) {
            return "the topic id is missing";
        }
        if (key.partition() < 0) {
            return "the partition is negative: " + key.partition();
        }
        return null;
    }

    void replay(ShareStateRecord record) {
        if (record.tombstone()) {
            states.remove(record.key());
        } else {
            states.put(record.key(), record.snapshot());
        }
    }

    Optional<ShareSnapshot> snapshot(Key key) {
        return Optional.ofNullable(states.get(key));
    }

    /** The states, for tests comparing a reload with what was written. */
    Map<Key, ShareSnapshot> states() {
        return Map.copyOf(states);
    }

    /** InitializeShareGroupState: an empty state at {@code startOffset} (-1: unresolved) and {@code stateEpoch}. */
    ShareStateDecision<Void> initialize(Key key, int stateEpoch, long startOffset, long now) {
        if (stateEpoch < 0) {
            return ShareStateDecision.refuse(Errors.INVALID_REQUEST, "the state epoch is negative: " + stateEpoch);
        }
        if (startOffset < -1) {
            return ShareStateDecision.refuse(Errors.INVALID_REQUEST, "the start offset is below -1: " + startOffset);
        }
        ShareSnapshot stored = states.get(key);
        if (stored != null && stored.stateEpoch() > stateEpoch) {
            return ShareStateDecision.refuse(Errors.FENCED_STATE_EPOCH, "the state epoch " + stateEpoch
                    + " is older than the stored " + stored.stateEpoch());
        }
        String missing = missingPartition(key);
        if (missing != null) {
            return ShareStateDecision.refuse(Errors.UNKNOWN_TOPIC_OR_PARTITION, missing);
        }
        ShareSnapshot initialized = new ShareSnapshot(stored == null ? 0 : stored.snapshotEpoch() + 1, stateEpoch, 0,
                startOffset, startOffset == -1 ? -1 : 0, now, now, List.of());
        return ShareStateDecision.write(new ShareStateRecord(key, initialized), null);
    }

    /**
     * ReadShareGroupState at {@code leaderEpoch} (-1: without taking over). A newer epoch than the
     * stored one is written first; an older one is FENCED_LEADER_EPOCH. No state: empty, nothing written.
     */
    ShareStateDecision<Optional<ShareState>> read(Key key, int leaderEpoch, long now) {
        ShareSnapshot stored = states.get(key);
        if (stored != null && leaderEpoch != -1 && stored.leaderEpoch() > leaderEpoch) {
            return ShareStateDecision.refuse(Errors.FENCED_LEADER_EPOCH, "the leader epoch " + leaderEpoch
                    + " is older than the stored " + stored.leaderEpoch());
        }
        String missing = missingPartition(key);
        if (missing != null) {
            return ShareStateDecision.refuse(Errors.UNKNOWN_TOPIC_OR_PARTITION, missing);
        }
        if (stored == null) {
            return ShareStateDecision.answer(Optional.empty());
        }
        if (leaderEpoch == -1 || leaderEpoch == stored.leaderEpoch()) {
            return ShareStateDecision.answer(Optional.of(stored.state()));
        }
        ShareSnapshot takenOver = stored.withLeaderEpoch(leaderEpoch, now);
        return ShareStateDecision.write(new ShareStateRecord(key, takenOver), Optional.of(takenOver.state()));
    }

    /**
     * WriteShareGroupState: {@code state} replaces the stored one. A start offset of -1 keeps the
     * stored one, a leader epoch of -1 the stored one (as Kafka's "not being written").
     */
    ShareStateDecision<Void> write(Key key, ShareState state, long now) {
        String bad = invalid(state);
        if (bad != null) {
            return ShareStateDecision.refuse(Errors.INVALID_REQUEST, bad);
        }
        ShareSnapshot stored = states.get(key);
        if (stored != null && state.leaderEpoch() != -1 && stored.leaderEpoch() > state.leaderEpoch()) {
            return ShareStateDecision.refuse(Errors.FENCED_LEADER_EPOCH, "the leader epoch " + state.leaderEpoch()
                    + " is older than the stored " + stored.leaderEpoch());
        }
        if (stored != null && stored.stateEpoch() > state.stateEpoch()) {
            return ShareStateDecision.refuse(Errors.FENCED_STATE_EPOCH, "the state epoch " + state.stateEpoch()
                    + " is older than the stored " + stored.stateEpoch());
        }
        String missing = missingPartition(key);
        if (missing != null) {
            return ShareStateDecision.refuse(Errors.UNKNOWN_TOPIC_OR_PARTITION, missing);
        }
        long startOffset = state.startOffset() == -1 && stored != null ? stored.startOffset() : state.startOffset();
        int leaderEpoch = state.leaderEpoch() == -1 && stored != null ? stored.leaderEpoch() : state.leaderEpoch();
        ShareSnapshot written = new ShareSnapshot(stored == null ? 0 : stored.snapshotEpoch() + 1, state.stateEpoch(),
                leaderEpoch, startOffset, state.deliveryCompleteCount(), stored == null ? now : stored.createTimestamp(),
                now, state.batches());
        return ShareStateDecision.write(new ShareStateRecord(key, written), null);
    }

    /** ReadShareGroupStateSummary; {@code leaderEpoch} -1 reads without fencing. */
    ShareStateDecision<Optional<Summary>> summary(Key key, int leaderEpoch) {
        ShareSnapshot stored = states.get(key);
        if (stored != null && leaderEpoch != -1 && stored.leaderEpoch() > leaderEpoch) {
            return ShareStateDecision.refuse(Errors.FENCED_LEADER_EPOCH, "the leader epoch " + leaderEpoch
                    + " is older than the stored " + stored.leaderEpoch());
        }
        return ShareStateDecision.answer(Optional.ofNullable(stored).map(ShareSnapshot::summary));
    }

    /** DeleteShareGroupState: a tombstone, or nothing to do if there is no state. */
    ShareStateDecision<Void> delete(Key key) {
        if (!states.containsKey(key)) {
            return ShareStateDecision.answer(null);
        }
        return ShareStateDecision.write(new ShareStateRecord(key, null), null);
    }

    private String missingPartition(Key key) {
        return partitions.exists(key.topicId(), key.partition()) ? null
                : "topic " + key.topicId() + " has no partition " + key.partition();
    }

    /** Why {@code state} is not a share partition's state, or null if it is one. */
    static String invalid(ShareState state) {
        if (state == null) {
            return "no state";
        }
        if (state.stateEpoch() < 0) {
            return "the state epoch is negative: " + state.stateEpoch();
        }
        if (state.leaderEpoch() < -1) {
            return "the leader epoch is below -1: " + state.leaderEpoch();
        }
        if (state.startOffset() < -1) {
            return "the start offset is below -1: " + state.startOffset();
        }
        if (state.deliveryCompleteCount() < -1) {
            return "the delivery complete count is below -1: " + state.deliveryCompleteCount();
        }
        long previousLast = Long.MIN_VALUE;
        for (StateBatch b : state.batches()) {
            if (b.firstOffset() < 0 || b.lastOffset() < b.firstOffset()) {
                return "the batch " + b.firstOffset() + "-" + b.lastOffset() + " is not a range of offsets";
            }
            if (state.startOffset() >= 0 && b.firstOffset() < state.startOffset()) {
                return "the batch " + b.firstOffset() + "-" + b.lastOffset() + " starts below the start offset "
                        + state.startOffset();
            }
            if (b.firstOffset() <= previousLast) {
                return "the batch " + b.firstOffset() + "-" + b.lastOffset() + " overlaps or precedes the one before";
            }
            if (b.deliveryState() != AVAILABLE && b.deliveryState() != ACKNOWLEDGED && b.deliveryState() != ARCHIVED) {
                return "the batch " + b.firstOffset() + "-" + b.lastOffset() + " has delivery state "
                        + b.deliveryState() + " (only 0, 2 and 4 are persisted)";
            }
            if (b.deliveryCount() < 0) {
                return "the batch " + b.firstOffset() + "-" + b.lastOffset() + " has a negative delivery count";
            }
            previousLast = b.lastOffset();
        }
        return null;
    }
}
