package dev.runnel.broker.sharestate;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

import org.apache.kafka.common.protocol.Errors;

/**
 * An in-memory {@code __share_group_state}: appends land in a list per partition, at once or when
 * the test releases them ({@link #hold}), or fail with the error the test sets.
 */
final class FakeShareStateLog implements ShareStateLog {

    final Map<Integer, List<Entry>> partitions = new HashMap<>();
    /** When set, appends fail with this error. */
    Errors failWith;
    /** When set, appends wait in {@link #held} until the test runs them. */
    boolean hold;
    final List<Runnable> held = new ArrayList<>();
    /** The leader epoch of every append, in order. */
    final List<Integer> appendEpochs = new ArrayList<>();

    @Override
    public synchronized CompletableFuture<Void> append(int partition, int leaderEpoch, List<Entry> entries) {
        appendEpochs.add(leaderEpoch);
        if (failWith != null) {
            return CompletableFuture.failedFuture(new ShareStateLogException(failWith, "test failure"));
        }
        CompletableFuture<Void> written = new CompletableFuture<>();
        Runnable write = () -> {
            synchronized (this) {
                partitions.computeIfAbsent(partition, p -> new ArrayList<>()).addAll(entries);
            }
            written.complete(null);
        };
        if (hold) {
            held.add(write);
        } else {
            write.run();
        }
        return written;
    }

    /** Completes the held appends, in order. */
    void release() {
        List<Runnable> writes;
        synchronized (this) {
            writes = List.copyOf(held);
            held.clear();
        }
        writes.forEach(Runnable::run);
    }

    @Override
    public void read(int partition, BiConsumer<byte[], byte[]> records) {
        List<Entry> entries;
        synchronized (this) {
            entries = List.copyOf(partitions.getOrDefault(partition, List.of()));
        }
        entries.forEach(e -> records.accept(e.key(), e.value()));
    }

    /** Appends raw bytes, as a corrupt or foreign writer might have. */
    synchronized void preload(int partition, byte[] key, byte[] value) {
        partitions.computeIfAbsent(partition, p -> new ArrayList<>()).add(new Entry(key, value));
    }

    /** The records of {@code partition}, decoded, in order. */
    synchronized List<ShareStateRecord> records(int partition) {
        return partitions.getOrDefault(partition, List.of()).stream()
                .map(e -> ShareStateRecordCodec.decode(ByteBuffer.wrap(e.key()),
                        e.value() == null ? null : ByteBuffer.wrap(e.value())))
                .toList();
    }

    synchronized int size(int partition) {
        return partitions.getOrDefault(partition, List.of()).size();
    }
}
