package dev.runnel.broker.purgatory;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import dev.runnel.common.time.Scheduler;

/**
 * Where {@link DelayedOperation}s wait, watched under keys (a partition): whoever changes what a
 * key's operations wait for (an append, a high-watermark move) calls {@link #checkAndComplete},
 * and the scheduler expires operations whose timeout passes first.
 *
 * <pre>
 *  tryCompleteElseWatch(op, [p0, p1])      checkAndComplete(p1)            timer
 *     op.tryComplete() -- yes --> done        for op in watchers[p1]:        op.forceComplete()
 *        | no                                   op.tryComplete()              op.onExpiration()
 *     watchers[p0] += op, watchers[p1] += op
 *     arm the timeout; try once more (an append may have raced the first try)
 * </pre>
 *
 * A completed operation leaves every watcher list it was in. Thread-safe.
 *
 * @param <K> the watch key
 */
public final class DelayedOperationPurgatory<K> {

    private final String name;
    private final Scheduler scheduler;
    private final Map<K, Queue<DelayedOperation>> watchers = new ConcurrentHashMap<>();

    public DelayedOperationPurgatory(String name, Scheduler scheduler) {
        this.name = name;
        this.scheduler = scheduler;
    }

    /**
     * Completes {@code operation} now if it can; otherwise parks it under {@code keys} until a
     * {@link #checkAndComplete} of one of them completes it or its delay passes.
     *
     * @return whether the operation completed before this call returned
     */
    public boolean tryCompleteElseWatch(DelayedOperation operation, Collection<K> keys) {
        if (operation.maybeTryComplete()) {
            return true;
        }
        List<K> watchedUnder = List.copyOf(keys);
        for (K key : watchedUnder) {
            // Added inside compute: an unwatch emptying and dropping the same queue cannot interleave.
            watchers.compute(key, (k, waiting) -> {
                Queue<DelayedOperation> queue = waiting == null ? new ConcurrentLinkedQueue<>() : waiting;
                queue.add(operation);
                return queue;
            });
        }
        operation.arm(scheduler, name, () -> unwatch(operation, watchedUnder));
        // An append between the first try and the watch would have found no watcher: try again.
        return operation.maybeTryComplete() || operation.isCompleted();
    }

    /**
     * Tries every operation watched under {@code key}.
     *
     * @return how many completed
     */
    public int checkAndComplete(K key) {
        Queue<DelayedOperation> waiting = watchers.get(key);
        if (waiting == null || waiting.isEmpty()) {
            return 0;
        }
        int completed = 0;
        for (DelayedOperation operation : waiting) {
            if (operation.maybeTryComplete()) {
                completed++;
            }
        }
        return completed;
    }

    /** Completes every waiting operation now (shutdown): each answers with what it has. */
    public void completeAll() {
        for (Queue<DelayedOperation> waiting : watchers.values()) {
            for (DelayedOperation operation : waiting) {
                operation.forceComplete();
            }
        }
    }

    /** Operations waiting, counted once per key they are watched under. */
    public int watched() {
        return watchers.values().stream().mapToInt(Queue::size).sum();
    }

    private void unwatch(DelayedOperation operation, List<K> keys) {
        for (K key : keys) {
            watchers.computeIfPresent(key, (k, waiting) -> {
                waiting.remove(operation);
                return waiting.isEmpty() ? null : waiting;
            });
        }
    }
}
