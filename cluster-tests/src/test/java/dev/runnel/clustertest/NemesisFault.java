package dev.runnel.clustertest;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.admin.NewPartitions;
import org.awaitility.core.ConditionTimeoutException;

import dev.runnel.cluster.PartitionInfo;

/**
 * One fault of the {@link Nemesis}: planned (victims chosen and claimed from the budget), then
 * run on its own thread: inject, hold, heal, and wait until the cluster has the nodes back
 * (registered again, or answering as a controller). A wait that runs out is a heal failure, which
 * fails the run. Whatever happens, a fault leaves its nodes running, continued and connected.
 */
abstract class NemesisFault {

    /** The kinds of fault, with their names in the {@code NEMESIS-RUN} line. */
    enum Kind {
        /** {@code kill -9} of two brokers at once: partitions go offline until they restart. */
        KILL2("kill2"),
        /** {@code kill -9} of a partition's leader and of the active controller: the standby takes over. */
        LEADER_AND_CONTROLLER("leaderAndController"),
        /** SIGSTOP of a partition's leader for longer than the session timeout, then SIGCONT: a zombie leader. */
        STOP("stop"),
        /** Expiry of a broker's ZooKeeper session at the server; the broker keeps running. */
        ZK_EXPIRY("zkExpiry"),
        /** A broker or the active controller cut off from the other nodes and ZooKeeper, not from clients. */
        PARTITION("partition"),
        /** SIGTERM (controlled shutdown) and restart of each broker in turn; the topic grows meanwhile. */
        ROLLING("rolling");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }
    }

    /** The topic under test: its name and its partition count, which rolling restarts grow. */
    record Topic(String name, AtomicInteger partitions) {
    }

    /** What faults work with. */
    static final class Context {
        final NemesisCluster cluster;
        final Topic topic;
        final Nemesis nemesis;
        final AtomicBoolean rolling = new AtomicBoolean();

        Context(NemesisCluster cluster, Topic topic, Nemesis nemesis) {
            this.cluster = cluster;
            this.topic = topic;
            this.nemesis = nemesis;
        }

        /** Continues, reconnects and restarts every node: after a fault that did not heal itself. */
        void healEverything() {
            for (NodeProcess node : cluster.nodes()) {
                try {
                    if (cluster.network().partitionable()) {
                        cluster.network().heal(node.name());
                    }
                    if (node.isAlive()) {
                        node.signal("CONT");
                    } else {
                        cluster.restart(node.name());
                    }
                } catch (Exception e) {
                    nemesis.log("could not heal " + node.name() + ": " + e);
                }
            }
        }
    }

    static final Duration BACK_DEADLINE = Duration.ofSeconds(120);

    final Kind kind;
    final Context ctx;
    final Random random;
    private final List<Integer> brokers = new ArrayList<>();
    private final List<Integer> controllers = new ArrayList<>();
    String description = "";

    NemesisFault(Kind kind, Context ctx, Random random) {
        this.kind = kind;
        this.ctx = ctx;
        this.random = random;
    }

    /** A fault of {@code kind} with its victims claimed, or null when none fits the budget now. */
    static NemesisFault plan(Kind kind, Context ctx, Random random) {
        NemesisFault fault = switch (kind) {
            case KILL2 -> new NemesisFaults.KillTwoBrokers(ctx, random);
            case LEADER_AND_CONTROLLER -> new NemesisFaults.KillLeaderAndController(ctx, random);
            case STOP -> new NemesisFaults.StopLeader(ctx, random);
            case ZK_EXPIRY -> new NemesisFaults.ExpireSession(ctx, random);
            case PARTITION -> new NemesisFaults.CutOff(ctx, random);
            case ROLLING -> new NemesisFaults.RollingRestart(ctx, random);
        };
        try {
            return fault.choose() ? fault : null;
        } catch (Exception e) {
            fault.releaseAll();
            return null;
        }
    }

    /** Chooses and claims the victims; false (nothing claimed) when none fits now. */
    abstract boolean choose() throws Exception;

    /** Injects, holds, heals and waits for the nodes to be back. */
    abstract void run() throws Exception;

    // ---- claims ---------------------------------------------------------------------------------

    boolean claim(Set<Integer> brokerIds, Set<Integer> controllerIds) {
        if (ctx.nemesis.claim(this, brokerIds, controllerIds)) {
            brokers.addAll(brokerIds);
            controllers.addAll(controllerIds);
            return true;
        }
        return false;
    }

    void release(Set<Integer> brokerIds, Set<Integer> controllerIds) {
        ctx.nemesis.release(brokerIds, controllerIds);
        brokers.removeAll(brokerIds);
        controllers.removeAll(controllerIds);
    }

    final void releaseAll() {
        ctx.nemesis.release(Set.copyOf(brokers), Set.copyOf(controllers));
        brokers.clear();
        controllers.clear();
    }

    // ---- choosing -------------------------------------------------------------------------------

    /** The partitions' leaders as the controllers committed them, in random order; empty if unknown. */
    List<PartitionInfo> partitionsShuffled() {
        try {
            List<PartitionInfo> partitions = new ArrayList<>(ctx.cluster.topic(ctx.topic.name()).partitions());
            Collections.shuffle(partitions, random);
            return partitions;
        } catch (Exception e) {
            return List.of();
        }
    }

    List<Integer> brokersShuffled() {
        List<Integer> ids = new ArrayList<>(ctx.cluster.brokerIds());
        Collections.shuffle(ids, random);
        return ids;
    }

    Duration between(Duration from, Duration to) {
        return from.plusMillis((long) (random.nextDouble() * (to.toMillis() - from.toMillis())));
    }

    // ---- injecting and waiting ------------------------------------------------------------------

    NodeProcess node(String name) {
        return ctx.cluster.node(name);
    }

    void log(String line) {
        ctx.nemesis.log(kind.label() + ": " + line);
    }

    static void hold(Duration duration) throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep(duration.toMillis());
    }

    /** Waits until the broker is registered again, with another session than {@code notSession} (0: any). */
    void awaitBrokerBack(int broker, long notSession) {
        try {
            await("broker " + broker + " registered again").atMost(BACK_DEADLINE).pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions().until(() -> {
                        long session = ctx.cluster.registrationSession(broker);
                        return session != 0 && session != notSession
                                && ctx.cluster.registeredBrokers().contains(broker);
                    });
        } catch (ConditionTimeoutException e) {
            ctx.nemesis.healFailure(this + ": broker " + broker + " not registered " + BACK_DEADLINE + " after healing");
        }
    }

    /** Waits until the controller answers again and some controller is active. */
    void awaitControllerBack(int controller) {
        try {
            await("controller " + controller + " back").atMost(BACK_DEADLINE).pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions().until(() -> ctx.cluster.controllerStatus(controller).role() != null
                            && ctx.cluster.activeController() > 0);
        } catch (ConditionTimeoutException e) {
            ctx.nemesis.healFailure(this + ": controller " + controller + " not back " + BACK_DEADLINE + " after healing");
        }
    }

    /**
     * Waits, at most {@code deadline}, until the broker is in the ISR of every partition it holds,
     * as a careful rolling restart does before the next broker; other faults may keep it out, so
     * running out of time is only logged.
     */
    void awaitInIsr(int broker, Duration deadline) {
        try {
            await("broker " + broker + " in sync").atMost(deadline).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions().until(() -> ctx.cluster.topic(ctx.topic.name()).partitions().stream()
                            .filter(p -> p.replicas().contains(broker)).allMatch(p -> p.state().isr().contains(broker)));
        } catch (ConditionTimeoutException e) {
            log("broker-" + broker + " not in every ISR within " + deadline + "; going on");
        }
    }

    /** Restarts the node if its process is gone (killed, or exited by itself). */
    void restartIfDead(String name) throws Exception {
        NodeProcess process = node(name);
        if (process == null || !process.isAlive()) {
            ctx.cluster.restart(name);
        }
    }

    /** Grows the topic by one partition, retrying until {@code deadline}; whether it grew. */
    boolean growTopic(Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        while (System.nanoTime() < end) {
            try {
                int current = ctx.cluster.topic(ctx.topic.name()).partitions().size();
                int target = current + 1;
                List<Integer> replicas = new ArrayList<>(ctx.cluster.brokerIds());
                Collections.rotate(replicas, -(current % replicas.size()));
                ctx.topic.partitions().accumulateAndGet(target, Math::max);
                ctx.cluster.admin().createPartitions(Map.of(ctx.topic.name(),
                        NewPartitions.increaseTo(target, List.of(replicas)))).all().get(30, TimeUnit.SECONDS);
                log("grew " + ctx.topic.name() + " from " + current + " to " + target + " partitions, replicas "
                        + replicas);
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (Exception e) {
                log("CreatePartitions failed, retrying: " + e);
                try {
                    hold(Duration.ofSeconds(2));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return kind.label() + "(" + description + ")";
    }
}
