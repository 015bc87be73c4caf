package dev.runnel.controller.metadata;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

import dev.runnel.common.time.Ticker;

/**
 * Reads many ZooKeeper nodes at once with ZooKeeper's asynchronous API, so that loading 50,000
 * partitions costs the time of a few hundred round trips instead of 50,000 of them.
 *
 * <p>Each batch keeps at most {@code maxOutstanding} requests in flight (a semaphore, released by
 * each answer), so neither the client's queue nor the server's is flooded, and has one deadline
 * for the whole batch. A node that does not exist is left out of the result; any other error fails
 * the batch with that error, naming the node, and a batch not answered in time fails with a
 * {@link TimeoutException}: a batch never hangs. Paths are relative to the client's namespace, as
 * in Curator.
 *
 * <p>Not thread-safe; the callbacks run on ZooKeeper's event thread and only record the answer.
 */
final class ZkBatchReader {

    /** A node's data (empty, never null) and stat. */
    record Node(byte[] data, Stat stat) {
    }

    private final CuratorFramework zk;
    private final int maxOutstanding;
    private final Duration timeout;
    private final Ticker ticker;

    ZkBatchReader(CuratorFramework zk, int maxOutstanding, Duration timeout, Ticker ticker) {
        if (maxOutstanding < 1) {
            throw new IllegalArgumentException("maxOutstanding must be positive, not " + maxOutstanding);
        }
        this.zk = zk;
        this.maxOutstanding = maxOutstanding;
        this.timeout = timeout;
        this.ticker = ticker;
    }

    /** The data and stat of each node of {@code paths} that exists, by path. */
    Map<String, Node> getData(Collection<String> paths) throws Exception {
        Batch<Node> batch = new Batch<>(paths.size());
        ZooKeeper handle = zk.getZookeeperClient().getZooKeeper();
        for (String path : paths) {
            if (!batch.reserve()) {
                break;
            }
            handle.getData(absolute(path), false, (rc, absolute, ctx, data, stat) ->
                    batch.answer(rc, path, () -> new Node(data == null ? new byte[0] : data, stat)), null);
        }
        return batch.await();
    }

    /** The children of each node of {@code paths} that exists, by path. */
    Map<String, List<String>> getChildren(Collection<String> paths) throws Exception {
        Batch<List<String>> batch = new Batch<>(paths.size());
        ZooKeeper handle = zk.getZookeeperClient().getZooKeeper();
        for (String path : paths) {
            if (!batch.reserve()) {
                break;
            }
            handle.getChildren(absolute(path), false, (rc, absolute, ctx, children) ->
                    batch.answer(rc, path, () -> List.copyOf(children)), null);
        }
        return batch.await();
    }

    private String absolute(String path) {
        return ZKPaths.fixForNamespace(zk.getNamespace(), path);
    }

    /** The answers of one batch of requests, with its permits and deadline. */
    private final class Batch<T> {

        private final int size;
        private final long deadline = ticker.nanoTime() + timeout.toNanos();
        private final Semaphore permits = new Semaphore(maxOutstanding);
        private final Map<String, T> results = new ConcurrentHashMap<>();
        private final AtomicReference<KeeperException> failure = new AtomicReference<>();
        private final AtomicInteger answered = new AtomicInteger();

        Batch(int size) {
            this.size = size;
        }

        /** Waits for room for one more request; false if the batch already failed. */
        boolean reserve() throws InterruptedException, TimeoutException {
            if (failure.get() != null) {
                return false;
            }
            if (!permits.tryAcquire(remainingNanos(), TimeUnit.NANOSECONDS)) {
                throw timedOut();
            }
            return true;
        }

        void answer(int rc, String path, Supplier<T> result) {
            try {
                KeeperException.Code code = KeeperException.Code.get(rc);
                if (code == KeeperException.Code.OK) {
                    results.put(path, result.get());
                } else if (code != KeeperException.Code.NONODE) {
                    failure.compareAndSet(null, KeeperException.create(code, path));
                }
            } finally {
                answered.incrementAndGet();
                permits.release();
            }
        }

        /** Waits for every request sent to be answered. */
        Map<String, T> await() throws KeeperException, InterruptedException, TimeoutException {
            if (failure.get() == null && !permits.tryAcquire(maxOutstanding, remainingNanos(), TimeUnit.NANOSECONDS)) {
                throw timedOut();
            }
            KeeperException failed = failure.get();
            if (failed != null) {
                throw failed;
            }
            return results;
        }

        private long remainingNanos() {
            return Math.max(0, deadline - ticker.nanoTime());
        }

        private TimeoutException timedOut() {
            return new TimeoutException("ZooKeeper answered " + answered.get() + " of " + size
                    + " reads within " + timeout.toMillis() + " ms");
        }
    }
}
