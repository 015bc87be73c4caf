package dev.runnel.clustertest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;

import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.ZkPaths;

/**
 * When the controller committed each leader epoch of a topic's partitions: the modification time
 * of each {@code /topics/<topic>/partitions/<p>/state} version, which ZooKeeper (in this JVM, on
 * this clock) stamps when it commits the write. {@link #epochAt} tells the partition's current
 * epoch at a moment, so a check can tell a deposed leader's answer from the current one's. A
 * version the cache skipped only makes the answer an older epoch, which makes the checks that use
 * it more lenient, never stricter.
 */
final class LeaderEpochHistory implements AutoCloseable {

    private record Change(long millis, int epoch) {
    }

    private final CuratorCache cache;
    private final Map<Integer, List<Change>> changes = new ConcurrentHashMap<>();

    LeaderEpochHistory(CuratorFramework zk, String topic) {
        String partitions = ZkPaths.partitions(topic);
        cache = CuratorCache.build(zk, partitions);
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreatesAndChanges((before, after) -> record(partitions, after))
                .forInitialized(() -> { })
                .build());
        cache.start();
    }

    private void record(String partitions, ChildData node) {
        if (node == null || node.getData() == null || node.getData().length == 0 || !node.getPath().endsWith("/state")) {
            return;
        }
        String rest = node.getPath().substring(partitions.length() + 1);
        int partition = Integer.parseInt(rest.substring(0, rest.indexOf('/')));
        PartitionState state = ClusterJson.read(node.getData(), PartitionState.class, node.getPath());
        List<Change> list = changes.computeIfAbsent(partition, p -> new ArrayList<>());
        synchronized (list) {
            list.add(new Change(node.getStat().getMtime(), state.leaderEpoch()));
        }
    }

    /** The highest leader epoch of {@code partition} the controller had committed at {@code millis}; -1 if none. */
    int epochAt(int partition, long millis) {
        List<Change> list = changes.get(partition);
        if (list == null) {
            return -1;
        }
        int epoch = -1;
        synchronized (list) {
            for (Change c : list) {
                if (c.millis() <= millis) {
                    epoch = Math.max(epoch, c.epoch());
                }
            }
        }
        return epoch;
    }

    @Override
    public void close() {
        cache.close();
    }
}
