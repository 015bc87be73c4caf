package dev.runnel.broker.transaction;

import static dev.runnel.broker.transaction.TransactionCoordinator.done;

import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.transaction.TransactionCoordinator.ListTransactionsResult;
import dev.runnel.broker.transaction.TransactionCoordinator.TransactionDescription;
import dev.runnel.broker.transaction.TransactionCoordinator.TransactionListing;

/**
 * DescribeTransactions and ListTransactions (what {@code kafka-transactions describe} and
 * {@code list} show): read-only, each id read on its partition's queue.
 */
final class TransactionAdmin {

    private final TransactionCoordinator coordinator;
    private final TransactionStateManager manager;
    private final Clock clock;

    TransactionAdmin(TransactionCoordinator coordinator, TransactionStateManager manager, Clock clock) {
        this.coordinator = coordinator;
        this.manager = manager;
        this.clock = clock;
    }

    CompletableFuture<List<TransactionDescription>> describe(List<String> transactionalIds) {
        List<CompletableFuture<TransactionDescription>> each = transactionalIds.stream().map(this::describe).toList();
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                .thenApply(v -> each.stream().map(CompletableFuture::join).toList());
    }

    private CompletableFuture<TransactionDescription> describe(String transactionalId) {
        if (!coordinator.isActive()) {
            return done(TransactionDescription.error(transactionalId, Errors.COORDINATOR_NOT_AVAILABLE));
        }
        if (transactionalId == null || transactionalId.isEmpty()) {
            return done(TransactionDescription.error(transactionalId, Errors.INVALID_REQUEST));
        }
        return coordinator.onQueue(transactionalId, e -> TransactionDescription.error(transactionalId, e), (hosted, respond) -> {
            TransactionMetadata m = hosted.ids.get(transactionalId);
            if (m == null || m.state() == TransactionState.DEAD) {
                respond.accept(TransactionDescription.error(transactionalId, Errors.TRANSACTIONAL_ID_NOT_FOUND));
                return;
            }
            respond.accept(new TransactionDescription(transactionalId, Errors.NONE, m.state().stateName(), m.timeoutMs(),
                    m.txnStartTimestamp(), m.producerId(), m.producerEpoch(), m.partitions()));
        });
    }

    CompletableFuture<ListTransactionsResult> list(Set<String> stateFilters, Set<Long> producerIdFilters,
            long durationFilterMs) {
        if (!coordinator.isActive()) {
            return done(new ListTransactionsResult(Errors.COORDINATOR_NOT_AVAILABLE, List.of(), List.of()));
        }
        if (manager.anyLoading()) {
            return done(new ListTransactionsResult(Errors.COORDINATOR_LOAD_IN_PROGRESS, List.of(), List.of()));
        }
        Set<TransactionState> states = new HashSet<>();
        List<String> unknown = stateFilters.stream().sorted().filter(name -> {
            TransactionState state = TransactionState.fromName(name);
            if (state != null) {
                states.add(state);
            }
            return state == null;
        }).toList();
        List<CompletableFuture<List<TransactionListing>>> perPartition = manager.hosted().stream().map(hosted -> {
            CompletableFuture<List<TransactionListing>> listed = new CompletableFuture<>();
            hosted.queue.execute(() -> {
                long now = clock.millis();
                // A state filter of unknown names only matches nothing, as in Kafka.
                listed.complete(!manager.isCurrent(hosted) ? List.of() : hosted.ids.values().stream()
                        .filter(m -> m.state() != TransactionState.DEAD)
                        .filter(m -> producerIdFilters.isEmpty() || producerIdFilters.contains(m.producerId()))
                        .filter(m -> stateFilters.isEmpty() || states.contains(m.state()))
                        .filter(m -> durationFilterMs < 0 || now - m.txnStartTimestamp() > durationFilterMs)
                        .map(m -> new TransactionListing(m.transactionalId(), m.producerId(), m.state().stateName()))
                        .toList());
            });
            return listed;
        }).toList();
        return CompletableFuture.allOf(perPartition.toArray(CompletableFuture[]::new)).thenApply(v ->
                new ListTransactionsResult(Errors.NONE, unknown, perPartition.stream()
                        .flatMap(f -> f.join().stream()).toList()));
    }
}
