package dev.runnel.broker.transaction;

import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.transaction.TransactionStateManager.Hosted;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * The transaction coordinator's API: InitProducerId with a transactional id, AddPartitionsToTxn
 * (and its KIP-890 verify-only form), AddOffsetsToTxn, EndTxn, DescribeTransactions,
 * ListTransactions, and the leadership changes of {@code __transaction_state} partitions.
 *
 * <p>Each operation checks that this broker coordinates the id (NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS), then runs on the queue of the id's partition and answers with a
 * Kafka error. Errors are the newest versions' ones: a handler for an old request version
 * translates them (PRODUCER_FENCED is INVALID_PRODUCER_EPOCH for InitProducerId below v4 and for
 * AddPartitionsToTxn, AddOffsetsToTxn and EndTxn below v2). Only transaction.version 1 is served.
 */
public final class TransactionCoordinator {

    private static final Logger log = LoggerFactory.getLogger(TransactionCoordinator.class);

    /** InitProducerId's answer; -1/-1 with an error. */
    public record InitProducerIdResult(long producerId, short producerEpoch, Errors error) {

        static InitProducerIdResult error(Errors error) {
            return new InitProducerIdResult(TransactionMetadata.NO_PRODUCER_ID, TransactionMetadata.NO_PRODUCER_EPOCH, error);
        }
    }

    /**
     * A verify-only AddPartitionsToTxn's answer (KIP-890 part 1): an error for the whole transaction,
     * or NONE and which of the asked partitions the open transaction lacks.
     */
    public record Verification(Errors error, Set<TopicPartition> partitions, Set<TopicPartition> notInTransaction) {

        public Verification {
            partitions = Set.copyOf(partitions);
            notInTransaction = Set.copyOf(notInTransaction);
        }

        /**
         * The error of each partition, a partition outside the transaction getting
         * {@code notInTransactionError}: TRANSACTION_ABORTABLE for Produce v11+ and TxnOffsetCommit v4+,
         * INVALID_TXN_STATE for older versions.
         */
        public Map<TopicPartition, Errors> partitionErrors(Errors notInTransactionError) {
            return partitions.stream().collect(Collectors.toMap(tp -> tp, tp -> error != Errors.NONE ? error
                    : notInTransaction.contains(tp) ? notInTransactionError : Errors.NONE));
        }
    }

    /** One id as DescribeTransactions reports it; only the id and error are meaningful with an error. */
    public record TransactionDescription(String transactionalId, Errors error, String state, int timeoutMs,
            long startTimeMs, long producerId, short producerEpoch, Set<TopicPartition> partitions) {

        static TransactionDescription error(String transactionalId, Errors error) {
            return new TransactionDescription(transactionalId, error, "", 0, -1, -1, (short) -1, Set.of());
        }
    }

    /** One id as ListTransactions reports it. */
    public record TransactionListing(String transactionalId, long producerId, String state) {
    }

    /** ListTransactions' answer: the state filters no state has that name, and the matching ids. */
    public record ListTransactionsResult(Errors error, List<String> unknownStateFilters,
            List<TransactionListing> transactions) {
    }

    private final TransactionStateManager manager;
    private final TransactionMarkerSender markerSender;
    private final Clock clock;
    private final Scheduler scheduler;
    private final TransactionSettings settings;
    private final LongSupplier producerIds;
    private final Function<String, TopicPartition> offsetsPartitionOf;
    private final EndTransactions ends;
    private final TransactionExpiry expiry;
    private final TransactionAdmin admin;
    private volatile boolean active;
    private List<Scheduler.ScheduledTask> timers = List.of();

    /**
     * @param producerIds        a new producer id each call (may block while a block of ids is fetched;
     *                           it is called before an id's queue is entered whenever it can be)
     * @param offsetsPartitionOf the {@code __consumer_offsets} partition of a group id (AddOffsetsToTxn)
     */
    public TransactionCoordinator(TransactionStateManager manager, TransactionMarkerSender markerSender, Clock clock,
            Scheduler scheduler, TransactionSettings settings, LongSupplier producerIds,
            Function<String, TopicPartition> offsetsPartitionOf) {
        this.manager = manager;
        this.markerSender = markerSender;
        this.clock = clock;
        this.scheduler = scheduler;
        this.settings = settings;
        this.producerIds = producerIds;
        this.offsetsPartitionOf = offsetsPartitionOf;
        this.ends = new EndTransactions(manager, markerSender, clock, scheduler, settings.completionRetryBackoff());
        this.expiry = new TransactionExpiry(manager, ends, clock, settings.transactionalIdExpiration());
        this.admin = new TransactionAdmin(this, manager, clock);
        manager.onLoaded(ends::completeLoaded);
    }

    public TransactionStateManager stateManager() {
        return manager;
    }

    /** Starts the timers (timed-out transactions, expired ids); Describe/List answer from now on. */
    public synchronized void startup() {
        if (active) {
            return;
        }
        timers = List.of(
                scheduler.schedulePeriodically("transaction-abort", expiry::abortTimedOutTransactions,
                        settings.abortTimedOutTransactionsInterval(), settings.abortTimedOutTransactionsInterval()),
                scheduler.schedulePeriodically("transactional-id-expiration", expiry::expireTransactionalIds,
                        settings.removeExpiredTransactionalIdsInterval(), settings.removeExpiredTransactionalIdsInterval()));
        active = true;
    }

    public synchronized void shutdown() {
        active = false;
        timers.forEach(Scheduler.ScheduledTask::cancel);
        timers = List.of();
    }

    /** This broker now leads {@code __transaction_state} partition {@code partition} at leader epoch {@code leaderEpoch}. */
    public void onElection(int partition, int leaderEpoch) {
        // The previous tenure's markers go before the load can queue new ones; the load sends them again.
        manager.load(partition, leaderEpoch, () -> markerSender.removeMarkers(partition));
    }

    /** This broker no longer leads {@code partition} (whatever epoch it had if {@code leaderEpoch} is negative). */
    public void onResignation(int partition, int leaderEpoch) {
        if (manager.unload(partition, leaderEpoch)) {
            markerSender.removeMarkers(partition);
        }
    }

    public int partitionFor(String transactionalId) {
        return manager.partitionFor(transactionalId);
    }

    // ---------------------------------------------------------------- InitProducerId

    /**
     * InitProducerId. {@code expectedProducerId}/{@code expectedEpoch} are the producer's current
     * ones when it recovers from an abortable error (KIP-360, v3+), else -1/-1. A null id is the
     * idempotent producer's: a fresh producer id at epoch 0.
     */
    public CompletableFuture<InitProducerIdResult> initProducerId(String transactionalId, int timeoutMs,
            long expectedProducerId, short expectedEpoch) {
        if (transactionalId == null) {
            try {
                return done(new InitProducerIdResult(producerIds.getAsLong(), (short) 0, Errors.NONE));
            } catch (RuntimeException e) {
                return done(InitProducerIdResult.error(producerIdUnavailable(e)));
            }
        }
        if (transactionalId.isEmpty() || (expectedProducerId == TransactionMetadata.NO_PRODUCER_ID)
                != (expectedEpoch == TransactionMetadata.NO_PRODUCER_EPOCH)) {
            return done(InitProducerIdResult.error(Errors.INVALID_REQUEST));
        }
        if (timeoutMs <= 0 || timeoutMs > settings.maxTimeoutMs()) {
            return done(InitProducerIdResult.error(Errors.INVALID_TRANSACTION_TIMEOUT));
        }
        Errors error = manager.coordinatorError(transactionalId);
        if (error != Errors.NONE) {
            return done(InitProducerIdResult.error(error));
        }
        // A new producer id may mean a call to the controller: take it here, not on the partition's queue.
        TransactionMetadata seen = manager.hostedFor(transactionalId).ids.get(transactionalId);
        long preallocated = -1;
        if (seen == null || (seen.isProducerEpochExhausted() && seen.state().isExpirationAllowed())) {
            try {
                preallocated = producerIds.getAsLong();
            } catch (RuntimeException e) {
                return done(InitProducerIdResult.error(producerIdUnavailable(e)));
            }
        }
        long newProducerId = preallocated;
        return onQueue(transactionalId, InitProducerIdResult::error, (hosted, respond) ->
                initProducerId(hosted, transactionalId, timeoutMs, expectedProducerId, expectedEpoch, newProducerId, respond));
    }

    private void initProducerId(Hosted hosted, String transactionalId, int timeoutMs, long expectedProducerId,
            short expectedEpoch, long preallocated, Consumer<InitProducerIdResult> respond) {
        TransactionMetadata m = hosted.ids.get(transactionalId);
        if (m == null) {
            m = TransactionMetadata.fresh(transactionalId, producerId(preallocated), timeoutMs, clock.millis());
            hosted.ids.put(transactionalId, m);
        }
        if (m.hasPendingTransition()) {
            respond.accept(InitProducerIdResult.error(Errors.CONCURRENT_TRANSACTIONS));
            return;
        }
        boolean expected = expectedProducerId != TransactionMetadata.NO_PRODUCER_ID;
        if (expected && !(m.producerEpoch() == TransactionMetadata.NO_PRODUCER_EPOCH || expectedProducerId == m.producerId()
                || (expectedProducerId == m.prevProducerId() && TransactionMetadata.isEpochExhausted(expectedEpoch)))) {
            respond.accept(InitProducerIdResult.error(Errors.PRODUCER_FENCED));
            return;
        }
        TransactionTransition t;
        switch (m.state()) {
            case PREPARE_COMMIT, PREPARE_ABORT -> {
                respond.accept(InitProducerIdResult.error(Errors.CONCURRENT_TRANSACTIONS));
                return;
            }
            case ONGOING -> {
                // Fence: the open transaction is aborted with epoch + 1, never handed out; the producer
                // retries on CONCURRENT_TRANSACTIONS until the abort is complete and gets a second bump.
                TransactionTransition fence = m.prepareFenceProducerEpoch();
                ends.endTransaction(hosted, transactionalId, fence.producerId(), fence.producerEpoch(),
                        TransactionResult.ABORT, false, error -> respond.accept(InitProducerIdResult.error(
                                error == Errors.NONE ? Errors.CONCURRENT_TRANSACTIONS : error)));
                return;
            }
            case EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT -> {
                if (m.isProducerEpochExhausted() && (!expected || expectedEpoch == m.producerEpoch())) {
                    t = m.prepareProducerIdRotation(producerId(preallocated), timeoutMs, clock.millis(), expected);
                } else {
                    t = m.prepareIncrementProducerEpoch(timeoutMs, expected ? expectedEpoch
                            : TransactionMetadata.NO_PRODUCER_EPOCH, clock.millis());
                }
            }
            default -> throw new IllegalStateException(transactionalId + " is in state " + m.state()
                    + ", which is never current");
        }
        TransactionTransition written = t;
        ends.write(hosted, m, t).thenAccept(error -> respond.accept(error == Errors.NONE
                ? new InitProducerIdResult(written.producerId(), written.producerEpoch(), Errors.NONE)
                : InitProducerIdResult.error(error)));
    }

    private long producerId(long preallocated) {
        return preallocated >= 0 ? preallocated : producerIds.getAsLong();
    }

    private static Errors producerIdUnavailable(RuntimeException e) {
        log.warn("No producer id available: {}", e.toString());
        return Errors.COORDINATOR_LOAD_IN_PROGRESS;
    }

    // ---------------------------------------------------------------- AddPartitionsToTxn, AddOffsetsToTxn, EndTxn

    /** AddPartitionsToTxn (v0-v3, or v4+ without VerifyOnly): one error, answered for every partition. */
    public CompletableFuture<Map<TopicPartition, Errors>> addPartitionsToTxn(String transactionalId, long producerId,
            short producerEpoch, Set<TopicPartition> partitions) {
        Set<TopicPartition> asked = Set.copyOf(partitions);
        return addPartitions(transactionalId, producerId, producerEpoch, asked).thenApply(error ->
                asked.stream().collect(Collectors.toMap(tp -> tp, tp -> error)));
    }

    /** AddOffsetsToTxn: AddPartitionsToTxn of the group's {@code __consumer_offsets} partition. */
    public CompletableFuture<Errors> addOffsetsToTxn(String transactionalId, long producerId, short producerEpoch,
            String groupId) {
        return addPartitions(transactionalId, producerId, producerEpoch, Set.of(offsetsPartitionOf.apply(groupId)));
    }

    private CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short producerEpoch,
            Set<TopicPartition> partitions) {
        if (transactionalId == null || transactionalId.isEmpty()) {
            return done(Errors.INVALID_REQUEST);
        }
        return onQueue(transactionalId, e -> e, (hosted, respond) -> {
            TransactionMetadata m = hosted.ids.get(transactionalId);
            Errors error = checkProducer(m, producerId, producerEpoch);
            if (error == Errors.NONE && (m.hasPendingTransition() || m.state().isPrepare())) {
                error = Errors.CONCURRENT_TRANSACTIONS;
            }
            if (error != Errors.NONE || (m.state() == TransactionState.ONGOING && m.partitions().containsAll(partitions))) {
                respond.accept(error);
                return;
            }
            ends.write(hosted, m, m.prepareAddPartitions(partitions, clock.millis())).thenAccept(respond);
        });
    }

    /**
     * AddPartitionsToTxn v4+ with VerifyOnly, from a partition leader (KIP-890 part 1): whether
     * each partition is in the open transaction of this producer id and epoch. Writes nothing, and
     * deliberately ignores a pending transition (the leader's verification guard covers that race).
     */
    public CompletableFuture<Verification> verifyPartitionsInTxn(String transactionalId, long producerId,
            short producerEpoch, Set<TopicPartition> partitions) {
        if (transactionalId == null || transactionalId.isEmpty()) {
            return done(new Verification(Errors.INVALID_REQUEST, partitions, Set.of()));
        }
        return onQueue(transactionalId, e -> new Verification(e, partitions, Set.of()), (hosted, respond) -> {
            TransactionMetadata m = hosted.ids.get(transactionalId);
            Errors error = checkProducer(m, producerId, producerEpoch);
            if (error == Errors.NONE && m.state().isPrepare()) {
                error = Errors.CONCURRENT_TRANSACTIONS;
            }
            Set<TopicPartition> missing = new HashSet<>();
            if (error == Errors.NONE) {
                partitions.stream().filter(tp -> !m.partitions().contains(tp)).forEach(missing::add);
            }
            respond.accept(new Verification(error, partitions, missing));
        });
    }

    /** EndTxn from a producer. */
    public CompletableFuture<Errors> endTxn(String transactionalId, long producerId, short producerEpoch,
            TransactionResult result) {
        if (transactionalId == null || transactionalId.isEmpty()) {
            return done(Errors.INVALID_REQUEST);
        }
        return onQueue(transactionalId, e -> e, (hosted, respond) ->
                ends.endTransaction(hosted, transactionalId, producerId, producerEpoch, result, true, respond));
    }

    /** INVALID_PRODUCER_ID_MAPPING for an unknown id or another producer id, PRODUCER_FENCED for another epoch. */
    private static Errors checkProducer(TransactionMetadata m, long producerId, short producerEpoch) {
        if (m == null || m.producerId() != producerId) {
            return Errors.INVALID_PRODUCER_ID_MAPPING;
        }
        return m.producerEpoch() != producerEpoch ? Errors.PRODUCER_FENCED : Errors.NONE;
    }

    // ---------------------------------------------------------------- DescribeTransactions, ListTransactions

    /** DescribeTransactions: one description per id, in request order. */
    public CompletableFuture<List<TransactionDescription>> describeTransactions(List<String> transactionalIds) {
        return admin.describe(transactionalIds);
    }

    /**
     * ListTransactions over the partitions this broker coordinates. Filters (each ignored when
     * empty, or -1 for the duration): state names as Kafka spells them, producer ids, and a minimum
     * age ({@code now - start > durationFilterMs}). Dead ids are never listed.
     */
    public CompletableFuture<ListTransactionsResult> listTransactions(Set<String> stateFilters, Set<Long> producerIdFilters,
            long durationFilterMs) {
        return admin.list(stateFilters, producerIdFilters, durationFilterMs);
    }

    /** Whether {@link #startup} ran and {@link #shutdown} did not. */
    boolean isActive() {
        return active;
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Runs {@code action} on the queue of {@code transactionalId}'s partition, once this broker
     * coordinates it and the loaded partition is still the one it looked up. A failure inside the
     * action answers UNKNOWN_SERVER_ERROR rather than never.
     */
    <T> CompletableFuture<T> onQueue(String transactionalId, Function<Errors, T> failed,
            BiConsumer<Hosted, Consumer<T>> action) {
        Errors error = manager.coordinatorError(transactionalId);
        Hosted hosted = manager.hostedFor(transactionalId);
        if (error != Errors.NONE || hosted == null) {
            return done(failed.apply(error == Errors.NONE ? Errors.NOT_COORDINATOR : error));
        }
        CompletableFuture<T> answer = new CompletableFuture<>();
        hosted.queue.execute(() -> {
            if (!manager.isCurrent(hosted)) {
                Errors now = manager.coordinatorError(transactionalId);
                answer.complete(failed.apply(now == Errors.NONE ? Errors.NOT_COORDINATOR : now));
                return;
            }
            try {
                action.accept(hosted, answer::complete);
            } catch (TransactionException e) {
                answer.complete(failed.apply(e.error()));
            } catch (RuntimeException e) {
                log.error("A transaction coordinator operation on {} failed", transactionalId, e);
                answer.complete(failed.apply(Errors.UNKNOWN_SERVER_ERROR));
            }
        });
        return answer;
    }

    static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
