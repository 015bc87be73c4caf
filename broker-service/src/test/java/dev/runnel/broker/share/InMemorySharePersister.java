package dev.runnel.broker.share;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.sharestate.ShareStatePersister;

/**
 * A {@link ShareStatePersister} in memory for tests, fencing as the contract says (a write with an
 * older state or leader epoch than the stored one, a read taking over at an older leader epoch). A
 * test may hold writes back ({@link #holdWrites}) to see what waits for them, or make the next
 * write fail ({@link #failNextWrite}).
 */
public final class InMemorySharePersister implements ShareStatePersister {

    private final Map<Key, ShareState> states = new HashMap<>();
    private final Map<Key, Integer> readerEpochs = new HashMap<>();
    private final List<ShareState> writes = new ArrayList<>();
    private final List<Runnable> held = new ArrayList<>();
    private boolean holding;
    private Errors failNext;

    @Override
    public synchronized CompletableFuture<Void> initialize(Key key, int stateEpoch, long startOffset) {
        states.put(key, new ShareState(stateEpoch, 0, startOffset, 0, List.of()));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletableFuture<Optional<ShareState>> read(Key key, int leaderEpoch) {
        Integer reader = readerEpochs.get(key);
        if (reader != null && leaderEpoch < reader) {
            return CompletableFuture.failedFuture(new ShareStateException(Errors.FENCED_LEADER_EPOCH,
                    "read at leader epoch " + leaderEpoch + " after " + reader));
        }
        readerEpochs.put(key, leaderEpoch);
        return CompletableFuture.completedFuture(Optional.ofNullable(states.get(key)));
    }

    @Override
    public CompletableFuture<Void> write(Key key, ShareState state) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable apply = () -> {
            Errors failure;
            synchronized (this) {
                failure = decide(key, state);
            }
            if (failure == null) {
                done.complete(null);
            } else {
                done.completeExceptionally(new ShareStateException(failure, "write refused: " + failure));
            }
        };
        synchronized (this) {
            if (holding) {
                held.add(apply);
                return done;
            }
        }
        apply.run();
        return done;
    }

    private Errors decide(Key key, ShareState state) {
        if (failNext != null) {
            Errors failure = failNext;
            failNext = null;
            return failure;
        }
        ShareState stored = states.get(key);
        if (stored != null && state.stateEpoch() < stored.stateEpoch()) {
            return Errors.FENCED_STATE_EPOCH;
        }
        Integer reader = readerEpochs.get(key);
        if (reader != null && state.leaderEpoch() < reader) {
            return Errors.FENCED_LEADER_EPOCH;
        }
        states.put(key, state);
        writes.add(state);
        return null;
    }

    @Override
    public synchronized CompletableFuture<Optional<Summary>> readSummary(Key key) {
        return CompletableFuture.completedFuture(Optional.ofNullable(states.get(key)).map(s -> new Summary(
                s.stateEpoch(), s.leaderEpoch(), s.startOffset(), s.deliveryCompleteCount())));
    }

    @Override
    public synchronized CompletableFuture<Void> delete(Key key) {
        states.remove(key);
        return CompletableFuture.completedFuture(null);
    }

    /** Writes wait until {@link #releaseWrites} from now on. */
    public synchronized void holdWrites() {
        holding = true;
    }

    /** Completes the writes held back, in order, and stops holding. */
    public void releaseWrites() {
        List<Runnable> now;
        synchronized (this) {
            holding = false;
            now = new ArrayList<>(held);
            held.clear();
        }
        now.forEach(Runnable::run);
    }

    /** The next write fails with {@code error}. */
    public synchronized void failNextWrite(Errors error) {
        failNext = error;
    }

    /** The stored state of {@code key}. */
    public synchronized Optional<ShareState> state(Key key) {
        return Optional.ofNullable(states.get(key));
    }

    /** Every successful write, in order. */
    public synchronized List<ShareState> writes() {
        return List.copyOf(writes);
    }
}
