package dev.runnel.cluster;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/** Reads of the cluster layout that controllers and brokers share. */
public final class ZkReads {

    private ZkReads() {
    }

    /** The active controller as last recorded at {@link ZkPaths#CONTROLLER}, if any ever took over. */
    public static Optional<ControllerInfo> activeController(CuratorFramework zk) throws Exception {
        try {
            byte[] data = zk.getData().forPath(ZkPaths.CONTROLLER);
            if (data == null || data.length == 0) {
                return Optional.empty();
            }
            return Optional.of(ClusterJson.read(data, ControllerInfo.class, ZkPaths.CONTROLLER));
        } catch (KeeperException.NoNodeException e) {
            return Optional.empty();
        }
    }

    /**
     * The cluster id, created (a random UUID) by whichever service asks first; every later caller
     * reads the same one.
     */
    public static String clusterId(CuratorFramework zk) throws Exception {
        try {
            zk.create().creatingParentsIfNeeded().forPath(ZkPaths.CLUSTER_ID,
                    UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII));
        } catch (KeeperException.NodeExistsException e) {
            // created before: the cluster's id stays
        }
        return new String(zk.getData().forPath(ZkPaths.CLUSTER_ID), StandardCharsets.US_ASCII).trim();
    }

    /** A broker's registration with its epoch (the creating transaction id), if it still exists. */
    public static Optional<BrokerInfo> broker(CuratorFramework zk, String path) throws Exception {
        Stat stat = new Stat();
        try {
            byte[] data = zk.getData().storingStatIn(stat).forPath(path);
            return Optional.of(ClusterJson.read(data, BrokerInfo.class, path).withEpoch(stat.getCzxid()));
        } catch (KeeperException.NoNodeException e) {
            return Optional.empty();
        }
    }
}
