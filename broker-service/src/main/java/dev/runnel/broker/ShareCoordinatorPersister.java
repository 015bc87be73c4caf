package dev.runnel.broker;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.Supplier;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.kafka.ShareStateCalls;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.protocol.CoordinatorTopics;
import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.broker.sharestate.ShareCoordinator;
import dev.runnel.broker.sharestate.ShareStateAnswer;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.common.time.Scheduler;

/**
 * The production {@link ShareStatePersister} (Kafka's {@code DefaultStatePersister} and
 * {@code PersisterStateManager}): each call goes to the share coordinator of its key, the leader of
 * the key's {@code __share_group_state} partition in this broker's metadata (the topic is asked of
 * the controller on first need), directly when that is this broker, else with Kafka's request over
 * {@link InterBrokerChannels}. NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
 * COORDINATOR_LOAD_IN_PROGRESS and I/O failures are retried on the scheduler, the wait doubling
 * from {@code backoff} to {@code maxBackoff}, until {@code timeout} after the call; then, and at
 * once for any other error, the call fails with a {@link ShareStateException} (an I/O failure as
 * COORDINATOR_NOT_AVAILABLE). Every call is idempotent (a write replaces the whole state), so a
 * retry after a lost answer is safe.
 *
 * <p>A read answers the state as Kafka's ReadShareGroupState carries it, whether the coordinator is
 * here or not: the leader epoch read at, the delivery complete count counted from the batches, and
 * a state with nothing in it (state epoch 0, start offset -1, no batches) as empty, since the wire
 * cannot tell it from none; the summary likewise.
 */
final class ShareCoordinatorPersister implements ShareStatePersister {

    private static final Logger log = LoggerFactory.getLogger(ShareCoordinatorPersister.class);
    private static final byte ACKNOWLEDGED = 2;
    private static final byte ARCHIVED = 4;

    /** Calls another broker (InterBrokerChannels.call). */
    @FunctionalInterface
    interface Channels {
        <T> CompletableFuture<T> call(int broker, InterBrokerChannels.Call<T> call);
    }

    private final int brokerId;
    private final ShareCoordinator coordinator;
    private final MetadataCache metadata;
    private final Supplier<CoordinatorTopics.Lookup> topic;
    private final Channels channels;
    private final Scheduler scheduler;
    private final Clock clock;
    private final Duration timeout;
    private final Duration backoff;
    private final Duration maxBackoff;

    /** @param topic finds {@code __share_group_state}, asking the controller to create it if it is missing */
    ShareCoordinatorPersister(int brokerId, ShareCoordinator coordinator, MetadataCache metadata,
            Supplier<CoordinatorTopics.Lookup> topic, Channels channels, Scheduler scheduler, Clock clock,
            Duration timeout, Duration backoff, Duration maxBackoff) {
        this.brokerId = brokerId;
        this.coordinator = coordinator;
        this.metadata = metadata;
        this.topic = topic;
        this.channels = channels;
        this.scheduler = scheduler;
        this.clock = clock;
        this.timeout = timeout;
        this.backoff = backoff;
        this.maxBackoff = maxBackoff;
    }

    @Override
    public CompletableFuture<Void> initialize(Key key, int stateEpoch, long startOffset) {
        return call("initialize", key, c -> c.initialize(key, stateEpoch, startOffset),
                client -> reply(ShareStateCalls.initialize(client, key, stateEpoch, startOffset)));
    }

    @Override
    public CompletableFuture<Optional<ShareState>> read(Key key, int leaderEpoch) {
        return call("read", key, c -> c.read(key, leaderEpoch).thenApply(a -> a.ok() ? new ShareStateAnswer<>(
                a.error(), a.message(), a.value().flatMap(s -> asRead(s.stateEpoch(), leaderEpoch, s.startOffset(),
                        s.batches()))) : a), client -> {
                    ShareStateCalls.ReadReply r = ShareStateCalls.read(client, key, leaderEpoch);
                    return new ShareStateAnswer<>(r.error(), r.message(),
                            asRead(r.stateEpoch(), leaderEpoch, r.startOffset(), r.batches()));
                });
    }

    @Override
    public CompletableFuture<Void> write(Key key, ShareState state) {
        return call("write", key, c -> c.write(key, state),
                client -> reply(ShareStateCalls.write(client, key, state)));
    }

    @Override
    public CompletableFuture<Optional<Summary>> readSummary(Key key) {
        return call("read the summary of", key, c -> c.readSummary(key, -1).thenApply(a -> a.ok()
                ? new ShareStateAnswer<>(a.error(), a.message(), a.value().flatMap(s -> asSummary(s.stateEpoch(),
                        s.leaderEpoch(), s.startOffset(), s.deliveryCompleteCount()))) : a), client -> {
                            ShareStateCalls.SummaryReply r = ShareStateCalls.summary(client, key, -1);
                            return new ShareStateAnswer<>(r.error(), r.message(), asSummary(r.stateEpoch(),
                                    r.leaderEpoch(), r.startOffset(), r.deliveryCompleteCount()));
                        });
    }

    @Override
    public CompletableFuture<Void> delete(Key key) {
        return call("delete", key, c -> c.delete(key), client -> reply(ShareStateCalls.delete(client, key)));
    }

    private static ShareStateAnswer<Void> reply(ShareStateCalls.Reply reply) {
        return new ShareStateAnswer<>(reply.error(), reply.message(), null);
    }

    static Optional<ShareState> asRead(int stateEpoch, int leaderEpoch, long startOffset, List<StateBatch> batches) {
        if (stateEpoch == 0 && startOffset == -1 && batches.isEmpty()) {
            return Optional.empty();
        }
        long complete = 0;
        for (StateBatch b : batches) {
            if ((b.deliveryState() == ACKNOWLEDGED || b.deliveryState() == ARCHIVED) && b.lastOffset() >= startOffset) {
                complete += b.lastOffset() - Math.max(b.firstOffset(), startOffset) + 1;
            }
        }
        return Optional.of(new ShareState(stateEpoch, leaderEpoch, startOffset,
                (int) Math.min(Integer.MAX_VALUE, complete), batches));
    }

    static Optional<Summary> asSummary(int stateEpoch, int leaderEpoch, long startOffset, int deliveryCompleteCount) {
        if (stateEpoch == 0 && startOffset == -1) {
            return Optional.empty();
        }
        return Optional.of(new Summary(stateEpoch, leaderEpoch, startOffset, deliveryCompleteCount));
    }

    // ---------------------------------------------------------------- routing and retries

    private <T> CompletableFuture<T> call(String operation, Key key,
            Function<ShareCoordinator, CompletableFuture<ShareStateAnswer<T>>> here,
            InterBrokerChannels.Call<ShareStateAnswer<T>> there) {
        String invalid = ShareCoordinator.invalid(key);
        if (invalid != null) {
            return CompletableFuture.failedFuture(new ShareStateException(Errors.INVALID_REQUEST, invalid));
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        attempt(new Attempt<>(operation, key, here, there, result, clock.millis() + timeout.toMillis()), 0);
        return result;
    }

    private record Attempt<T>(String operation, Key key,
            Function<ShareCoordinator, CompletableFuture<ShareStateAnswer<T>>> here,
            InterBrokerChannels.Call<ShareStateAnswer<T>> there, CompletableFuture<T> result, long deadline) {
    }

    private <T> void attempt(Attempt<T> a, int retries) {
        CompletableFuture<ShareStateAnswer<T>> answer;
        try {
            answer = send(a);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        answer.whenComplete((reply, failure) -> {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause != null && !(cause instanceof IOException)) {
                log.warn("Cannot {} the share state of {}", a.operation(), a.key(), cause);
                a.result().completeExceptionally(new ShareStateException(Errors.UNKNOWN_SERVER_ERROR,
                        "cannot " + a.operation() + " the share state of " + a.key() + ": " + cause));
                return;
            }
            Errors error = cause != null ? Errors.NETWORK_EXCEPTION : reply.error();
            String message = cause != null ? cause.getMessage() : reply.message();
            if (error == Errors.NONE) {
                a.result().complete(reply.value());
                return;
            }
            Duration wait = backoff(retries);
            if (retriable(error) && clock.millis() + wait.toMillis() < a.deadline()) {
                try {
                    scheduler.schedule("share-state-retry", () -> attempt(a, retries + 1), wait);
                    return;
                } catch (RuntimeException stopped) {
                    // The broker is stopping: the call fails as the last attempt did.
                    message = "not retried, the broker is stopping (" + message + ")";
                }
            }
            Errors last = error == Errors.NETWORK_EXCEPTION ? Errors.COORDINATOR_NOT_AVAILABLE : error;
            a.result().completeExceptionally(new ShareStateException(last, "cannot " + a.operation()
                    + " the share state of " + a.key() + ": " + error + (message == null ? "" : " (" + message + ")")
                    + (retriable(error) ? " after " + (retries + 1) + " attempts" : "")));
        });
    }

    /** One try: to the coordinator here, or over the wire to the broker that leads the key's partition. */
    private <T> CompletableFuture<ShareStateAnswer<T>> send(Attempt<T> a) {
        CoordinatorTopics.Lookup lookup = topic.get();
        if (lookup.topic() == null) {
            return CompletableFuture.completedFuture(ShareStateAnswer.of(Errors.COORDINATOR_NOT_AVAILABLE,
                    lookup.unavailable()));
        }
        int partition = coordinator.partitionFor(a.key());
        int leader = lookup.topic().partitions().stream().filter(p -> p.partition() == partition).findFirst()
                .map(PartitionInfo::state).map(s -> s.leader()).orElse(-1);
        if (leader == brokerId) {
            return a.here().apply(coordinator);
        }
        if (leader < 0 || !metadata.snapshot().brokers().containsKey(leader)) {
            return CompletableFuture.completedFuture(ShareStateAnswer.of(Errors.COORDINATOR_NOT_AVAILABLE,
                    lookup.topic().name() + "-" + partition + " has no live leader"));
        }
        return channels.call(leader, a.there());
    }

    private Duration backoff(int retries) {
        long millis = backoff.toMillis() << Math.min(retries, 20);
        return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }

    private static boolean retriable(Errors error) {
        return error == Errors.NOT_COORDINATOR || error == Errors.COORDINATOR_NOT_AVAILABLE
                || error == Errors.COORDINATOR_LOAD_IN_PROGRESS || error == Errors.NETWORK_EXCEPTION
                || error == Errors.REQUEST_TIMED_OUT;
    }
}
