package dev.runnel.cluster;

import java.util.Optional;

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
