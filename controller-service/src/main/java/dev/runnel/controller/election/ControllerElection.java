package dev.runnel.controller.election;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import dev.runnel.cluster.ZkPaths;
import dev.runnel.common.time.Ticker;

/**
 * Joins the controller election: a Curator {@link LeaderLatch} on {@link ZkPaths#CONTROLLER}, so
 * exactly one live instance holds it. Winning starts {@link ActiveController#elected()}; losing it
 * (including a suspended ZooKeeper connection, which Curator treats as lost leadership) stops it.
 * When the active controller resigns, the latch is closed and joined again at the back of the line.
 */
public final class ControllerElection implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ControllerElection.class);
    /** Beyond the session timeout, for ZooKeeper to expire a dead session and delete its nodes. */
    private static final long TAKEN_ID_MARGIN_MS = 4_000;
    /** ZooKeeper's own default, if the negotiated timeout cannot be read. */
    private static final long DEFAULT_SESSION_TIMEOUT_MS = 30_000;

    private final CuratorFramework zk;
    private final ActiveController controller;
    private final Supplier<String> url;
    private final Ticker ticker;
    private final ScheduledExecutorService rejoins = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "controller-election-rejoin");
        t.setDaemon(true);
        return t;
    });
    private String participantId;
    private volatile LeaderLatch latch;
    private volatile boolean running;
    private long lastRejoinNanos;
    private long rejoinDelayMs;

    /**
     * @param url where this instance's HTTP API listens, asked for when the election starts (after
     *            the web server, so an ephemeral port is known)
     * @param ticker how long ago the last rejoin was
     */
    public ControllerElection(CuratorFramework zk, ActiveController controller, Supplier<String> url, Ticker ticker) {
        this.zk = zk;
        this.controller = controller;
        this.url = url;
        this.ticker = ticker;
    }

    @Override
    public synchronized void start() {
        String myUrl = url.get();
        participantId = controller.controllerId() + "@" + myUrl;
        refuseTakenId(myUrl);
        controller.bind(this::rejoin, this::hasLeadership, myUrl, this::latchPath);
        running = true;
        join();
    }

    private void join() {
        LeaderLatch newLatch = new LeaderLatch(zk, ZkPaths.CONTROLLER, participantId);
        newLatch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                log.info("Controller {} won the election", participantId);
                controller.elected();
            }

            @Override
            public void notLeader() {
                controller.notElected();
            }
        });
        // Published before start(): the listener may fire, and ask hasLeadership(), at once.
        latch = newLatch;
        try {
            newLatch.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot join the controller election", e);
        }
    }

    /**
     * Fails the start when another live participant has this controller's id: the standbys could not
     * tell it from themselves when forwarding. A participant with the same id and address is this
     * controller's previous life, whose node lasts until its session expires. One with the same id
     * and another address may be a previous life too (restarted after kill -9 on a new port or, in
     * Kubernetes, a new pod address): the start waits up to a ZooKeeper session timeout, plus a
     * little, for that node to go, and is refused only if it stays.
     */
    private void refuseTakenId(String myUrl) {
        String prefix = controller.controllerId() + "@";
        long waitNanos = TimeUnit.MILLISECONDS.toNanos(sessionTimeoutMs() + TAKEN_ID_MARGIN_MS);
        long deadline = ticker.nanoTime() + waitNanos;
        boolean told = false;
        try {
            for (;;) {
                String[] taken = takenBy(prefix, myUrl);
                if (taken == null) {
                    return;
                }
                long left = deadline - ticker.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("Controller id " + controller.controllerId()
                            + " is already taken by the controller at " + taken[1].substring(prefix.length())
                            + ". Controller ids must be unique: give this one another runnel.controller.id");
                }
                if (!told) {
                    log.info("Controller id {} is registered by {}; waiting up to {} ms for it to go, in case it is "
                            + "this controller's previous life whose ZooKeeper session has not expired yet",
                            controller.controllerId(), taken[1], TimeUnit.NANOSECONDS.toMillis(left));
                    told = true;
                }
                CountDownLatch changed = new CountDownLatch(1);
                if (zk.checkExists().usingWatcher((CuratorWatcher) event -> changed.countDown())
                        .forPath(taken[0]) != null) {
                    changed.await(Math.min(left, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
                }
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the controller id", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the controller election from ZooKeeper: " + e.getMessage(), e);
        }
    }

    /** The path and data of another participant with this id and another address, or null. */
    private String[] takenBy(String prefix, String myUrl) throws Exception {
        if (zk.checkExists().forPath(ZkPaths.CONTROLLER) == null) {
            return null;
        }
        for (String child : zk.getChildren().forPath(ZkPaths.CONTROLLER)) {
            String path = ZkPaths.CONTROLLER + "/" + child;
            byte[] data;
            try {
                data = zk.getData().forPath(path);
            } catch (KeeperException.NoNodeException e) {
                continue; // a participant left while we looked
            }
            String other = data == null ? "" : new String(data, StandardCharsets.UTF_8);
            if (other.startsWith(prefix) && !other.equals(prefix + myUrl)) {
                return new String[] {path, other};
            }
        }
        return null;
    }

    /** The negotiated ZooKeeper session timeout: how long a killed participant's node can outlive it. */
    private long sessionTimeoutMs() {
        try {
            return zk.getZookeeperClient().getZooKeeper().getSessionTimeout();
        } catch (Exception e) {
            return DEFAULT_SESSION_TIMEOUT_MS;
        }
    }

    private String latchPath() {
        LeaderLatch current = latch;
        return current == null ? null : current.getOurPath();
    }

    /**
     * Gives up the latch and joins again: called when the active controller had to resign. Resigning
     * again soon after backs off (up to 30 s), so a fault that recurs at every takeover does not
     * spin elections and epochs.
     */
    synchronized void rejoin() {
        if (!running) {
            return;
        }
        closeLatch();
        long now = ticker.nanoTime();
        boolean recent = lastRejoinNanos != 0 && now - lastRejoinNanos < TimeUnit.MINUTES.toNanos(1);
        rejoinDelayMs = recent ? Math.min(Math.max(rejoinDelayMs * 2, 500), 30_000) : 0;
        lastRejoinNanos = now;
        if (rejoinDelayMs > 0) {
            log.warn("Controller {} rejoins the election in {} ms", participantId, rejoinDelayMs);
        }
        rejoins.schedule(this::joinIfRunning, rejoinDelayMs, TimeUnit.MILLISECONDS);
    }

    private synchronized void joinIfRunning() {
        if (running && latch == null) {
            join();
        }
    }

    public boolean hasLeadership() {
        LeaderLatch current = latch;
        return current != null && current.hasLeadership();
    }

    @Override
    public synchronized void stop() {
        running = false;
        rejoins.shutdownNow();
        closeLatch();
        controller.close();
    }

    private void closeLatch() {
        if (latch != null) {
            try {
                latch.close(LeaderLatch.CloseMode.NOTIFY_LEADER);
            } catch (IOException | IllegalStateException e) {
                log.debug("closing the election latch: {}", e.toString());
            }
            latch = null;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
