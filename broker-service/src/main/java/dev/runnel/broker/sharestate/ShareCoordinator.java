package dev.runnel.broker.sharestate;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.IntSupplier;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.sharestate.ShareStatePersister.Key;
import dev.runnel.broker.sharestate.ShareStatePersister.ShareState;
import dev.runnel.broker.sharestate.ShareStatePersister.Summary;
import dev.runnel.common.concurrent.SerialQueue;

/**
 * The share coordinator (Kafka's {@code ShareCoordinatorService}): serves the share partitions
 * whose {@code __share_group_state} partition this broker leads. Becoming its leader at leader
 * epoch {@code e} loads the partition by replaying its records (COORDINATOR_LOAD_IN_PROGRESS until
 * then); losing it drops the partition (NOT_COORDINATOR). Each operation decides on its key's
 * state ({@link ShareStateShard}), appends what it decided through the {@link ShareStateLog} at
 * epoch {@code e}, and only once the ISR has the records replays them and answers.
 *
 * <p>Thread-safe: the partition table is concurrent; each partition's shard is touched only on its
 * {@link SerialQueue}, and the operations of one key run one at a time (each decides on what the
 * previous one's records left), so two writes in flight can never both decide on the same state.
 */
public final class ShareCoordinator {

    private static final Logger log = LoggerFactory.getLogger(ShareCoordinator.class);

    /** Whether a share partition's topic partition exists now (else UNKNOWN_TOPIC_OR_PARTITION). */
    @FunctionalInterface
    public interface Partitions {
        boolean exists(Uuid topicId, int partition);
    }

    private enum Status { LOADING, ACTIVE }

    /** One partition of {@code __share_group_state} led here since one election. */
    private static final class Hosted {
        final int partition;
        final int epoch;
        final SerialQueue queue;
        final ShareStateShard shard;
        /** Keys with an operation running; the operations waiting behind it. Touched on the queue only. */
        final Map<Key, ArrayDeque<Runnable>> busy = new HashMap<>();
        volatile Status status = Status.LOADING;

        Hosted(int partition, int epoch, SerialQueue queue, ShareStateShard shard) {
            this.partition = partition;
            this.epoch = epoch;
            this.queue = queue;
            this.shard = shard;
        }
    }

    /** Thrown from inside a read to stop loading a partition that is no longer ours. */
    private static final class LoadAbandoned extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LoadAbandoned() {
            super(null, null, false, false);
        }
    }

    private final ShareStateLog stateLog;
    private final Clock clock;
    private final Executor executor;
    private final Executor loader;
    private final IntSupplier partitionCount;
    private final Partitions topicPartitions;
    private final Map<Integer, Hosted> partitions = new ConcurrentHashMap<>();

    /**
     * @param executor        runs the partitions' queues
     * @param loader          reads partitions being loaded (blocks on the disk)
     * @param partitionCount  the partitions of {@code __share_group_state} as the cluster has them
     *                        once it exists (every broker must map a key to the same partition)
     * @param topicPartitions whether a share partition's topic partition exists (else UNKNOWN_TOPIC_OR_PARTITION)
     */
    public ShareCoordinator(ShareStateLog stateLog, Clock clock, Executor executor, Executor loader,
            IntSupplier partitionCount, Partitions topicPartitions) {
        this.stateLog = stateLog;
        this.clock = clock;
        this.executor = executor;
        this.loader = loader;
        this.partitionCount = partitionCount;
        this.topicPartitions = topicPartitions;
    }

    /** Kafka's coordinator key of a share partition: {@code groupId:topicId:partition}. */
    public static String coordinatorKey(Key key) {
        return key.groupId() + ":" + key.topicId() + ":" + key.partition();
    }

    /**
     * The share partition a FindCoordinator key names ({@code groupId:topicId:partition}, the topic
     * id in Kafka's base64 form), or empty if it names none.
     */
    public static Optional<Key> parseCoordinatorKey(String coordinatorKey) {
        if (coordinatorKey == null) {
            return Optional.empty();
        }
        int last = coordinatorKey.lastIndexOf(':');
        int middle = last <= 0 ? -1 : coordinatorKey.lastIndexOf(':', last - 1);
        if (middle <= 0) {
            return Optional.empty();
        }
        try {
            Key key = new Key(coordinatorKey.substring(0, middle),
                    Uuid.fromString(coordinatorKey.substring(middle + 1, last)),
                    Integer.parseInt(coordinatorKey.substring(last + 1)));
            return ShareStateShard.invalid(key) == null ? Optional.of(key) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Why {@code key} names no share partition (INVALID_REQUEST), or null if it names one. */
    public static String invalid(Key key) {
        return ShareStateShard.invalid(key);
    }

    /** The {@code __share_group_state} partition of {@code key}: Kafka's rule, so Kafka's tools agree. */
    public int partitionFor(Key key) {
        int hash = coordinatorKey(key).hashCode();
        return (hash == Integer.MIN_VALUE ? 0 : Math.abs(hash)) % Math.max(1, partitionCount.getAsInt());
    }

    /** Whether partition {@code partition} of {@code __share_group_state} is loaded and served here. */
    public boolean isActive(int partition) {
        Hosted hosted = partitions.get(partition);
        return hosted != null && hosted.status == Status.ACTIVE;
    }

    // ---------------------------------------------------------------- the APIs

    public CompletableFuture<ShareStateAnswer<Void>> initialize(Key key, int stateEpoch, long startOffset) {
        return run(key, shard -> shard.initialize(key, stateEpoch, startOffset, clock.millis()));
    }

    public CompletableFuture<ShareStateAnswer<Optional<ShareState>>> read(Key key, int leaderEpoch) {
        return run(key, shard -> shard.read(key, leaderEpoch, clock.millis()));
    }

    public CompletableFuture<ShareStateAnswer<Void>> write(Key key, ShareState state) {
        return run(key, shard -> shard.write(key, state, clock.millis()));
    }

    public CompletableFuture<ShareStateAnswer<Optional<Summary>>> readSummary(Key key, int leaderEpoch) {
        return run(key, shard -> shard.summary(key, leaderEpoch));
    }

    public CompletableFuture<ShareStateAnswer<Void>> delete(Key key) {
        return run(key, shard -> shard.delete(key));
    }

    /** Runs {@code operation} on {@code key}'s partition once the key's earlier operations are done. */
    private <T> CompletableFuture<ShareStateAnswer<T>> run(Key key,
            Function<ShareStateShard, ShareStateDecision<T>> operation) {
        String invalid = ShareStateShard.invalid(key);
        if (invalid != null) {
            return CompletableFuture.completedFuture(ShareStateAnswer.of(Errors.INVALID_REQUEST, invalid));
        }
        int partition = partitionFor(key);
        Hosted hosted = partitions.get(partition);
        if (hosted == null) {
            return CompletableFuture.completedFuture(ShareStateAnswer.of(Errors.NOT_COORDINATOR,
                    "this broker does not lead __share_group_state-" + partition));
        }
        CompletableFuture<ShareStateAnswer<T>> answer = new CompletableFuture<>();
        hosted.queue.execute(() -> {
            if (hosted.status == Status.LOADING && partitions.get(partition) == hosted) {
                answer.complete(ShareStateAnswer.of(Errors.COORDINATOR_LOAD_IN_PROGRESS,
                        "__share_group_state-" + partition + " is loading"));
                return;
            }
            ArrayDeque<Runnable> waiting = hosted.busy.get(key);
            Runnable task = () -> decideAndWrite(hosted, key, operation, answer);
            if (waiting != null) {
                waiting.add(task);
            } else {
                hosted.busy.put(key, new ArrayDeque<>());
                task.run();
            }
        });
        return answer;
    }

    /** On the queue: decides, writes what was decided, replays it, answers, then runs the key's next operation. */
    private <T> void decideAndWrite(Hosted hosted, Key key, Function<ShareStateShard, ShareStateDecision<T>> operation,
            CompletableFuture<ShareStateAnswer<T>> answer) {
        if (!isCurrent(hosted)) {
            finish(hosted, key, answer, ShareStateAnswer.of(Errors.NOT_COORDINATOR,
                    "no longer the coordinator of __share_group_state-" + hosted.partition));
            return;
        }
        ShareStateDecision<T> decision;
        try {
            decision = operation.apply(hosted.shard);
        } catch (RuntimeException e) {
            log.warn("A share state operation on {} failed", key, e);
            finish(hosted, key, answer, ShareStateAnswer.of(Errors.UNKNOWN_SERVER_ERROR, e.toString()));
            return;
        }
        if (decision.records().isEmpty()) {
            finish(hosted, key, answer, decision.toAnswer());
            return;
        }
        List<ShareStateLog.Entry> entries = new ArrayList<>();
        for (ShareStateRecord r : decision.records()) {
            entries.add(new ShareStateLog.Entry(ShareStateRecordCodec.key(r.key()),
                    ShareStateRecordCodec.value(r.snapshot())));
        }
        CompletableFuture<Void> appended;
        try {
            appended = stateLog.append(hosted.partition, hosted.epoch, entries);
        } catch (RuntimeException e) {
            appended = CompletableFuture.failedFuture(e);
        }
        appended.whenCompleteAsync((v, failure) -> {
            if (failure != null) {
                Errors error = appendError(errorOf(failure));
                finish(hosted, key, answer, ShareStateAnswer.of(error, "the write to __share_group_state-"
                        + hosted.partition + " failed: " + rootCause(failure).getMessage()));
            } else if (!isCurrent(hosted)) {
                finish(hosted, key, answer, ShareStateAnswer.of(Errors.NOT_COORDINATOR,
                        "no longer the coordinator of __share_group_state-" + hosted.partition));
            } else {
                decision.records().forEach(hosted.shard::replay);
                finish(hosted, key, answer, decision.toAnswer());
            }
        }, hosted.queue);
    }

    private static <T> void finish(Hosted hosted, Key key, CompletableFuture<ShareStateAnswer<T>> answer,
            ShareStateAnswer<T> outcome) {
        answer.complete(outcome);
        ArrayDeque<Runnable> waiting = hosted.busy.get(key);
        Runnable next = waiting == null ? null : waiting.poll();
        if (next == null) {
            hosted.busy.remove(key);
        } else {
            hosted.queue.execute(next);
        }
    }

    private boolean isCurrent(Hosted hosted) {
        return partitions.get(hosted.partition) == hosted && hosted.status == Status.ACTIVE;
    }

    // ---------------------------------------------------------------- election, resignation, load

    /**
     * This broker now leads {@code partition} at leader epoch {@code epoch}: load it. An election at
     * an epoch not above the one hosted is a repeat and changes nothing.
     */
    public void onElection(int partition, int epoch) {
        Hosted hosted = new Hosted(partition, epoch, new SerialQueue(executor, "__share_group_state-" + partition),
                new ShareStateShard(topicPartitions));
        Hosted current = partitions.compute(partition,
                (p, existing) -> existing != null && existing.epoch >= epoch ? existing : hosted);
        if (current != hosted) {
            return;
        }
        log.debug("Loading __share_group_state-{} at epoch {}", partition, epoch);
        loader.execute(() -> load(hosted));
    }

    /** This broker no longer leads {@code partition}: drop it (if loaded at {@code epoch} or before; any if negative). */
    public void onResignation(int partition, int epoch) {
        Hosted hosted = partitions.get(partition);
        if (hosted == null || (epoch >= 0 && hosted.epoch > epoch) || !partitions.remove(partition, hosted)) {
            return;
        }
        log.info("No longer the share coordinator of __share_group_state-{} (epoch {})", partition, hosted.epoch);
    }

    private void load(Hosted hosted) {
        long started = clock.millis();
        List<ShareStateRecord> records = new ArrayList<>();
        int[] skipped = {0};
        try {
            stateLog.read(hosted.partition, (key, value) -> {
                if (partitions.get(hosted.partition) != hosted) {
                    throw new LoadAbandoned();
                }
                try {
                    records.add(ShareStateRecordCodec.decode(ByteBuffer.wrap(key),
                            value == null ? null : ByteBuffer.wrap(value)));
                } catch (IllegalArgumentException e) {
                    skipped[0]++;
                }
            });
        } catch (LoadAbandoned e) {
            log.info("Dropping the load of __share_group_state-{}: leadership moved while loading", hosted.partition);
            return;
        } catch (RuntimeException e) {
            log.warn("Cannot load __share_group_state-{}: {}", hosted.partition, e.getMessage());
            partitions.remove(hosted.partition, hosted);
            return;
        }
        hosted.queue.execute(() -> {
            if (partitions.get(hosted.partition) != hosted) {
                return;
            }
            records.forEach(hosted.shard::replay);
            hosted.status = Status.ACTIVE;
            log.info("Loaded {} share partitions' states of __share_group_state-{} at epoch {} in {} ms{}",
                    hosted.shard.states().size(), hosted.partition, hosted.epoch, clock.millis() - started,
                    skipped[0] == 0 ? "" : "; skipped " + skipped[0] + " unreadable records");
        });
    }

    /** The states loaded in {@code partition} now (tests). */
    Map<Key, ShareSnapshot> states(int partition) {
        Hosted hosted = partitions.get(partition);
        return hosted == null ? Map.of() : hosted.shard.states();
    }

    private static Errors errorOf(Throwable failure) {
        Throwable cause = rootCause(failure);
        if (cause instanceof ShareStateLog.ShareStateLogException e) {
            return e.error();
        }
        log.warn("Writing to __share_group_state failed", cause);
        return Errors.UNKNOWN_SERVER_ERROR;
    }

    private static Throwable rootCause(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** A produce error as the share state APIs answer it (Kafka's coordinator runtime mapping). */
    static Errors appendError(Errors error) {
        return switch (error) {
            case NONE -> Errors.NONE;
            case UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT ->
                    Errors.COORDINATOR_NOT_AVAILABLE;
            case NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR, FENCED_LEADER_EPOCH, NOT_COORDINATOR -> Errors.NOT_COORDINATOR;
            case COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS -> error;
            default -> Errors.UNKNOWN_SERVER_ERROR;
        };
    }
}
