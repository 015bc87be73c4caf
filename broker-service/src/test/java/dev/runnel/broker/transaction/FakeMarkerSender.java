package dev.runnel.broker.transaction;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.Errors;

/** Records the markers the coordinator sends; they are written at once unless the test holds them. */
final class FakeMarkerSender implements TransactionMarkerSender {

    final List<Markers> sent = new ArrayList<>();
    final Map<Markers, CompletableFuture<Void>> pending = new LinkedHashMap<>();
    final List<Integer> removed = new ArrayList<>();
    boolean hold;

    @Override
    public synchronized CompletableFuture<Void> send(Markers markers) {
        sent.add(markers);
        if (!hold) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        pending.put(markers, done);
        return done;
    }

    @Override
    public synchronized void removeMarkers(int transactionStatePartition) {
        removed.add(transactionStatePartition);
        pending.entrySet().removeIf(e -> {
            if (e.getKey().transactionStatePartition() == transactionStatePartition) {
                e.getValue().completeExceptionally(new TransactionLog.TransactionLogException(Errors.NOT_COORDINATOR,
                        "markers removed"));
                return true;
            }
            return false;
        });
    }

    /** Every held send succeeds. */
    void writeAll() {
        List<CompletableFuture<Void>> done;
        synchronized (this) {
            done = List.copyOf(pending.values());
            pending.clear();
        }
        done.forEach(f -> f.complete(null));
    }

    /** Every held send is given up with {@code error}. */
    void failAll(Errors error) {
        List<CompletableFuture<Void>> done;
        synchronized (this) {
            done = List.copyOf(pending.values());
            pending.clear();
        }
        done.forEach(f -> f.completeExceptionally(new TransactionLog.TransactionLogException(error, "test failure")));
    }

    synchronized Markers last() {
        return sent.get(sent.size() - 1);
    }
}
