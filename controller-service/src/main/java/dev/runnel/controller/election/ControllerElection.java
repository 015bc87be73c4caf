package dev.runnel.controller.election;

import java.io.IOException;
import java.util.function.Supplier;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import dev.runnel.cluster.ZkPaths;

/**
 * Joins the controller election: a Curator {@link LeaderLatch} on {@link ZkPaths#CONTROLLER}, so
 * exactly one live instance holds it. Winning starts {@link ActiveController#elected()}; losing it
 * (including a suspended ZooKeeper connection, which Curator treats as lost leadership) stops it.
 * When the active controller resigns, the latch is closed and joined again at the back of the line.
 */
public final class ControllerElection implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ControllerElection.class);

    private final CuratorFramework zk;
    private final ActiveController controller;
    private final Supplier<String> url;
    private String participantId;
    private LeaderLatch latch;
    private volatile boolean running;

    /**
     * @param url where this instance's HTTP API listens, asked for when the election starts (after
     *            the web server, so an ephemeral port is known)
     */
    public ControllerElection(CuratorFramework zk, ActiveController controller, Supplier<String> url) {
        this.zk = zk;
        this.controller = controller;
        this.url = url;
    }

    @Override
    public synchronized void start() {
        String myUrl = url.get();
        participantId = controller.controllerId() + "@" + myUrl;
        controller.bind(this::rejoin, this::hasLeadership, myUrl);
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
        try {
            newLatch.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot join the controller election", e);
        }
        latch = newLatch;
    }

    /** Gives up the latch and joins again: called when the active controller had to resign. */
    synchronized void rejoin() {
        if (!running) {
            return;
        }
        closeLatch();
        join();
    }

    public boolean hasLeadership() {
        LeaderLatch current = latch;
        return current != null && current.hasLeadership();
    }

    @Override
    public synchronized void stop() {
        running = false;
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
