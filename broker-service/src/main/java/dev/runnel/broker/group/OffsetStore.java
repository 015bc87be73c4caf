package dev.runnel.broker.group;

import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.runnel.common.TopicPartition;

/**
 * A group's offsets as {@code __consumer_offsets} holds them: the committed ones, and those pending
 * in producers' open transactions (Kafka's {@code OffsetMetadataManager}, for one group). Changed
 * only by replaying records and transaction markers; touched only on the group's queue.
 *
 * <pre>
 *   offset record, plain          committed[tp] = it
 *   offset record, producer P     pending[P][tp] = it         (TxnOffsetCommit)
 *   tombstone for tp              committed[tp] and every pending[*][tp] go
 *   COMMIT marker of P            each pending[P][tp] becomes committed[tp], unless committed[tp] was
 *                                 written later (a higher record offset); pending[P] goes
 *   ABORT marker of P             pending[P] goes
 * </pre>
 *
 * Only record offsets order a transactional commit against a plain one: the cleaner may drop
 * records of {@code __consumer_offsets}, so replay order alone could materialise an older offset.
 */
final class OffsetStore {

    private final Map<TopicPartition, OffsetAndMetadata> committed = new TreeMap<>(
            Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
    private final Map<Long, Map<TopicPartition, OffsetAndMetadata>> pending = new HashMap<>();

    /** The committed offsets, read-only. */
    Map<TopicPartition, OffsetAndMetadata> committed() {
        return Collections.unmodifiableMap(committed);
    }

    /**
     * Applies an offset record: a plain one ({@code producerId} {@link GroupLog#NO_PRODUCER_ID})
     * commits {@code value}, a transactional one holds it pending in the producer's transaction, and
     * a tombstone ({@code value} null) deletes the partition's committed and pending offsets.
     */
    void replay(long producerId, TopicPartition partition, OffsetAndMetadata value) {
        if (value == null) {
            committed.remove(partition);
            for (Iterator<Map<TopicPartition, OffsetAndMetadata>> it = pending.values().iterator(); it.hasNext(); ) {
                Map<TopicPartition, OffsetAndMetadata> offsets = it.next();
                offsets.remove(partition);
                if (offsets.isEmpty()) {
                    it.remove();
                }
            }
        } else if (producerId == GroupLog.NO_PRODUCER_ID) {
            committed.put(partition, value);
        } else {
            pending.computeIfAbsent(producerId, p -> new HashMap<>()).put(partition, value);
        }
    }

    /** Applies the marker ending {@code producerId}'s transaction: COMMIT ({@code commit}) or ABORT. */
    void replayTransactionEnd(long producerId, boolean commit) {
        Map<TopicPartition, OffsetAndMetadata> offsets = pending.remove(producerId);
        if (offsets == null || !commit) {
            return;
        }
        offsets.forEach((tp, offset) -> {
            OffsetAndMetadata current = committed.get(tp);
            if (current == null || offset.recordOffset() > current.recordOffset()) {
                committed.put(tp, offset);
            }
        });
    }

    /** Whether an open transaction holds an offset for {@code partition}. */
    boolean isPending(TopicPartition partition) {
        for (Map<TopicPartition, OffsetAndMetadata> offsets : pending.values()) {
            if (offsets.containsKey(partition)) {
                return true;
            }
        }
        return false;
    }

    boolean hasPending() {
        return !pending.isEmpty();
    }

    /** The producers whose open transactions hold offsets of the group. */
    Set<Long> openTransactions() {
        return Set.copyOf(pending.keySet());
    }

    /** The partitions that open transactions hold offsets for. */
    Set<TopicPartition> pendingPartitions() {
        Set<TopicPartition> partitions = new TreeSet<>(
                Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        pending.values().forEach(offsets -> partitions.addAll(offsets.keySet()));
        return partitions;
    }

    /** The offset {@code producerId}'s open transaction holds for {@code partition}, or null. */
    OffsetAndMetadata pending(long producerId, TopicPartition partition) {
        Map<TopicPartition, OffsetAndMetadata> offsets = pending.get(producerId);
        return offsets == null ? null : offsets.get(partition);
    }

    /** No committed offset, and none pending. */
    boolean isEmpty() {
        return committed.isEmpty() && pending.isEmpty();
    }

    void clear() {
        committed.clear();
        pending.clear();
    }
}
