package dev.runnel.common.process;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.time.ExecutorScheduler;
import dev.runnel.common.time.Scheduler;

/**
 * Ends this process once the process that started it is gone. A test harness passes its own pid
 * to every node it starts, so that a harness killed with {@code kill -9}, which runs no shutdown
 * hook and so cannot stop its children, still leaves no node running.
 *
 * <p>The parent is looked up every interval. It is gone when it has exited, or when its pid now
 * names another process (a different start time: pids are reused). Then the watchdog logs one
 * line and halts the JVM: shutdown hooks would wait on a cluster that went with the harness (a
 * broker's controlled shutdown asks a controller), and nobody is left to wait for them.
 *
 * <p>Thread-safe; the checks run on a daemon thread of their own.
 */
public final class ParentWatchdog implements AutoCloseable {

    /** The exit status of a process the watchdog halts. */
    public static final int EXIT_STATUS = 3;

    private static final Logger log = LoggerFactory.getLogger(ParentWatchdog.class);

    private final long parentPid;
    private final Optional<Instant> parentStart;
    private final Runnable onGone;
    private final AtomicBoolean fired = new AtomicBoolean();
    private Scheduler scheduler;

    ParentWatchdog(long parentPid, Optional<Instant> parentStart, Runnable onGone) {
        this.parentPid = parentPid;
        this.parentStart = parentStart;
        this.onGone = onGone;
    }

    /** Watches {@code parentPid} every {@code interval} and halts this JVM when it is gone. */
    public static ParentWatchdog start(long parentPid, Duration interval) {
        return start(parentPid, interval, () -> Runtime.getRuntime().halt(EXIT_STATUS));
    }

    /** As {@link #start(long, Duration)}, running {@code onGone} (once) instead of halting. */
    static ParentWatchdog start(long parentPid, Duration interval, Runnable onGone) {
        // The start time now, while the parent is alive: a later process with the same pid has another.
        Optional<Instant> started = ProcessHandle.of(parentPid).flatMap(p -> p.info().startInstant());
        ParentWatchdog watchdog = new ParentWatchdog(parentPid, started, onGone);
        watchdog.scheduler = new ExecutorScheduler("parent-watchdog", 1);
        watchdog.scheduler.schedulePeriodically("parent-watchdog", watchdog::check, Duration.ZERO, interval);
        log.info("Watching parent process {}: this process halts when it is gone", parentPid);
        return watchdog;
    }

    /** The pid watched. */
    public long parentPid() {
        return parentPid;
    }

    /** Whether the parent this watchdog was started for still runs. */
    boolean parentAlive() {
        Optional<ProcessHandle> parent = ProcessHandle.of(parentPid);
        if (parent.isEmpty() || !parent.get().isAlive()) {
            return false;
        }
        Optional<Instant> start = parent.get().info().startInstant();
        return parentStart.isEmpty() || start.isEmpty() || parentStart.equals(start);
    }

    /** One look at the parent: runs the action, once, if it is gone. */
    void check() {
        if (!parentAlive() && fired.compareAndSet(false, true)) {
            log.error("Parent process {} is gone; halting (exit status {})", parentPid, EXIT_STATUS);
            onGone.run();
        }
    }

    /** Stops watching: a process that ends normally. */
    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.close();
        }
    }
}
