package dev.runnel.controller.metadata;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.api.transaction.OperationType;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.ControllerInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.ProducerIdBlock;
import dev.runnel.cluster.TopicRecord;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.cluster.ZkReads;

/**
 * The active controller's access to the metadata in ZooKeeper (layout in {@link ZkPaths}).
 *
 * <p>Fencing: {@link #takeOver} bumps {@code /controller_epoch} with a write conditional on the
 * version read, and remembers the version it wrote. Every later {@link #commit} is one ZooKeeper
 * transaction that checks that version first and writes each node conditionally on the version
 * this store last read or wrote. A controller that was deposed meanwhile (another one bumped the
 * epoch) has every commit refused, and so cannot overwrite anything. Not thread-safe: used by the
 * controller's event loop only.
 */
public final class ZkMetadataStore {

    private final CuratorFramework zk;
    private final Map<String, Integer> versions = new HashMap<>();
    private int epochVersion = -1;

    public ZkMetadataStore(CuratorFramework zk) {
        this.zk = zk;
    }

    /** Creates the persistent parents of the layout if this is a new cluster. */
    public void ensureLayout() throws Exception {
        for (String path : List.of(ZkPaths.BROKER_IDS, ZkPaths.TOPICS, ZkPaths.CONTROLLER)) {
            try {
                zk.create().creatingParentsIfNeeded().forPath(path, new byte[0]);
            } catch (KeeperException.NodeExistsException e) {
                // an existing cluster
            }
        }
    }

    /**
     * Increments the controller epoch and records this controller as the active one, in one
     * transaction conditional on the epoch read and on {@code latchPath}, this instance's election
     * node, still existing.
     *
     * @return the new epoch
     * @throws KeeperException.BadVersionException when another controller changed the epoch meanwhile
     */
    public int takeOver(int controllerId, String url, String latchPath) throws Exception {
        ensureLayout();
        Stat stat = new Stat();
        int epoch;
        CuratorOp epochWrite;
        try {
            byte[] current = zk.getData().storingStatIn(stat).forPath(ZkPaths.CONTROLLER_EPOCH);
            epoch = Integer.parseInt(new String(current, StandardCharsets.US_ASCII).trim()) + 1;
            epochWrite = zk.transactionOp().setData().withVersion(stat.getVersion())
                    .forPath(ZkPaths.CONTROLLER_EPOCH, ascii(epoch));
        } catch (KeeperException.NoNodeException e) {
            epoch = 1;
            epochWrite = zk.transactionOp().create().forPath(ZkPaths.CONTROLLER_EPOCH, ascii(epoch));
        }
        // Only while our election node exists: an instance that lost the latch meanwhile must not
        // fence the one that won it.
        List<CuratorTransactionResult> results = zk.transaction().forOperations(epochWrite,
                zk.transactionOp().setData().forPath(ZkPaths.CONTROLLER,
                        ClusterJson.write(new ControllerInfo(controllerId, url, epoch))),
                zk.transactionOp().check().forPath(latchPath));
        CuratorTransactionResult written = results.get(0);
        epochVersion = written.getType() == OperationType.CREATE ? 0 : written.getResultStat().getVersion();
        versions.clear();
        return epoch;
    }

    /** Whether {@code /controller_epoch} is still the version this controller wrote. */
    public boolean holdsEpoch() throws Exception {
        Stat stat = zk.checkExists().forPath(ZkPaths.CONTROLLER_EPOCH);
        return stat != null && stat.getVersion() == epochVersion;
    }

    /** Reads the registered brokers, every topic and every partition state, remembering versions. */
    public LoadedMetadata load() throws Exception {
        List<BrokerInfo> brokers = new ArrayList<>();
        for (String id : zk.getChildren().forPath(ZkPaths.BROKER_IDS)) {
            ZkReads.broker(zk, ZkPaths.BROKER_IDS + "/" + id).ifPresent(brokers::add);
        }
        Map<String, TopicRecord> topics = new TreeMap<>();
        Map<String, Map<Integer, PartitionState>> states = new TreeMap<>();
        for (String name : zk.getChildren().forPath(ZkPaths.TOPICS)) {
            TopicRecord topic = read(ZkPaths.topic(name), TopicRecord.class);
            topics.put(name, topic);
            Map<Integer, PartitionState> byPartition = new TreeMap<>();
            for (int p = 0; p < topic.partitionCount(); p++) {
                byPartition.put(p, read(ZkPaths.partitionState(name, p), PartitionState.class));
            }
            states.put(name, byPartition);
        }
        ProducerIdBlock lastProducerIds = null;
        if (zk.checkExists().forPath(ZkPaths.PRODUCER_IDS) != null) {
            lastProducerIds = read(ZkPaths.PRODUCER_IDS, ProducerIdBlock.class);
        }
        return new LoadedMetadata(brokers, topics, states, lastProducerIds);
    }

    /**
     * Commits {@code writes} in one transaction, fenced by the controller epoch.
     *
     * @throws Exception when any condition fails (this controller must then resign) or ZooKeeper is unreachable
     */
    public void commit(List<ZkWrite> writes) throws Exception {
        if (writes.isEmpty()) {
            return;
        }
        List<CuratorOp> ops = new ArrayList<>();
        ops.add(zk.transactionOp().check().withVersion(epochVersion).forPath(ZkPaths.CONTROLLER_EPOCH));
        for (ZkWrite write : writes) {
            addOps(write, ops);
        }
        for (CuratorTransactionResult result : zk.transaction().forOperations(ops)) {
            switch (result.getType()) {
                case CREATE -> versions.put(result.getForPath(), 0);
                case SET_DATA -> versions.put(result.getForPath(), result.getResultStat().getVersion());
                case DELETE -> versions.remove(result.getForPath());
                default -> {
                }
            }
        }
    }

    private void addOps(ZkWrite write, List<CuratorOp> ops) throws Exception {
        if (write instanceof ZkWrite.CreateTopic create) {
            ops.add(zk.transactionOp().create().forPath(ZkPaths.topic(create.name()), ClusterJson.write(create.topic())));
            ops.add(zk.transactionOp().create().forPath(ZkPaths.partitions(create.name()), new byte[0]));
            addPartitions(create.name(), create.states(), ops);
        } else if (write instanceof ZkWrite.UpdateTopic update) {
            String path = ZkPaths.topic(update.name());
            ops.add(zk.transactionOp().setData().withVersion(version(path)).forPath(path,
                    ClusterJson.write(update.topic())));
            addPartitions(update.name(), update.newStates(), ops);
        } else if (write instanceof ZkWrite.SetPartitionState set) {
            String path = ZkPaths.partitionState(set.topic(), set.partition());
            ops.add(zk.transactionOp().setData().withVersion(version(path)).forPath(path,
                    ClusterJson.write(set.state())));
        } else if (write instanceof ZkWrite.SetProducerIdBlock ids) {
            byte[] data = ClusterJson.write(ids.block());
            ops.add(ids.first() ? zk.transactionOp().create().forPath(ZkPaths.PRODUCER_IDS, data)
                    : zk.transactionOp().setData().withVersion(version(ZkPaths.PRODUCER_IDS))
                            .forPath(ZkPaths.PRODUCER_IDS, data));
        } else if (write instanceof ZkWrite.DeleteTopic delete) {
            for (int p = 0; p < delete.partitionCount(); p++) {
                String state = ZkPaths.partitionState(delete.name(), p);
                ops.add(zk.transactionOp().delete().withVersion(version(state)).forPath(state));
                ops.add(zk.transactionOp().delete().forPath(ZkPaths.partition(delete.name(), p)));
            }
            ops.add(zk.transactionOp().delete().forPath(ZkPaths.partitions(delete.name())));
            String topic = ZkPaths.topic(delete.name());
            ops.add(zk.transactionOp().delete().withVersion(version(topic)).forPath(topic));
        }
    }

    private void addPartitions(String topic, Map<Integer, PartitionState> states, List<CuratorOp> ops)
            throws Exception {
        for (Map.Entry<Integer, PartitionState> e : new TreeMap<>(states).entrySet()) {
            ops.add(zk.transactionOp().create().forPath(ZkPaths.partition(topic, e.getKey()), new byte[0]));
            ops.add(zk.transactionOp().create().forPath(ZkPaths.partitionState(topic, e.getKey()),
                    ClusterJson.write(e.getValue())));
        }
    }

    private int version(String path) {
        Integer version = versions.get(path);
        if (version == null) {
            throw new IllegalStateException("no known version of " + path);
        }
        return version;
    }

    private <T> T read(String path, Class<T> type) throws Exception {
        Stat stat = new Stat();
        byte[] data = zk.getData().storingStatIn(stat).forPath(path);
        versions.put(path, stat.getVersion());
        return ClusterJson.read(data, type, path);
    }

    private static byte[] ascii(int value) {
        return Integer.toString(value).getBytes(StandardCharsets.US_ASCII);
    }
}
