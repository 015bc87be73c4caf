package dev.runnel.broker.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.common.time.Ticker;

/**
 * The broker's ephemeral registration at {@link ZkPaths#broker(int)}: the broker is alive in the
 * cluster exactly while this node exists. Its creating transaction id is the broker epoch, which
 * tells this life of the broker from an earlier one.
 *
 * <p>A node left by a killed broker with the same id lives until its session expires, so a taken id
 * is waited for up to the session timeout before the start fails: a restart after {@code kill -9}
 * succeeds, a second broker with the same id does not. After a session expiry the node is created
 * again, with a new epoch.
 */
public final class BrokerRegistration implements ConnectionStateListener {

    private static final Duration TAKEN_ID_POLL = Duration.ofMillis(250);

    private static final Logger log = LoggerFactory.getLogger(BrokerRegistration.class);

    private final CuratorFramework zk;
    private final Ticker ticker;
    private final int brokerId;
    private final String host;
    private final IntSupplier kafkaPort;
    private final String rack;
    private final Duration takenIdWait;
    private final IntSupplier httpPort;
    private final Supplier<List<BrokerInfo.Endpoint>> endpoints;
    private volatile BrokerInfo registered;
    private volatile boolean lost;
    private volatile boolean stopped;

    /**
     * @param kafkaPort the port the Kafka listener bound, and {@code httpPort} the web server's: both
     *                  asked for at each registration, once the listeners have started (either may be
     *                  configured as 0, and the kernel's choice is what the cluster must be told)
     */
    public BrokerRegistration(CuratorFramework zk, int brokerId, String host, IntSupplier kafkaPort, String rack,
            IntSupplier httpPort, Duration takenIdWait, Ticker ticker) {
        this(zk, brokerId, host, kafkaPort, List::of, rack, httpPort, takenIdWait, ticker);
    }

    /**
     * @param endpoints every Kafka listener's advertised endpoint, the inter-broker one first (whose
     *                  port {@code kafkaPort} gives); empty for one {@code PLAINTEXT} listener
     */
    public BrokerRegistration(CuratorFramework zk, int brokerId, String host, IntSupplier kafkaPort,
            Supplier<List<BrokerInfo.Endpoint>> endpoints, String rack, IntSupplier httpPort, Duration takenIdWait,
            Ticker ticker) {
        this.zk = zk;
        this.endpoints = endpoints;
        this.ticker = ticker;
        this.brokerId = brokerId;
        this.host = host;
        this.kafkaPort = kafkaPort;
        this.rack = rack;
        this.httpPort = httpPort;
        this.takenIdWait = takenIdWait;
    }

    /**
     * Creates the registration, waiting for a stale one to expire.
     *
     * @throws IllegalStateException when the id stays taken by another live broker
     */
    public synchronized BrokerInfo register() throws Exception {
        String path = ZkPaths.broker(brokerId);
        int port = kafkaPort.getAsInt();
        if (port <= 0) {
            throw new IllegalStateException("the Kafka listener has not bound a port yet; the broker registers after it");
        }
        BrokerInfo info = new BrokerInfo(brokerId, host, port, httpPort.getAsInt(), rack, 0, endpoints.get());
        long deadline = ticker.nanoTime() + takenIdWait.toNanos();
        boolean waited = false;
        while (true) {
            Stat stat = new Stat();
            try {
                zk.create().storingStatIn(stat).creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
                        .forPath(path, ClusterJson.write(info));
                registered = info.withEpoch(stat.getCzxid());
                zk.getConnectionStateListenable().removeListener(this);
                zk.getConnectionStateListenable().addListener(this);
                log.info("Broker {} registered at {} with epoch {}", brokerId, path, registered.epoch());
                return registered;
            } catch (KeeperException.NodeExistsException e) {
                Optional<Stat> owner = ownerOf(path);
                long mySession = zk.getZookeeperClient().getZooKeeper().getSessionId();
                if (owner.isPresent() && owner.get().getEphemeralOwner() == mySession) {
                    zk.delete().forPath(path);
                    continue;
                }
                if (ticker.nanoTime() - deadline > 0) {
                    String holder = owner.map(s -> "session 0x" + Long.toHexString(s.getEphemeralOwner()))
                            .orElse("another session");
                    throw new IllegalStateException("Broker id " + brokerId + " is already registered at "
                            + path + " by " + holder + " (" + describe(path) + "). Broker ids must be unique: "
                            + "give this broker another runnel.broker.id");
                }
                if (!waited) {
                    log.warn("Broker id {} is registered by another session; waiting up to {} for it to expire",
                            brokerId, takenIdWait);
                    waited = true;
                }
                ticker.sleep(TAKEN_ID_POLL);
            }
        }
    }

    private Optional<Stat> ownerOf(String path) throws Exception {
        return Optional.ofNullable(zk.checkExists().forPath(path));
    }

    private String describe(String path) {
        try {
            BrokerInfo other = ClusterJson.read(zk.getData().forPath(path), BrokerInfo.class, path);
            return "advertising " + other.host() + ":" + other.kafkaPort() + ", HTTP port " + other.httpPort();
        } catch (Exception e) {
            return "details unreadable";
        }
    }

    public int brokerId() {
        return brokerId;
    }

    /** Whether ZooKeeper is reachable now. */
    public boolean connected() {
        return zk.getZookeeperClient().isConnected();
    }

    /** This broker's current registration, or null when not registered (before start, after a session loss). */
    public BrokerInfo current() {
        return registered;
    }

    public long epoch() {
        BrokerInfo info = registered;
        return info == null ? -1 : info.epoch();
    }

    @Override
    public void stateChanged(CuratorFramework client, ConnectionState newState) {
        if (newState == ConnectionState.LOST) {
            // The session and its ephemeral node are gone: this broker is out of the cluster
            // (and its health DOWN) until it registers again.
            lost = true;
            registered = null;
        } else if (newState == ConnectionState.RECONNECTED && lost) {
            lost = false;
            Thread thread = new Thread(this::reregister, "broker-reregister");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Registers again after a session loss, retrying with back-off until it succeeds or the broker stops. */
    private void reregister() {
        log.warn("Broker {} lost its ZooKeeper session; registering again", brokerId);
        long backoffMs = 500;
        while (!stopped && registered == null) {
            try {
                register();
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                log.error("Broker {} could not register again, retrying in {} ms: {}", brokerId, backoffMs,
                        e.getMessage());
                try {
                    ticker.sleep(Duration.ofMillis(backoffMs));
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoffMs = Math.min(backoffMs * 2, 10_000);
            }
        }
    }

    /** Removes the registration if it is still this session's. */
    public synchronized void deregister() {
        stopped = true;
        zk.getConnectionStateListenable().removeListener(this);
        if (!zk.getZookeeperClient().isConnected()) {
            log.warn("Broker {} is not connected to ZooKeeper; its registration goes with its session", brokerId);
            registered = null;
            return;
        }
        String path = ZkPaths.broker(brokerId);
        try {
            Stat stat = zk.checkExists().forPath(path);
            if (stat != null && stat.getEphemeralOwner() == zk.getZookeeperClient().getZooKeeper().getSessionId()) {
                zk.delete().withVersion(stat.getVersion()).forPath(path);
            }
        } catch (Exception e) {
            log.warn("Broker {} could not remove its registration: {}", brokerId, e.toString());
        }
        registered = null;
    }
}
