package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.sharestate.ShareStatePersister;

/**
 * Share-partition state in a map, for the group coordinator's tests: what it initialized, read
 * and deleted, and a way to make calls fail with a Kafka error.
 */
public final class InMemoryShareStatePersister implements ShareStatePersister {

    public final Map<Key, ShareState> states = new ConcurrentHashMap<>();
    /** Every call, in order: "initialize key epoch offset", "delete key", "summary key". */
    public final List<String> calls = new ArrayList<>();
    /** When set, every call fails with it. */
    public volatile Errors failWith;

    private synchronized <T> CompletableFuture<T> call(String what, Supplier<T> action) {
        calls.add(what);
        if (failWith != null) {
            return CompletableFuture.failedFuture(new ShareStateException(failWith, "refused: " + what));
        }
        return CompletableFuture.completedFuture(action.get());
    }

    @Override
    public CompletableFuture<Void> initialize(Key key, int stateEpoch, long startOffset) {
        return call("initialize " + key + " " + stateEpoch + " " + startOffset, () -> {
            states.put(key, new ShareState(stateEpoch, -1, startOffset, 0, List.of()));
            return null;
        });
    }

    @Override
    public CompletableFuture<Optional<ShareState>> read(Key key, int leaderEpoch) {
        return call("read " + key, () -> Optional.ofNullable(states.get(key)));
    }

    @Override
    public CompletableFuture<Void> write(Key key, ShareState state) {
        return call("write " + key, () -> {
            states.put(key, state);
            return null;
        });
    }

    @Override
    public CompletableFuture<Optional<Summary>> readSummary(Key key) {
        return call("summary " + key, () -> Optional.ofNullable(states.get(key)).map(s -> new Summary(s.stateEpoch(),
                s.leaderEpoch(), s.startOffset(), s.deliveryCompleteCount())));
    }

    @Override
    public CompletableFuture<Void> delete(Key key) {
        return call("delete " + key, () -> {
            states.remove(key);
            return null;
        });
    }

    public synchronized List<String> calls() {
        return new ArrayList<>(calls);
    }
}
