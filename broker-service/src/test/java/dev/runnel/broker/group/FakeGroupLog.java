package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.apache.kafka.common.protocol.Errors;

/**
 * An in-memory {@code __consumer_offsets}: each append goes into the partition's log at once, at
 * the next offsets, as the leader's log takes it; its acknowledgement comes at once, or when the
 * test releases it ({@link #hold}), in order or not; or the append fails with the error the test
 * sets. Like a partition, it refuses a producer's transactional batch or marker with an older epoch
 * than the last it took from that producer (INVALID_PRODUCER_EPOCH).
 */
final class FakeGroupLog implements GroupLog {

    private final Map<Integer, List<Batch>> partitions = new HashMap<>();
    private final Map<Integer, Long> nextOffsets = new HashMap<>();
    private final Map<Integer, Map<Long, Short>> epochs = new HashMap<>();
    /** When set, appends fail with this error and write nothing. */
    Errors failWith;
    /** When set, appends are in the log but wait in {@link #held} for their acknowledgement. */
    boolean hold;
    final List<Runnable> held = new ArrayList<>();
    int appends;

    @Override
    public CompletableFuture<Long> append(int partition, List<Entry> entries) {
        return write(partition, NO_PRODUCER_ID, (short) -1, null, entries);
    }

    @Override
    public Object startTransactionVerification(int partition, long producerId, short producerEpoch) {
        return new Object();
    }

    @Override
    public CompletableFuture<Long> appendTransactional(int partition, long producerId, short producerEpoch,
            List<Entry> entries, Object verification) {
        return write(partition, producerId, producerEpoch, null, entries);
    }

    @Override
    public CompletableFuture<Long> appendMarker(int partition, long producerId, short producerEpoch,
            int coordinatorEpoch, boolean commit) {
        return write(partition, producerId, producerEpoch, commit ? Marker.COMMIT : Marker.ABORT, List.of());
    }

    private synchronized CompletableFuture<Long> write(int partition, long producerId, short epoch, Marker marker,
            List<Entry> entries) {
        appends++;
        if (failWith != null) {
            return CompletableFuture.failedFuture(new GroupLogException(failWith, "test failure"));
        }
        if (producerId != NO_PRODUCER_ID) {
            Map<Long, Short> known = epochs.computeIfAbsent(partition, p -> new HashMap<>());
            Short current = known.get(producerId);
            if (current != null && epoch < current) {
                return CompletableFuture.failedFuture(new GroupLogException(Errors.INVALID_PRODUCER_EPOCH,
                        "producer " + producerId + " epoch " + epoch + " is older than " + current));
            }
            known.put(producerId, epoch);
        }
        long base = nextOffsets.getOrDefault(partition, 0L);
        List<Logged> logged = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            logged.add(new Logged(base + i, entries.get(i).key(), entries.get(i).value()));
        }
        Batch batch = marker != null ? Batch.marker(producerId, marker)
                : producerId != NO_PRODUCER_ID ? Batch.transactional(producerId, logged) : Batch.plain(logged);
        partitions.computeIfAbsent(partition, p -> new ArrayList<>()).add(batch);
        nextOffsets.put(partition, base + Math.max(1, entries.size()));
        CompletableFuture<Long> written = new CompletableFuture<>();
        if (hold) {
            held.add(() -> written.complete(base));
        } else {
            written.complete(base);
        }
        return written;
    }

    /** Acknowledges the held appends, in order. */
    void release() {
        releaseAll(false);
    }

    /** Acknowledges the held appends, the last first: the ISR's acknowledgements may come in any order. */
    void releaseNewestFirst() {
        releaseAll(true);
    }

    private void releaseAll(boolean newestFirst) {
        List<Runnable> writes;
        synchronized (this) {
            writes = new ArrayList<>(held);
            held.clear();
        }
        if (newestFirst) {
            Collections.reverse(writes);
        }
        writes.forEach(Runnable::run);
    }

    @Override
    public void read(int partition, Consumer<Batch> batches) {
        List<Batch> log;
        synchronized (this) {
            log = List.copyOf(partitions.getOrDefault(partition, List.of()));
        }
        log.forEach(batches);
    }

    /** The data records in the partition. */
    synchronized int records(int partition) {
        return partitions.getOrDefault(partition, List.of()).stream().mapToInt(b -> b.records().size()).sum();
    }

    /** The partition's batches, in log order. */
    synchronized List<Batch> batches(int partition) {
        return List.copyOf(partitions.getOrDefault(partition, List.of()));
    }
}
