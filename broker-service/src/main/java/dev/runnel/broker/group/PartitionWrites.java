package dev.runnel.broker.group;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writes to one {@code __consumer_offsets} partition this broker leads, handed back in log
 * order, and which of its groups hold offsets in which producer's open transaction.
 *
 * <p>Replaying must follow the log: a transaction's marker completes the offsets written before it,
 * and a tombstone deletes only what precedes it. acks=all completions need not arrive in that order
 * (each waits for the ISR on its own), so writes are appended one at a time, queued in the order
 * they went into the log, and their outcomes released from the head of the queue only: a write's
 * outcome waits for every earlier write's.
 *
 * <pre>
 *   append order:   W1 (txn offsets of P, group g)   W2 (offset commit, group h)   M (COMMIT marker of P)
 *   completions:    M, W2, W1          released:   W1 to g's queue, W2 to h's queue, M to g's queue
 * </pre>
 *
 * A group's write is released onto the group's queue, where its caller replays it; a marker is
 * applied on the queue of every group that holds offsets of its producer, after whatever the
 * earlier writes released there. Thread-safe: appends are serialised on this object, and append
 * outcomes are first taken to the {@code completions} executor, so a thread completing an append
 * (possibly holding the partition's own locks) never waits for this object's lock.
 */
final class PartitionWrites {

    private static final Logger log = LoggerFactory.getLogger(PartitionWrites.class);

    /** A write's outcome: NONE and the offset of its first record, or why it failed (offset -1). */
    record Written(Errors error, long baseOffset) {

        static Written failed(Errors error) {
            return new Written(error, -1);
        }
    }

    private static final class Write {
        final Consumer<Written> onRelease;
        Written outcome;

        Write(Consumer<Written> onRelease) {
            this.onRelease = onRelease;
        }
    }

    private final int partition;
    private final GroupLog groupLog;
    private final Executor completions;
    private final ArrayDeque<Write> inFlight = new ArrayDeque<>();
    /** Producer id to the groups its open transaction has written offsets of (may hold groups it no longer has). */
    private final Map<Long, Set<ClassicGroup>> openTransactions = new HashMap<>();
    private boolean releasing;

    PartitionWrites(int partition, GroupLog groupLog, Executor completions) {
        this.partition = partition;
        this.groupLog = groupLog;
        this.completions = completions;
    }

    /**
     * Appends {@code entries} for {@code group}, in a transactional batch if {@code producerId} is
     * not {@link GroupLog#NO_PRODUCER_ID}; completes on the group's queue once every earlier write
     * of the partition has.
     */
    CompletableFuture<Written> append(ClassicGroup group, List<GroupLog.Entry> entries, long producerId,
            short producerEpoch, Object verification) {
        CompletableFuture<Written> released = new CompletableFuture<>();
        submit(() -> producerId == GroupLog.NO_PRODUCER_ID ? groupLog.append(partition, entries)
                : groupLog.appendTransactional(partition, producerId, producerEpoch, entries, verification), written -> {
                    if (written.error() == Errors.NONE && producerId != GroupLog.NO_PRODUCER_ID) {
                        opened(producerId, group);
                    }
                    group.queue.execute(() -> released.complete(written));
                });
        return released;
    }

    /**
     * Appends the marker ending {@code producerId}'s transaction; once written, and every earlier
     * write released, runs {@code apply} on the queue of each group the transaction wrote offsets
     * of, and completes with NONE after the last, or with the write's error.
     */
    CompletableFuture<Errors> appendMarker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
            Consumer<ClassicGroup> apply) {
        CompletableFuture<Errors> applied = new CompletableFuture<>();
        submit(() -> groupLog.appendMarker(partition, producerId, producerEpoch, coordinatorEpoch, commit), written -> {
            if (written.error() != Errors.NONE) {
                applied.complete(written.error());
                return;
            }
            Set<ClassicGroup> groups = openTransactions.remove(producerId);
            if (groups == null) {
                applied.complete(Errors.NONE);
                return;
            }
            AtomicInteger remaining = new AtomicInteger(groups.size());
            for (ClassicGroup group : groups) {
                group.queue.execute(() -> {
                    try {
                        apply.accept(group);
                    } finally {
                        if (remaining.decrementAndGet() == 0) {
                            applied.complete(Errors.NONE);
                        }
                    }
                });
            }
        });
        return applied;
    }

    /** {@code group} holds offsets in {@code producerId}'s open transaction (a write released, or a load). */
    synchronized void opened(long producerId, ClassicGroup group) {
        openTransactions.computeIfAbsent(producerId, p -> new LinkedHashSet<>()).add(group);
    }

    private synchronized void submit(Supplier<CompletableFuture<Long>> append, Consumer<Written> onRelease) {
        Write write = new Write(onRelease);
        inFlight.add(write);
        CompletableFuture<Long> appended;
        try {
            appended = append.get();
        } catch (RuntimeException e) {
            appended = CompletableFuture.failedFuture(e);
        }
        appended.whenCompleteAsync((offset, failure) -> completed(write,
                failure == null ? new Written(Errors.NONE, offset) : Written.failed(errorOf(failure))), completions);
    }

    /** Records {@code write}'s outcome and releases, in order, every write at the head that has one. */
    private synchronized void completed(Write write, Written outcome) {
        write.outcome = outcome;
        if (releasing) {
            return; // a release further up this thread's stack continues the loop
        }
        releasing = true;
        try {
            while (!inFlight.isEmpty() && inFlight.peek().outcome != null) {
                Write next = inFlight.poll();
                try {
                    next.onRelease.accept(next.outcome);
                } catch (RuntimeException e) {
                    log.error("Handing back a write to __consumer_offsets-{} failed", partition, e);
                }
            }
        } finally {
            releasing = false;
        }
    }

    private static Errors errorOf(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof GroupLog.GroupLogException e) {
            return e.error();
        }
        log.warn("Writing to __consumer_offsets failed", cause);
        return Errors.UNKNOWN_SERVER_ERROR;
    }
}
