package dev.runnel.broker.transaction;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.concurrent.SerialQueue;

/**
 * Which {@code __transaction_state} partitions this broker coordinates, the transactional ids of
 * each, and their writes (Kafka's {@code TransactionStateManager} without the timers, which are
 * {@link TransactionExpiry}).
 *
 * <p>A transactional id belongs to partition {@code abs(id.hashCode()) % partitions}, and to
 * whichever broker leads it. When this broker becomes its leader at leader epoch {@code e}, the
 * partition is loading (COORDINATOR_LOAD_IN_PROGRESS) until its records are read, then active with
 * <i>coordinator epoch</i> {@code e}; when it stops leading, its ids are dropped (NOT_COORDINATOR).
 * Each load makes a new {@link Hosted}, so a write or marker completion that comes back for an
 * older one is recognised by identity and applies nothing.
 *
 * <p>Thread-safe: the partition table is concurrent; each partition's ids are touched only on its
 * {@link SerialQueue} (the id map is concurrent only so that a request thread may look up an id
 * as a hint, see {@code TransactionCoordinator.initProducerId}).
 */
public final class TransactionStateManager {

    private static final Logger log = LoggerFactory.getLogger(TransactionStateManager.class);

    enum Status { LOADING, ACTIVE }

    /** One partition of {@code __transaction_state} led here since one election. */
    static final class Hosted {
        final int partition;
        final int coordinatorEpoch;
        final SerialQueue queue;
        final Map<String, TransactionMetadata> ids = new ConcurrentHashMap<>();
        volatile Status status = Status.LOADING;

        Hosted(int partition, int coordinatorEpoch, SerialQueue queue) {
            this.partition = partition;
            this.coordinatorEpoch = coordinatorEpoch;
            this.queue = queue;
        }
    }

    /** Thrown from inside a read to stop loading a partition that is no longer ours. */
    private static final class LoadAbandoned extends RuntimeException {
        LoadAbandoned() {
            super(null, null, false, false);
        }
    }

    private final TransactionLog transactionLog;
    private final Clock clock;
    private final Executor executor;
    private final Executor loader;
    private final IntSupplier partitionCount;
    private final Map<Integer, Hosted> partitions = new ConcurrentHashMap<>();
    private volatile Consumer<Hosted> onLoaded = h -> { };

    /**
     * @param executor       runs the partitions' queues
     * @param loader         reads partitions being loaded (may block on the disk)
     * @param partitionCount the partitions of {@code __transaction_state} as the cluster has them once
     *                       it exists (every broker must map an id to the same partition)
     */
    public TransactionStateManager(TransactionLog transactionLog, Clock clock, Executor executor, Executor loader,
            IntSupplier partitionCount) {
        this.transactionLog = transactionLog;
        this.clock = clock;
        this.executor = executor;
        this.loader = loader;
        this.partitionCount = partitionCount;
    }

    /** Called on the partition's queue once it is loaded and active, before anything else runs there. */
    void onLoaded(Consumer<Hosted> listener) {
        this.onLoaded = listener;
    }

    /** The {@code __transaction_state} partition of {@code transactionalId}: Kafka's rule, so Kafka's tools agree. */
    public int partitionFor(String transactionalId) {
        int hash = transactionalId.hashCode();
        int count = Math.max(1, partitionCount.getAsInt());
        return (hash == Integer.MIN_VALUE ? 0 : Math.abs(hash)) % count;
    }

    /** NONE if this broker serves {@code transactionalId} now, else NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. */
    Errors coordinatorError(String transactionalId) {
        Hosted hosted = partitions.get(partitionFor(transactionalId));
        if (hosted == null) {
            return Errors.NOT_COORDINATOR;
        }
        return hosted.status == Status.LOADING ? Errors.COORDINATOR_LOAD_IN_PROGRESS : Errors.NONE;
    }

    Hosted hostedFor(String transactionalId) {
        return partitions.get(partitionFor(transactionalId));
    }

    /** Whether {@code hosted} is still this broker's current, loaded tenure of its partition. */
    boolean isCurrent(Hosted hosted) {
        return partitions.get(hosted.partition) == hosted && hosted.status == Status.ACTIVE;
    }

    /** The partitions hosted here now, loading or active. */
    Collection<Hosted> hosted() {
        return List.copyOf(partitions.values());
    }

    /** Whether partition {@code partition} of {@code __transaction_state} is loaded and served here. */
    public boolean isActive(int partition) {
        Hosted hosted = partitions.get(partition);
        return hosted != null && hosted.status == Status.ACTIVE;
    }

    /** Whether any partition is still loading (ListTransactions answers COORDINATOR_LOAD_IN_PROGRESS). */
    boolean anyLoading() {
        return partitions.values().stream().anyMatch(h -> h.status == Status.LOADING);
    }

    // ---------------------------------------------------------------- load and unload

    /**
     * This broker now leads {@code partition} at leader epoch {@code coordinatorEpoch}: load its ids.
     * An election at an epoch not above the one hosted is a repeat and changes nothing.
     *
     * @param beforeReading run once the partition is loading, before its records are read
     * @return whether a load started
     */
    boolean load(int partition, int coordinatorEpoch, Runnable beforeReading) {
        Hosted hosted = new Hosted(partition, coordinatorEpoch,
                new SerialQueue(executor, "__transaction_state-" + partition));
        Hosted previous = partitions.compute(partition,
                (p, current) -> current != null && current.coordinatorEpoch >= coordinatorEpoch ? current : hosted);
        if (previous != hosted) {
            return false;
        }
        log.debug("Loading the transactional ids of __transaction_state-{} at epoch {}", partition, coordinatorEpoch);
        beforeReading.run();
        loader.execute(() -> read(hosted));
        return true;
    }

    /**
     * This broker no longer leads {@code partition}: drop its ids, if they were loaded at
     * {@code coordinatorEpoch} or earlier (any epoch if negative).
     *
     * @return whether they were dropped
     */
    boolean unload(int partition, int coordinatorEpoch) {
        Hosted hosted = partitions.get(partition);
        if (hosted == null || (coordinatorEpoch >= 0 && hosted.coordinatorEpoch > coordinatorEpoch)
                || !partitions.remove(partition, hosted)) {
            return false;
        }
        log.info("No longer the transaction coordinator of __transaction_state-{} (epoch {}): dropped {} ids",
                partition, hosted.coordinatorEpoch, hosted.ids.size());
        return true;
    }

    private void read(Hosted hosted) {
        long started = clock.millis();
        Map<String, TransactionTransition> loaded = new LinkedHashMap<>();
        int[] skipped = {0};
        try {
            transactionLog.read(hosted.partition, (key, value) -> {
                if (partitions.get(hosted.partition) != hosted) {
                    throw new LoadAbandoned();
                }
                TransactionLogCodec.Decoded record;
                try {
                    record = TransactionLogCodec.decode(ByteBuffer.wrap(key), value == null ? null : ByteBuffer.wrap(value));
                } catch (IllegalArgumentException | NullPointerException e) {
                    skipped[0]++;
                    return;
                }
                if (record.value() == null) {
                    loaded.remove(record.transactionalId());
                } else {
                    loaded.put(record.transactionalId(), record.value());
                }
            });
        } catch (LoadAbandoned e) {
            log.info("Dropping the load of __transaction_state-{}: leadership moved while loading", hosted.partition);
            return;
        } catch (RuntimeException e) {
            log.warn("Cannot load __transaction_state-{}: {}", hosted.partition, e.getMessage());
            partitions.remove(hosted.partition, hosted);
            return;
        }
        hosted.queue.execute(() -> {
            if (partitions.get(hosted.partition) != hosted) {
                return;
            }
            loaded.forEach((id, t) -> hosted.ids.put(id, TransactionMetadata.loaded(id, t)));
            hosted.status = Status.ACTIVE;
            log.info("Loaded {} transactional ids of __transaction_state-{} at epoch {} in {} ms{}", loaded.size(),
                    hosted.partition, hosted.coordinatorEpoch, clock.millis() - started,
                    skipped[0] == 0 ? "" : "; skipped " + skipped[0] + " unreadable records");
            onLoaded.accept(hosted);
        });
    }

    // ---------------------------------------------------------------- writes

    /**
     * Appends to {@code hosted}'s partition as its coordinator. Call on its queue; completes on its
     * queue with NONE once the ISR has the records and {@code hosted} is still current, NOT_COORDINATOR
     * if it no longer is (before or after the write), or the write's error as the transaction APIs
     * answer it. Applies nothing: the caller completes or aborts its transitions.
     */
    CompletableFuture<Errors> append(Hosted hosted, List<TransactionLog.Entry> entries) {
        if (!isCurrent(hosted)) {
            return CompletableFuture.completedFuture(Errors.NOT_COORDINATOR);
        }
        CompletableFuture<Void> appended;
        try {
            appended = transactionLog.append(hosted.partition, hosted.coordinatorEpoch, entries);
        } catch (RuntimeException e) {
            appended = CompletableFuture.failedFuture(e);
        }
        return appended.handleAsync((v, failure) -> {
            if (failure != null) {
                return coordinatorError(errorOf(failure));
            }
            return isCurrent(hosted) ? Errors.NONE : Errors.NOT_COORDINATOR;
        }, hosted.queue);
    }

    private static Errors errorOf(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof TransactionLog.TransactionLogException e) {
            return e.error();
        }
        log.warn("Writing to __transaction_state failed", cause);
        return Errors.UNKNOWN_SERVER_ERROR;
    }

    /** A produce error as the transaction APIs answer it (Kafka's mapping in {@code appendTransactionToLog}). */
    static Errors coordinatorError(Errors appendError) {
        return switch (appendError) {
            case NONE -> Errors.NONE;
            case UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT ->
                    Errors.COORDINATOR_NOT_AVAILABLE;
            case NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR, FENCED_LEADER_EPOCH, NOT_COORDINATOR -> Errors.NOT_COORDINATOR;
            case COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS -> appendError;
            default -> Errors.UNKNOWN_SERVER_ERROR;
        };
    }
}
