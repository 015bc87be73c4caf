package dev.runnel.controller.metadata;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.ZkPaths;

/**
 * Turns {@link ZkWrite}s into ZooKeeper operations for {@link ZkMetadataStore}, in groups: the
 * operations of one group must commit in one transaction, consecutive groups may be split between
 * transactions, in order. A topic change that fits in one transaction is one group, as it always
 * was; a bigger one is split at the partitions, around the commit point that {@link ZkPaths}
 * describes. Also plans the removal of what such a change leaves when it is cut short.
 *
 * <p>Each operation carries its estimated size in a request (path and data plus a fixed overhead),
 * so that the store can keep each transaction under its byte budget. Not thread-safe.
 */
final class ZkWritePlanner {

    /**
     * What one operation adds to a request besides its path and data, rounded up: the multi header
     * (9 bytes), lengths and version (12), and for a create the flags and the open ACL (about 30).
     */
    private static final int OP_OVERHEAD = 64;
    private static final byte[] NO_DATA = new byte[0];
    private static final Logger log = LoggerFactory.getLogger(ZkWritePlanner.class);

    /** One operation of a transaction with its estimated size in a request. */
    record Op(CuratorOp op, int bytes) {
    }

    private final CuratorFramework zk;
    private final int transactionBytes;
    private final ToIntFunction<String> versions;
    private final int namespaceBytes;

    /**
     * @param transactionBytes the most bytes of one transaction
     * @param versions         the version the store last read or wrote of a node, by path
     */
    ZkWritePlanner(CuratorFramework zk, int transactionBytes, ToIntFunction<String> versions) {
        this.zk = zk;
        this.transactionBytes = transactionBytes;
        this.versions = versions;
        String namespace = zk.getNamespace();
        this.namespaceBytes = namespace == null ? 0 : namespace.length() + 1;
    }

    /** The check that {@code /controller_epoch} still has {@code version}, which starts every transaction. */
    Op epochCheck(int version) throws Exception {
        return new Op(zk.transactionOp().check().withVersion(version).forPath(ZkPaths.CONTROLLER_EPOCH),
                bytes(ZkPaths.CONTROLLER_EPOCH, NO_DATA));
    }

    /**
     * Appends the operations of {@code write} to {@code groups}: the operations of one group must
     * commit in one transaction; consecutive groups may be split between transactions, in order.
     */
    void plan(ZkWrite write, List<List<Op>> groups) throws Exception {
        if (write instanceof ZkWrite.CreateTopic create) {
            planCreate(create, groups);
        } else if (write instanceof ZkWrite.UpdateTopic update) {
            planUpdate(update, groups);
        } else if (write instanceof ZkWrite.SetPartitionState set) {
            String path = ZkPaths.partitionState(set.topic(), set.partition());
            groups.add(List.of(setData(path, versions.applyAsInt(path), ClusterJson.write(set.state()))));
        } else if (write instanceof ZkWrite.SetProducerIdBlock ids) {
            byte[] data = ClusterJson.write(ids.block());
            groups.add(List.of(ids.first() ? create(ZkPaths.PRODUCER_IDS, data)
                    : setData(ZkPaths.PRODUCER_IDS, versions.applyAsInt(ZkPaths.PRODUCER_IDS), data)));
        } else if (write instanceof ZkWrite.DeleteTopic delete) {
            planDelete(delete, groups);
        }
    }

    private void planCreate(ZkWrite.CreateTopic create, List<List<Op>> groups) throws Exception {
        String path = ZkPaths.topic(create.name());
        byte[] record = ClusterJson.write(create.topic());
        List<List<Op>> partitions = newPartitions(create.name(), create.states());
        Op parent = create(ZkPaths.partitions(create.name()), NO_DATA);
        Op topic = create(path, record);
        if (fitsOneTransaction(partitions, topic, parent)) {
            groups.add(flatten(List.of(topic, parent), partitions, List.of()));
            return;
        }
        // Until its record, the last write, commits the creation, the empty node is no topic.
        groups.add(List.of(create(path, NO_DATA), parent));
        groups.addAll(partitions);
        groups.add(List.of(setData(path, 0, record)));
    }

    private void planUpdate(ZkWrite.UpdateTopic update, List<List<Op>> groups) throws Exception {
        String path = ZkPaths.topic(update.name());
        Op record = setData(path, versions.applyAsInt(path), ClusterJson.write(update.topic()));
        List<List<Op>> partitions = newPartitions(update.name(), update.newStates());
        if (fitsOneTransaction(partitions, record)) {
            groups.add(flatten(List.of(record), partitions, List.of()));
            return;
        }
        // Partitions beyond the count in the record are not yet the topic's: the record commits them.
        groups.addAll(partitions);
        groups.add(List.of(record));
    }

    private void planDelete(ZkWrite.DeleteTopic delete, List<List<Op>> groups) throws Exception {
        String name = delete.name();
        String path = ZkPaths.topic(name);
        int version = versions.applyAsInt(path);
        List<List<Op>> partitions = new ArrayList<>();
        for (int p = 0; p < delete.partitionCount(); p++) {
            String state = ZkPaths.partitionState(name, p);
            partitions.add(List.of(delete(state, versions.applyAsInt(state)), delete(ZkPaths.partition(name, p), -1)));
        }
        Op parent = delete(ZkPaths.partitions(name), -1);
        Op topic = delete(path, version);
        if (fitsOneTransaction(partitions, parent, topic)) {
            groups.add(flatten(List.of(), partitions, List.of(parent, topic)));
            return;
        }
        // Emptying the topic node commits the deletion; what follows only removes what is left.
        groups.add(List.of(setData(path, version, NO_DATA)));
        groups.addAll(partitions);
        groups.add(List.of(parent, delete(path, version + 1)));
    }

    /** A group per partition: its node and its state node, created together. */
    private List<List<Op>> newPartitions(String topic, Map<Integer, PartitionState> states) throws Exception {
        List<List<Op>> partitions = new ArrayList<>();
        for (Map.Entry<Integer, PartitionState> e : new TreeMap<>(states).entrySet()) {
            partitions.add(List.of(create(ZkPaths.partition(topic, e.getKey()), NO_DATA),
                    create(ZkPaths.partitionState(topic, e.getKey()), ClusterJson.write(e.getValue()))));
        }
        return partitions;
    }

    /** Removes an empty topic node and the partition nodes under it (null: no partitions node). */
    void removeTopic(String name, int version, List<String> children, List<List<Op>> cleanup)
            throws Exception {
        log.warn("Removing topic '{}', whose creation or deletion a previous controller did not finish", name);
        if (children == null) {
            cleanup.add(List.of(delete(ZkPaths.topic(name), version)));
            return;
        }
        for (String child : children) {
            int p = partitionIndex(name, child);
            cleanup.add(List.of(delete(ZkPaths.partitionState(name, p), -1), delete(ZkPaths.partition(name, p), -1)));
        }
        cleanup.add(List.of(delete(ZkPaths.partitions(name), -1), delete(ZkPaths.topic(name), version)));
    }

    /** Removes the partition nodes of a growth that did not commit: those beyond the record's count. */
    void removeUncommittedPartitions(String name, int partitionCount, List<String> children,
            List<List<Op>> cleanup) throws Exception {
        for (String child : children) {
            int p = partitionIndex(name, child);
            if (p >= partitionCount) {
                log.warn("Removing partition {} of topic '{}', which a previous controller did not finish adding",
                        p, name);
                cleanup.add(List.of(delete(ZkPaths.partitionState(name, p), -1),
                        delete(ZkPaths.partition(name, p), -1)));
            }
        }
    }

    private static int partitionIndex(String topic, String child) {
        try {
            return Integer.parseInt(child);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("Unexpected node " + ZkPaths.partitions(topic) + "/" + child
                    + ": the children of a topic's partitions node are partition numbers");
        }
    }

    /** Whether {@code groups} and {@code more}, with the epoch check, fit in one transaction. */
    private boolean fitsOneTransaction(List<List<Op>> groups, Op... more) {
        long size = bytes(ZkPaths.CONTROLLER_EPOCH, NO_DATA);
        for (List<Op> group : groups) {
            for (Op op : group) {
                size += op.bytes();
            }
        }
        for (Op op : more) {
            size += op.bytes();
        }
        return size <= transactionBytes;
    }

    private static List<Op> flatten(List<Op> first, List<List<Op>> groups, List<Op> last) {
        List<Op> all = new ArrayList<>(first);
        groups.forEach(all::addAll);
        all.addAll(last);
        return all;
    }

    private Op create(String path, byte[] data) throws Exception {
        return new Op(zk.transactionOp().create().forPath(path, data), bytes(path, data));
    }

    private Op setData(String path, int version, byte[] data) throws Exception {
        return new Op(zk.transactionOp().setData().withVersion(version).forPath(path, data), bytes(path, data));
    }

    private Op delete(String path, int version) throws Exception {
        return new Op(zk.transactionOp().delete().withVersion(version).forPath(path), bytes(path, NO_DATA));
    }

    /** The estimated size of an operation on {@code path} in a request, and of its answer. */
    private int bytes(String path, byte[] data) {
        return OP_OVERHEAD + namespaceBytes + path.getBytes(StandardCharsets.UTF_8).length + data.length;
    }

}
