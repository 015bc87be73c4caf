package dev.runnel.controller.election;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.common.time.Scheduler;
import dev.runnel.common.time.Ticker;
import dev.runnel.controller.channel.BrokerChannels;
import dev.runnel.controller.metadata.AdminException;
import dev.runnel.controller.metadata.BrokerCommand;
import dev.runnel.controller.metadata.ClusterView;
import dev.runnel.controller.metadata.ControllerEvent;
import dev.runnel.controller.metadata.ControllerStateMachine;
import dev.runnel.controller.metadata.Decision;
import dev.runnel.controller.metadata.ZkMetadataStore;

/**
 * What runs while this instance is the active controller: one event loop thread that owns the
 * {@link ControllerStateMachine}, commits each decision to ZooKeeper, then sends its commands.
 *
 * <p>Activation (on winning the election): bump the epoch, load everything, watch broker
 * registrations, and resend the full state to every broker. Any failed commit means this controller
 * may have been deposed: it drops its state and asks the election to start over, so it either
 * leads again from freshly loaded state or stands by.
 */
public final class ActiveController implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ActiveController.class);

    /** The role of this instance. */
    public enum Role {
        /** Not elected: admin requests are forwarded to the active controller. */
        STANDBY,
        /** Elected, loading state and taking over the epoch; requests wait for ACTIVE. */
        ACTIVATING,
        /** Elected and loaded: decides and answers. */
        ACTIVE
    }

    /**
     * Settings of the active controller.
     *
     * @param leaderImbalancePercentage the share of a broker's preferred partitions led elsewhere
     *                                  above which the periodic check moves them back (0 to 100)
     */
    public record Settings(int controllerId, boolean autoLeaderRebalance, Duration leaderRebalanceInterval,
            int leaderImbalancePercentage) {

        public Settings {
            if (leaderImbalancePercentage < 0 || leaderImbalancePercentage > 100) {
                throw new IllegalArgumentException("runnel.controller.leader-rebalance.imbalance-per-broker-percentage"
                        + " must be between 0 and 100, not " + leaderImbalancePercentage);
            }
            if (autoLeaderRebalance && (leaderRebalanceInterval == null || leaderRebalanceInterval.isNegative()
                    || leaderRebalanceInterval.isZero())) {
                throw new IllegalArgumentException("runnel.controller.leader-rebalance.interval must be positive, not "
                        + leaderRebalanceInterval);
            }
        }
    }

    private final CuratorFramework zk;
    private final Settings settings;
    private final InternalHttpClient http;
    private final Scheduler scheduler;
    private final Clock clock;
    private final Ticker ticker;
    private final RandomGenerator random;
    private final ExecutorService loop;
    private volatile Runnable restartElection = () -> { };
    private volatile BooleanSupplier leadership = () -> false;
    private volatile String url;
    private volatile Supplier<String> latchPath = () -> null;

    private volatile Role role = Role.STANDBY;
    private volatile ClusterView view;
    private ControllerStateMachine machine;
    private ZkMetadataStore store;
    private volatile BrokerChannels channels;
    private CuratorCache brokerWatch;
    private Scheduler.ScheduledTask rebalanceTask;

    /**
     * @param scheduler the periodic preferred-leader check
     * @param clock     the wall clock of the broker channels' lag
     * @param ticker    deadlines and back-offs of loading and of the broker channels
     */
    public ActiveController(CuratorFramework zk, Settings settings, InternalHttpClient http, Scheduler scheduler,
            Clock clock, Ticker ticker, RandomGenerator random) {
        this.zk = zk;
        this.settings = settings;
        this.http = http;
        this.scheduler = scheduler;
        this.clock = clock;
        this.ticker = ticker;
        this.random = random;
        this.loop = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "controller-event-loop");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects the election: {@code restart} gives up leadership and rejoins, {@code leadership}
     * tells whether this instance holds it now, {@code url} is where this instance's API listens,
     * {@code latchPath} is this instance's election node.
     */
    void bind(Runnable restart, BooleanSupplier leadership, String url, Supplier<String> latchPath) {
        this.restartElection = restart;
        this.leadership = leadership;
        this.url = url;
        this.latchPath = latchPath;
    }

    public Role role() {
        return role;
    }

    /** The model as of the last committed event, or null unless active. */
    public ClusterView view() {
        return role == Role.ACTIVE ? view : null;
    }

    /** How far each broker's metadata is behind this controller's; empty unless active. */
    public List<BrokerChannels.BrokerLag> brokerLag() {
        BrokerChannels current = role == Role.ACTIVE ? channels : null;
        return current == null ? List.of() : current.lag();
    }

    public int controllerId() {
        return settings.controllerId();
    }

    /** Called when the election chose this instance. */
    void elected() {
        loop.execute(this::activate);
    }

    /** Called when the election no longer chooses this instance. */
    void notElected() {
        loop.execute(() -> deactivate("leadership lost"));
    }

    /**
     * Hands {@code event} to the event loop.
     *
     * @return the decision's reply; fails with {@link AdminException} for a refused request, or
     *         NOT_CONTROLLER when this instance is not (or stops being) the active controller
     */
    public CompletableFuture<Object> submit(ControllerEvent event) {
        CompletableFuture<Object> reply = new CompletableFuture<>();
        loop.execute(() -> {
            if (machine == null) {
                reply.completeExceptionally(notController());
                return;
            }
            try {
                Decision decision = machine.handle(event);
                if (apply(decision)) {
                    reply.complete(decision.reply());
                } else {
                    reply.completeExceptionally(notController());
                }
            } catch (AdminException e) {
                reply.completeExceptionally(e);
            } catch (RuntimeException e) {
                log.error("Controller event {} failed; reloading from ZooKeeper", event, e);
                reply.completeExceptionally(e);
                resign("event " + event.getClass().getSimpleName() + " failed: " + e);
            }
        });
        return reply;
    }

    private void activate() {
        if (machine != null || !leadership.getAsBoolean()) {
            return;
        }
        role = Role.ACTIVATING;
        try {
            store = new ZkMetadataStore(zk, ticker);
            int epoch = store.takeOver(settings.controllerId(), url, latchPath.get());
            // Watch before loading: a registration that changes in between reaches the loop as an
            // event, which runs after this activation.
            watchBrokers();
            machine = new ControllerStateMachine(settings.controllerId(), epoch, store.load(), random);
            channels = new BrokerChannels(http, epoch, Duration.ofSeconds(2), clock, ticker,
                    reason -> loop.execute(() -> newerEpochSeen(reason)));
            log.info("Controller {} is active with epoch {}", settings.controllerId(), epoch);
            if (!apply(machine.activate())) {
                return;
            }
            if (settings.autoLeaderRebalance()) {
                rebalanceTask = scheduler.schedulePeriodically("preferred-leader-check",
                        () -> submit(new ControllerEvent.PreferredLeaderCheck(settings.leaderImbalancePercentage())),
                        settings.leaderRebalanceInterval(), settings.leaderRebalanceInterval());
            }
            role = Role.ACTIVE;
        } catch (Exception e) {
            log.warn("Controller {} could not take over: {}", settings.controllerId(), e.toString());
            resign("activation failed");
        }
    }

    /** Commits and sends a decision; false if the commit failed and this controller resigned. */
    private boolean apply(Decision decision) {
        try {
            store.commit(decision.writes());
        } catch (Exception e) {
            resign("a ZooKeeper write was refused or failed (" + e + ")");
            return false;
        }
        ClusterView committed = machine.view();
        for (BrokerCommand command : decision.commands()) {
            BrokerInfo broker = committed.brokers().get(command.brokerId());
            if (broker != null) {
                channels.send(command, broker);
            }
        }
        view = committed;
        return true;
    }

    private void watchBrokers() {
        brokerWatch = CuratorCache.build(zk, ZkPaths.BROKER_IDS);
        brokerWatch.listenable().addListener(CuratorCacheListener.builder()
                .forCreatesAndChanges((before, node) -> brokerChanged(node.getPath(), node.getData(),
                        node.getStat().getCzxid()))
                .forDeletes(node -> brokerGone(node.getPath()))
                .build());
        brokerWatch.start();
    }

    private void brokerChanged(String path, byte[] data, long czxid) {
        if (path.equals(ZkPaths.BROKER_IDS)) {
            return;
        }
        BrokerInfo broker = ClusterJson.read(data, BrokerInfo.class, path).withEpoch(czxid);
        submit(new ControllerEvent.BrokerUp(broker));
    }

    private void brokerGone(String path) {
        if (path.equals(ZkPaths.BROKER_IDS)) {
            return;
        }
        int id = Integer.parseInt(path.substring(path.lastIndexOf('/') + 1));
        loop.execute(() -> {
            if (channels != null) {
                channels.brokerGone(id);
            }
        });
        submit(new ControllerEvent.BrokerDown(id));
    }

    /**
     * A broker refused a command for its controller epoch. If ZooKeeper shows another controller
     * took over, this one resigns; if the epoch is still ours, the broker's claim is wrong (for
     * instance ZooKeeper's data was reset) and resigning would only start a loop of elections.
     */
    private void newerEpochSeen(String reason) {
        if (store == null) {
            return;
        }
        try {
            if (store.holdsEpoch()) {
                log.error("Controller {} keeps its epoch, which ZooKeeper still holds, although {}",
                        settings.controllerId(), reason);
                return;
            }
        } catch (Exception e) {
            log.warn("Cannot read the controller epoch: {}", e.toString());
        }
        resign(reason);
    }

    /** Drops all state and restarts the election: this instance leads again only from fresh state. */
    private void resign(String reason) {
        if (machine == null && role == Role.STANDBY) {
            return;
        }
        log.warn("Controller {} resigns: {}", settings.controllerId(), reason);
        deactivate(reason);
        restartElection.run();
    }

    private void deactivate(String reason) {
        if (role != Role.STANDBY) {
            log.info("Controller {} stands by ({})", settings.controllerId(), reason);
        }
        role = Role.STANDBY;
        machine = null;
        view = null;
        store = null;
        if (rebalanceTask != null) {
            rebalanceTask.cancel();
            rebalanceTask = null;
        }
        if (brokerWatch != null) {
            brokerWatch.close();
            brokerWatch = null;
        }
        if (channels != null) {
            channels.close();
            channels = null;
        }
    }

    private static AdminException notController() {
        return new AdminException(AdminException.Reason.NOT_CONTROLLER,
                "This controller is not active (it stands by or is changing over); retry");
    }

    @Override
    public void close() {
        if (loop.isShutdown()) {
            return;
        }
        loop.execute(() -> deactivate("shutting down"));
        loop.shutdown();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
