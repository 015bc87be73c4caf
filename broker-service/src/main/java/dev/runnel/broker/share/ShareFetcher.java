package dev.runnel.broker.share;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.replication.FetchParams;
import dev.runnel.broker.replication.FetchResult;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.FileSlice;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * The fetch of a ShareFetch request: reads each share partition's log from its next fetch offset
 * through {@link ReplicaManager#fetchMessages} (the one read path, up to the high watermark, or
 * the last stable offset for a read_committed group), then acquires what the batches read hold.
 *
 * <p>The wait for {@code MinBytes} (up to {@code MaxWaitMs}) is the fetch purgatory's long poll at
 * those offsets, woken by appends, or a timer when no share partition may be read at all (every
 * one has {@code group.share.partition.max.record.locks} records in flight); records becoming
 * acquirable on a share partition (a release, a lock timeout, room under the locks) end the wait
 * too, as they wake Kafka's {@code DelayedShareFetch}. No thread waits.
 */
public final class ShareFetcher {

    /** A share partition to fetch: the topic's id and the partition by name. */
    public record Target(Uuid topicId, TopicPartition tp) {
    }

    /**
     * What one request asks.
     *
     * @param strictRecordLimit ShareAcquireMode record-limit: at most {@code maxRecords}, batches split
     */
    public record Request(String groupId, String memberId, Duration maxWait, int minBytes, int maxBytes,
            int maxRecords, boolean strictRecordLimit) {
    }

    /**
     * One target's outcome: a failure ({@link ShareException}, the replica manager's or log's, or the
     * persister's), or the batches holding the acquired records (null when none were acquired).
     */
    public record Fetched(Target target, RuntimeException failure, FileSlice records, List<AcquiredRange> acquired) {

        static Fetched failed(Target target, Throwable failure) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            return new Fetched(target, cause instanceof RuntimeException e ? e
                    : new ShareException(Errors.UNKNOWN_SERVER_ERROR, String.valueOf(cause)), null, List.of());
        }

        static Fetched nothing(Target target) {
            return new Fetched(target, null, null, List.of());
        }
    }

    private final SharePartitionManager partitions;
    private final ReplicaManager replicas;
    private final Scheduler scheduler;

    public ShareFetcher(SharePartitionManager partitions, ReplicaManager replicas, Scheduler scheduler) {
        this.partitions = partitions;
        this.replicas = replicas;
        this.scheduler = scheduler;
    }

    /** Fetches {@code targets} for the request's member; the answer lists every target, in order. */
    public CompletableFuture<List<Fetched>> fetch(Request request, List<Target> targets) {
        List<CompletableFuture<SharePartition>> loads = new ArrayList<>(targets.size());
        for (Target target : targets) {
            loads.add(partitions.partition(request.groupId(), target.topicId(), target.tp()));
        }
        return CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new))
                .handle((all, failure) -> null)
                .thenCompose(loaded -> read(request, targets, loads));
    }

    private CompletableFuture<List<Fetched>> read(Request request, List<Target> targets,
            List<CompletableFuture<SharePartition>> loads) {
        Fetched[] out = new Fetched[targets.size()];
        long[] seen = new long[targets.size()];
        List<Integer> readIndexes = new ArrayList<>();
        List<FetchParams.PartitionRequest> reads = new ArrayList<>();
        boolean refusedAny = false;
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            CompletableFuture<SharePartition> load = loads.get(i);
            if (load.isCompletedExceptionally()) {
                out[i] = Fetched.failed(target, load.handle((p, failure) -> failure).join());
                refusedAny = true;
                continue;
            }
            SharePartition partition = load.join();
            try {
                partition.advanceStartTo(replicas.leaderPartition(target.tp()).log().logStartOffset());
            } catch (RuntimeException notLeader) {
                out[i] = Fetched.failed(target, notLeader);
                refusedAny = true;
                continue;
            }
            long offset = partition.nextFetchOffset();
            seen[i] = offset;
            if (offset < 0) {
                out[i] = Fetched.nothing(target);
                continue;
            }
            readIndexes.add(i);
            reads.add(new FetchParams.PartitionRequest(target.tp(), offset, OptionalInt.empty(), request.maxBytes()));
        }
        Duration wait = refusedAny ? Duration.ZERO : request.maxWait();
        boolean readCommitted = partitions.configs().settings(request.groupId()).readCommitted();
        FetchParams params = FetchParams.consumer(wait, request.minBytes(), request.maxBytes(), readCommitted);
        if (wait.isZero() || wait.isNegative()) {
            return reads.isEmpty() ? CompletableFuture.completedFuture(nothingElse(out, targets))
                    : replicas.fetchMessages(params, reads).thenApply(results -> acquire(request, targets, loads,
                            out, readIndexes, reads, results));
        }
        return waitThenAcquire(request, targets, loads, out, seen, readIndexes, reads, params);
    }

    /**
     * The long poll: whichever comes first answers, once. The fetch purgatory's wait at the read
     * offsets (new records, an error, or {@code MaxWaitMs}), or, with nothing to read, a timer;
     * and records becoming acquirable on a share partition (released, timed out, or room under the
     * record locks), which reads again at once. A wait that lost stays parked until its own end,
     * unused.
     */
    private CompletableFuture<List<Fetched>> waitThenAcquire(Request request, List<Target> targets,
            List<CompletableFuture<SharePartition>> loads, Fetched[] out, long[] seen, List<Integer> readIndexes,
            List<FetchParams.PartitionRequest> reads, FetchParams params) {
        CompletableFuture<List<Fetched>> answer = new CompletableFuture<>();
        AtomicBoolean answered = new AtomicBoolean();
        List<SharePartition> watched = new ArrayList<>();
        List<Long> watchedOffsets = new ArrayList<>();
        for (int i = 0; i < loads.size(); i++) {
            if (!loads.get(i).isCompletedExceptionally()) {
                watched.add(loads.get(i).join());
                watchedOffsets.add(seen[i]);
            }
        }
        Runnable[] wake = new Runnable[1];
        wake[0] = () -> {
            if (answered.compareAndSet(false, true)) {
                watched.forEach(p -> p.stopWaiting(wake[0]));
                Request now = new Request(request.groupId(), request.memberId(), Duration.ZERO, request.minBytes(),
                        request.maxBytes(), request.maxRecords(), request.strictRecordLimit());
                read(now, targets, loads).whenComplete((fetched, failure) -> complete(answer, fetched, failure));
            }
        };
        watched.forEach(p -> p.waitForAcquirable(wake[0]));
        // A release between the first look and the registration woke nobody: look again.
        for (int w = 0; w < watched.size(); w++) {
            if (watched.get(w).nextFetchOffset() != watchedOffsets.get(w)) {
                wake[0].run();
                return answer;
            }
        }
        // Whoever wins the flag answers; only the winner acquires, so no records are taken for nothing.
        if (reads.isEmpty()) {
            scheduler.schedule("share-fetch-wait " + request.groupId(), () -> {
                if (answered.compareAndSet(false, true)) {
                    watched.forEach(p -> p.stopWaiting(wake[0]));
                    answer.complete(nothingElse(out, targets));
                }
            }, params.maxWait());
        } else {
            replicas.fetchMessages(params, reads).whenComplete((results, failure) -> {
                if (!answered.compareAndSet(false, true)) {
                    return;
                }
                watched.forEach(p -> p.stopWaiting(wake[0]));
                if (failure != null) {
                    answer.completeExceptionally(failure);
                    return;
                }
                try {
                    answer.complete(acquire(request, targets, loads, out, readIndexes, reads, results));
                } catch (RuntimeException e) {
                    answer.completeExceptionally(e);
                }
            });
        }
        return answer;
    }

    private static void complete(CompletableFuture<List<Fetched>> answer, List<Fetched> fetched, Throwable failure) {
        if (failure != null) {
            answer.completeExceptionally(failure);
        } else {
            answer.complete(fetched);
        }
    }

    /** Acquires from each read, in request order, within the request's {@code MaxRecords}. */
    private static List<Fetched> acquire(Request request, List<Target> targets,
            List<CompletableFuture<SharePartition>> loads, Fetched[] out, List<Integer> readIndexes,
            List<FetchParams.PartitionRequest> reads, List<FetchResult> results) {
        int remaining = request.maxRecords();
        for (int r = 0; r < results.size(); r++) {
            int i = readIndexes.get(r);
            out[i] = acquire(request, targets.get(i), loads.get(i).join(), reads.get(r).fetchOffset(),
                    results.get(r), remaining);
            for (AcquiredRange range : out[i].acquired()) {
                remaining -= (int) range.count();
            }
        }
        return List.of(out);
    }

    /** The answer when nothing was read: the refusals, and nothing for every other target. */
    private static List<Fetched> nothingElse(Fetched[] out, List<Target> targets) {
        Fetched[] copy = out.clone();
        fillNothing(copy, targets);
        return List.of(copy);
    }

    private static void fillNothing(Fetched[] out, List<Target> targets) {
        for (int i = 0; i < out.length; i++) {
            if (out[i] == null) {
                out[i] = Fetched.nothing(targets.get(i));
            }
        }
    }

    private static Fetched acquire(Request request, Target target, SharePartition partition, long fetchOffset,
            FetchResult result, int remaining) {
        if (result.failed()) {
            return Fetched.failed(target, result.failure());
        }
        if (result.read().isEmpty() || remaining <= 0) {
            return Fetched.nothing(target);
        }
        try {
            FileSlice slice = result.read().slice();
            List<LogBatches.Batch> batches = LogBatches.of(slice);
            List<AcquiredRange> acquired = partition.acquire(request.memberId(), fetchOffset,
                    LogBatches.offsets(batches, result.abortedTransactions()), remaining,
                    request.strictRecordLimit());
            if (acquired.isEmpty()) {
                return Fetched.nothing(target);
            }
            FileSlice records = LogBatches.covering(slice, batches, acquired.get(0).firstOffset(),
                    acquired.get(acquired.size() - 1).lastOffset());
            return new Fetched(target, null, records, acquired);
        } catch (IOException e) {
            return Fetched.failed(target, new ShareException(Errors.KAFKA_STORAGE_ERROR, e.getMessage()));
        } catch (ShareException e) {
            return Fetched.failed(target, e);
        }
    }
}
