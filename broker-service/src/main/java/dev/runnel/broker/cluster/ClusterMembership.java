package dev.runnel.broker.cluster;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import dev.runnel.broker.config.ControlledShutdownProperties;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.ControlledShutdownRequest;
import dev.runnel.cluster.ControlledShutdownResponse;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.ZkReads;
import dev.runnel.common.time.Ticker;

/**
 * Joins the cluster once the HTTP API is up, after checking that the log directories belong to
 * this cluster and broker ({@link LogDirIdentity}) (so the controller can reach the broker the moment it
 * sees the registration) and leaves it first on shutdown: a controlled shutdown moves this broker's
 * leaderships to other in-sync replicas, then the registration is removed.
 */
public final class ClusterMembership implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ClusterMembership.class);

    private final CuratorFramework zk;
    private final List<Path> logDirs;
    private final MetadataCache metadata;
    private final BrokerRegistration registration;
    private final ControllerClient controller;
    private final ControlledShutdownProperties settings;
    private final Ticker ticker;
    private volatile boolean running;

    public ClusterMembership(CuratorFramework zk, List<Path> logDirs, MetadataCache metadata,
            BrokerRegistration registration, ControllerClient controller, ControlledShutdownProperties settings,
            Ticker ticker) {
        this.zk = zk;
        this.ticker = ticker;
        this.metadata = metadata;
        this.logDirs = List.copyOf(logDirs);
        this.registration = registration;
        this.controller = controller;
        this.settings = settings;
    }

    @Override
    public void start() {
        try {
            String clusterId = ZkReads.clusterId(zk);
            LogDirIdentity.verify(logDirs, clusterId, registration.brokerId());
            metadata.clusterId(clusterId);
            registration.register();
        } catch (IllegalStateException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while registering the broker", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot register the broker in ZooKeeper: " + e.getMessage(), e);
        }
        running = true;
    }

    @Override
    public void stop() {
        if (!running) {
            return;
        }
        running = false;
        if (settings.isEnabled() && registration.current() != null && registration.connected()) {
            controlledShutdown();
        }
        registration.deregister();
    }

    private void controlledShutdown() {
        ControlledShutdownRequest request = new ControlledShutdownRequest(registration.current().id(),
                registration.epoch());
        for (int attempt = 1; attempt <= settings.getMaxAttempts(); attempt++) {
            try {
                ControlledShutdownResponse response = controller.controlledShutdown(request);
                if (response.error() == ClusterError.NONE && response.remainingLeaders().isEmpty()) {
                    log.info("Controlled shutdown: every leadership moved away");
                    return;
                }
                List<PartitionRef> remaining = response.remainingLeaders();
                log.info("Controlled shutdown attempt {}: {}, still leading {}", attempt, response.error(), remaining);
                if (response.error() == ClusterError.NONE && attempt > 1) {
                    return;
                }
            } catch (IOException e) {
                log.warn("Controlled shutdown attempt {} failed: {}", attempt, e.getMessage());
            }
            try {
                ticker.sleep(settings.getBackoff());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        log.warn("Controlled shutdown incomplete after {} attempts; stopping anyway", settings.getMaxAttempts());
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
