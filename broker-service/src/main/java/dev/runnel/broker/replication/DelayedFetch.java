package dev.runnel.broker.replication;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import dev.runnel.broker.purgatory.DelayedOperation;

/**
 * A fetch that found fewer than {@code min.bytes}: it waits in {@link ReplicaManager}'s fetch
 * purgatory, woken by appends, high-watermark moves and leadership changes of its partitions, and
 * answers once a read finds enough bytes or an error, or with what there is after {@code max.wait.ms}.
 */
final class DelayedFetch extends DelayedOperation {

    private final FetchParams params;
    private final Supplier<List<FetchResult>> read;
    private final CompletableFuture<List<FetchResult>> answer;
    private List<FetchResult> latest;

    DelayedFetch(FetchParams params, Supplier<List<FetchResult>> read, CompletableFuture<List<FetchResult>> answer) {
        super(params.maxWait());
        this.params = params;
        this.read = read;
        this.answer = answer;
    }

    /** Whether a read's results answer the fetch at once: enough bytes, or an error on any partition. */
    static boolean satisfies(FetchParams params, List<FetchResult> results) {
        int bytes = 0;
        for (FetchResult result : results) {
            if (result.failed()) {
                return true;
            }
            bytes += result.bytes();
        }
        return bytes >= params.minBytes();
    }

    @Override
    public boolean tryComplete() {
        List<FetchResult> now = read.get();
        if (satisfies(params, now)) {
            latest = now;
            return forceComplete();
        }
        return false;
    }

    @Override
    protected void onComplete() {
        answer.complete(latest != null ? latest : read.get());
    }
}
