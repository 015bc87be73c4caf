package dev.runnel.clustertest;

import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The fault scheduler: starts faults of random {@link NemesisFault.Kind kinds} at random moments,
 * each on a thread of its own that injects the fault, holds it, heals it and waits until the
 * cluster has taken the healed nodes back, so faults overlap in time.
 *
 * <p>What may be broken at once is bounded by a budget that replication factor 3 with
 * {@code min.insync.replicas=2} survives: at most two of the three brokers and one of the two
 * controllers impaired (down, stopped, cut off, or re-registering after a session expiry), each
 * node by one fault at a time. A fault that does not fit waits for a later turn. With two brokers
 * impaired partitions go offline or refuse acks=all writes; they come back once a fault heals.
 *
 * <p>The choices (kinds, victims, durations) come from one seeded {@link Random}; the moments
 * depend on how fast the cluster answers, so a seed repeats the choices, not the exact schedule.
 * Until every kind has run, only kinds that have not run yet start (each as soon as it fits), so
 * a short run sees every kind; after that, every other fault is of the kind that has run least
 * (waited for a while), the others of any kind that fits.
 */
final class Nemesis {

    private static final int MAX_BROKERS_IMPAIRED = 2;
    private static final int MAX_CONTROLLERS_IMPAIRED = 1;

    private final NemesisCluster cluster;
    private final Random random;
    private final Duration minGap;
    private final Duration maxGap;
    private final NemesisFault.Context context;
    private final Set<Integer> impairedBrokers = new HashSet<>();
    private final Set<Integer> impairedControllers = new HashSet<>();
    private final Map<Integer, NemesisFault> reservations = new java.util.HashMap<>();
    private final Map<NemesisFault.Kind, Integer> counts = new EnumMap<>(NemesisFault.Kind.class);
    private final List<Thread> running = new ArrayList<>();
    private final ConcurrentLinkedQueue<String> healFailures = new ConcurrentLinkedQueue<>();
    private final long startNanos = System.nanoTime();
    private volatile long windowEnd = Long.MAX_VALUE;
    private long lastNoFit;

    Nemesis(NemesisCluster cluster, NemesisFault.Topic topic, long seed, Duration minGap, Duration maxGap) {
        this.cluster = cluster;
        this.random = new Random(seed);
        this.minGap = minGap;
        this.maxGap = maxGap;
        this.context = new NemesisFault.Context(cluster, topic, this);
        for (NemesisFault.Kind kind : NemesisFault.Kind.values()) {
            counts.put(kind, 0);
        }
    }

    /** The kinds this cluster can inject: all, but the network partition only with namespaces. */
    List<NemesisFault.Kind> kinds() {
        List<NemesisFault.Kind> kinds = new ArrayList<>(List.of(NemesisFault.Kind.values()));
        if (!cluster.network().partitionable()) {
            kinds.remove(NemesisFault.Kind.PARTITION);
        }
        return kinds;
    }

    /**
     * Starts faults for {@code window}, then waits up to {@code healDeadline} for every fault to
     * heal; a fault still running then is a heal failure, and every node is healed by force.
     */
    void run(Duration window, Duration healDeadline) throws InterruptedException {
        long end = System.nanoTime() + window.toNanos();
        windowEnd = end;
        while (System.nanoTime() < end) {
            long gap = minGap.toMillis() + (long) (random.nextDouble() * (maxGap.toMillis() - minGap.toMillis()));
            TimeUnit.MILLISECONDS.sleep(Math.min(gap, Math.max(0, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
            if (System.nanoTime() >= end) {
                break;
            }
            startOne(end);
        }
        log("fault window over; waiting for " + alive() + " active fault(s) to heal");
        long healEnd = System.nanoTime() + healDeadline.toNanos();
        for (Thread thread : List.copyOf(running)) {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(healEnd - System.nanoTime())));
            if (thread.isAlive()) {
                healFailures.add(thread.getName() + " still running " + healDeadline + " after the window");
                thread.interrupt();
                thread.join(30_000);
            }
        }
        if (!healFailures.isEmpty()) {
            context.healEverything();
        }
    }

    private long alive() {
        return running.stream().filter(Thread::isAlive).count();
    }

    /**
     * Starts a fault. While some kinds have not run yet, one of them, waiting (asking every 250 ms,
     * up to the end of the window) until one fits, so that a kind that needs much of the budget, as
     * kill2 does, gets its turn when others heal. After that, every other time the kind that has
     * run least, waiting for it up to {@code maxGap}; otherwise (or then) any kind that fits now.
     * Kinds that need little (a cut-off, a session expiry) would otherwise crowd out the others.
     */
    private void startOne(long windowEnd) throws InterruptedException {
        List<NemesisFault.Kind> kinds = kinds();
        Collections.shuffle(kinds, random);
        List<NemesisFault.Kind> unrun = new ArrayList<>(kinds.stream().filter(k -> counts.get(k) == 0).toList());
        if (!unrun.isEmpty()) {
            while (System.nanoTime() < windowEnd) {
                if (tryStart(unrun)) {
                    return;
                }
                TimeUnit.MILLISECONDS.sleep(250);
            }
            return;
        }
        if (random.nextBoolean()) {
            NemesisFault.Kind least = kinds.stream().min(java.util.Comparator.comparing(counts::get)).orElseThrow();
            long until = Math.min(windowEnd, System.nanoTime() + maxGap.toNanos());
            while (System.nanoTime() < until) {
                if (tryStart(List.of(least))) {
                    return;
                }
                TimeUnit.MILLISECONDS.sleep(250);
            }
        }
        if (!tryStart(kinds) && System.nanoTime() - lastNoFit > TimeUnit.SECONDS.toNanos(15)) {
            lastNoFit = System.nanoTime();
            log("no fault fits now (brokers impaired " + impairedBrokers() + ", controllers " + impairedControllers()
                    + ")");
        }
    }

    private boolean tryStart(List<NemesisFault.Kind> kinds) {
        for (NemesisFault.Kind kind : kinds) {
            NemesisFault fault = NemesisFault.plan(kind, context, new Random(random.nextLong()));
            if (fault == null) {
                continue;
            }
            counts.merge(kind, 1, Integer::sum);
            Thread thread = new Thread(() -> runFault(fault), "nemesis-" + kind.label() + "-" + counts.get(kind));
            thread.setDaemon(true);
            running.add(thread);
            thread.start();
            return true;
        }
        return false;
    }

    private void runFault(NemesisFault fault) {
        try {
            fault.run();
        } catch (InterruptedException e) {
            healFailures.add(fault + ": interrupted before it healed");
        } catch (Exception | AssertionError e) {
            healFailures.add(fault + ": " + e);
            log(fault + " failed to heal: " + e);
        } finally {
            fault.releaseAll();
        }
    }

    // ---- the budget ---------------------------------------------------------------------------

    /**
     * Keeps {@code broker} for the fault that waits for it ({@code by}): other faults cannot claim
     * it meanwhile, so a rolling restart is not starved by faults that keep starting.
     */
    synchronized void reserve(int broker, NemesisFault by) {
        reservations.put(broker, by);
    }

    synchronized void unreserve(int broker, NemesisFault by) {
        reservations.remove(broker, by);
    }

    /** Claims the nodes for {@code by} if they are free and the budget allows them; all or none. */
    synchronized boolean claim(NemesisFault by, Set<Integer> brokers, Set<Integer> controllers) {
        if (brokers.stream().anyMatch(b -> reservations.containsKey(b) && reservations.get(b) != by)
                || brokers.stream().anyMatch(impairedBrokers::contains)
                || controllers.stream().anyMatch(impairedControllers::contains)
                || impairedBrokers.size() + brokers.size() > MAX_BROKERS_IMPAIRED
                || impairedControllers.size() + controllers.size() > MAX_CONTROLLERS_IMPAIRED) {
            return false;
        }
        impairedBrokers.addAll(brokers);
        impairedControllers.addAll(controllers);
        return true;
    }

    synchronized void release(Set<Integer> brokers, Set<Integer> controllers) {
        impairedBrokers.removeAll(brokers);
        impairedControllers.removeAll(controllers);
    }

    synchronized Set<Integer> impairedBrokers() {
        return Set.copyOf(impairedBrokers);
    }

    synchronized Set<Integer> impairedControllers() {
        return Set.copyOf(impairedControllers);
    }

    // ---- the record -----------------------------------------------------------------------------

    /** What is left of the fault window. */
    Duration remaining() {
        return Duration.ofNanos(Math.max(0, windowEnd - System.nanoTime()));
    }

    int count(NemesisFault.Kind kind) {
        return counts.get(kind);
    }

    Map<NemesisFault.Kind, Integer> counts() {
        return Map.copyOf(counts);
    }

    List<String> healFailures() {
        return List.copyOf(healFailures);
    }

    void healFailure(String what) {
        healFailures.add(what);
        log("HEAL FAILURE " + what);
    }

    /** Prints a line of the schedule, stamped with the seconds since the nemesis began. */
    void log(String line) {
        System.out.printf("NEMESIS %s %+8.1fs %s%n", LocalTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS),
                (System.nanoTime() - startNanos) / 1e9, line);
    }
}
