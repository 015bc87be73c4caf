package dev.runnel.controller.metadata;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
import dev.runnel.common.time.Ticker;
import dev.runnel.controller.metadata.ZkWritePlanner.Op;

/**
 * The active controller's access to the metadata in ZooKeeper (layout in {@link ZkPaths}).
 *
 * <p>Fencing: {@link #takeOver} bumps {@code /controller_epoch} with a write conditional on the
 * version read, and remembers the version it wrote. Every transaction of a later {@link #commit}
 * checks that version first and writes each node conditionally on the version this store last read
 * or wrote. A controller that was deposed meanwhile (another one bumped the epoch) has every
 * transaction refused, and so cannot overwrite anything.
 *
 * <p>Size: ZooKeeper refuses a request larger than {@code jute.maxbuffer} (1 MiB by default), so
 * {@link #commit} splits a decision into transactions of at most {@code transactionBytes} (estimated
 * from paths and data), each starting with the epoch check. Writes of different nodes are
 * independent and may land in different transactions; a decision cut short by a crash leaves each
 * partition's state valid, and the next controller loads what did commit. A topic created, grown or
 * deleted in one transaction commits atomically, as it always did. One too big for a transaction
 * has a commit point instead, the rules of which {@link ZkPaths} gives:
 * <ul>
 *   <li>create: the topic node is created empty, then the partition nodes, and the record written
 *       into the topic node last commits the creation;</li>
 *   <li>grow: the new partition nodes first, then the record with the new count commits it;</li>
 *   <li>delete: emptying the topic node commits the deletion, then the partition nodes and the
 *       topic node are deleted.</li>
 * </ul>
 * {@link #load} finishes what a crash interrupted: it removes every empty topic node with its
 * partitions (a creation is undone, a deletion completed) and every partition node beyond its
 * topic's count (a growth is undone), so that neither is ever a topic to the controller or to
 * brokers, and the name can be used again.
 *
 * <p>Load: the nodes are read with pipelined asynchronous requests ({@link ZkBatchReader}), at most
 * {@value #MAX_OUTSTANDING_READS} at a time and within one deadline, instead of one round trip per
 * node. Not thread-safe: used by the controller's event loop only.
 */
public final class ZkMetadataStore {

    /** The most bytes of one transaction by default: half of ZooKeeper's default {@code jute.maxbuffer}. */
    public static final int DEFAULT_TRANSACTION_BYTES = 512 * 1024;
    /** How long {@link #load} may take by default before it fails. */
    public static final Duration DEFAULT_LOAD_TIMEOUT = Duration.ofSeconds(60);
    /** The most reads {@link #load} has in flight at once. */
    static final int MAX_OUTSTANDING_READS = 1_000;

    /** Commits one ZooKeeper transaction; tests substitute one that fails to stand for a crash. */
    @FunctionalInterface
    interface Transactions {
        List<CuratorTransactionResult> commit(List<CuratorOp> ops) throws Exception;
    }

    private final CuratorFramework zk;
    private final int transactionBytes;
    private final Transactions transactions;
    private final Duration loadTimeout;
    private final Ticker ticker;
    private final ZkWritePlanner planner;
    private final Map<String, Integer> versions = new HashMap<>();
    private int epochVersion = -1;

    /** @param ticker the time of {@link #load}'s deadline */
    public ZkMetadataStore(CuratorFramework zk, Ticker ticker) {
        this(zk, DEFAULT_TRANSACTION_BYTES, ops -> zk.transaction().forOperations(ops), DEFAULT_LOAD_TIMEOUT, ticker);
    }

    /**
     * @param transactionBytes the most bytes of one transaction, as estimated; well under
     *                         {@code jute.maxbuffer}, which also bounds the answer
     * @param transactions     commits each transaction
     * @param loadTimeout      how long {@link #load} may take
     * @param ticker           the time of that deadline
     */
    ZkMetadataStore(CuratorFramework zk, int transactionBytes, Transactions transactions, Duration loadTimeout,
            Ticker ticker) {
        this.zk = zk;
        this.transactionBytes = transactionBytes;
        this.transactions = transactions;
        this.loadTimeout = loadTimeout;
        this.ticker = ticker;
        this.planner = new ZkWritePlanner(zk, transactionBytes, this::version);
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

    /**
     * Reads the registered brokers, every topic and every partition state, remembering versions, and
     * finishes any topic change a crashed controller left half done (see the class comment): call it
     * after {@link #takeOver}, since that is a write.
     *
     * @throws IllegalStateException when a node a topic needs is missing or unreadable
     * @throws java.util.concurrent.TimeoutException when ZooKeeper does not answer within the load timeout
     */
    public LoadedMetadata load() throws Exception {
        List<BrokerInfo> brokers = new ArrayList<>();
        for (String id : zk.getChildren().forPath(ZkPaths.BROKER_IDS)) {
            ZkReads.broker(zk, ZkPaths.BROKER_IDS + "/" + id).ifPresent(brokers::add);
        }
        ZkBatchReader reader = new ZkBatchReader(zk, MAX_OUTSTANDING_READS, loadTimeout, ticker);
        List<String> names = zk.getChildren().forPath(ZkPaths.TOPICS);

        // 1. Every topic node and the list of its partition nodes.
        Map<String, ZkBatchReader.Node> topicNodes = reader.getData(names.stream().map(ZkPaths::topic).toList());
        Map<String, List<String>> partitionNodes =
                reader.getChildren(names.stream().map(ZkPaths::partitions).toList());

        // 2. Committed topics, and the unfinished changes to clean up.
        Map<String, TopicRecord> topics = new TreeMap<>();
        List<List<Op>> cleanup = new ArrayList<>();
        List<String> statePaths = new ArrayList<>();
        for (String name : names) {
            String path = ZkPaths.topic(name);
            ZkBatchReader.Node node = topicNodes.get(path);
            if (node == null) {
                throw missing(path, "topic '" + name + "'");
            }
            List<String> children = partitionNodes.get(ZkPaths.partitions(name));
            if (node.data().length == 0) {
                planner.removeTopic(name, node.stat().getVersion(), children, cleanup);
                continue;
            }
            TopicRecord topic = ClusterJson.read(node.data(), TopicRecord.class, path);
            if (children == null) {
                throw missing(ZkPaths.partitions(name), "topic '" + name + "'");
            }
            planner.removeUncommittedPartitions(name, topic.partitionCount(), children, cleanup);
            topics.put(name, topic);
            versions.put(path, node.stat().getVersion());
            for (int p = 0; p < topic.partitionCount(); p++) {
                statePaths.add(ZkPaths.partitionState(name, p));
            }
        }

        // 3. Every partition state of the committed topics.
        Map<String, ZkBatchReader.Node> stateNodes = reader.getData(statePaths);
        Map<String, Map<Integer, PartitionState>> states = new TreeMap<>();
        topics.forEach((name, topic) -> {
            Map<Integer, PartitionState> byPartition = new TreeMap<>();
            for (int p = 0; p < topic.partitionCount(); p++) {
                String path = ZkPaths.partitionState(name, p);
                ZkBatchReader.Node node = stateNodes.get(path);
                if (node == null) {
                    throw missing(path, "partition " + p + " of topic '" + name + "'");
                }
                versions.put(path, node.stat().getVersion());
                byPartition.put(p, ClusterJson.read(node.data(), PartitionState.class, path));
            }
            states.put(name, byPartition);
        });

        ProducerIdBlock lastProducerIds = null;
        if (zk.checkExists().forPath(ZkPaths.PRODUCER_IDS) != null) {
            lastProducerIds = read(ZkPaths.PRODUCER_IDS, ProducerIdBlock.class);
        }

        // 4. Finish what a crash interrupted, fenced like any commit.
        if (!cleanup.isEmpty()) {
            commitGroups(cleanup);
        }
        return new LoadedMetadata(brokers, topics, states, lastProducerIds);
    }

    /**
     * Commits {@code writes}, fenced by the controller epoch, in as few transactions of at most
     * {@code transactionBytes} as the writes allow (see the class comment for the order within a
     * topic). When this fails, some of the transactions may have committed: the controller must
     * resign and load again.
     *
     * @throws Exception when any condition fails (this controller must then resign) or ZooKeeper is unreachable
     */
    public void commit(List<ZkWrite> writes) throws Exception {
        if (writes.isEmpty()) {
            return;
        }
        List<List<Op>> groups = new ArrayList<>();
        for (ZkWrite write : writes) {
            planner.plan(write, groups);
        }
        commitGroups(groups);
    }

    /**
     * Commits {@code groups} in order, packing consecutive groups into one transaction while it stays
     * within {@code transactionBytes}; a group bigger than that goes alone in its transaction.
     */
    private void commitGroups(List<List<Op>> groups) throws Exception {
        if (epochVersion < 0) {
            throw new IllegalStateException("No controller epoch taken over: writes could not be fenced");
        }
        Op epochCheck = planner.epochCheck(epochVersion);
        List<CuratorOp> transaction = new ArrayList<>();
        int size = 0;
        for (List<Op> group : groups) {
            int groupSize = group.stream().mapToInt(Op::bytes).sum();
            if (transaction.size() > 1 && size + groupSize > transactionBytes) {
                commitTransaction(transaction);
                transaction = new ArrayList<>();
            }
            if (transaction.isEmpty()) {
                transaction.add(epochCheck.op());
                size = epochCheck.bytes();
            }
            for (Op op : group) {
                transaction.add(op.op());
            }
            size += groupSize;
        }
        if (!transaction.isEmpty()) {
            commitTransaction(transaction);
        }
    }

    private void commitTransaction(List<CuratorOp> ops) throws Exception {
        for (CuratorTransactionResult result : transactions.commit(ops)) {
            switch (result.getType()) {
                case CREATE -> versions.put(result.getForPath(), 0);
                case SET_DATA -> versions.put(result.getForPath(), result.getResultStat().getVersion());
                case DELETE -> versions.remove(result.getForPath());
                default -> {
                }
            }
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

    private static IllegalStateException missing(String path, String what) {
        return new IllegalStateException("Cannot load " + what + ": node " + path + " does not exist");
    }

    private static byte[] ascii(int value) {
        return Integer.toString(value).getBytes(StandardCharsets.US_ASCII);
    }
}
