package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

import org.apache.kafka.common.protocol.Errors;

/**
 * An in-memory {@code __consumer_offsets}: appends land in a list per partition, at once or when
 * the test releases them ({@link #hold}), or fail with the error the test sets.
 */
final class FakeGroupLog implements GroupLog {

    final Map<Integer, List<Entry>> partitions = new HashMap<>();
    /** When set, appends fail with this error. */
    Errors failWith;
    /** When set, appends wait in {@link #held} until the test runs them. */
    boolean hold;
    final List<Runnable> held = new ArrayList<>();
    int appends;

    @Override
    public synchronized CompletableFuture<Void> append(int partition, List<Entry> entries) {
        appends++;
        if (failWith != null) {
            return CompletableFuture.failedFuture(new GroupLogException(failWith, "test failure"));
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

    synchronized int records(int partition) {
        return partitions.getOrDefault(partition, List.of()).size();
    }
}
