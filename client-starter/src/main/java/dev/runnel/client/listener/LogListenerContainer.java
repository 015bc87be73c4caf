package dev.runnel.client.listener;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;

import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumers of one {@link LogListener}: {@code concurrency} of them in the group, each on its
 * own thread. Start, stop (graceful: each finishes its record, commits and leaves the group),
 * pause and resume act on all of them.
 */
public class LogListenerContainer {

    private static final Logger log = LoggerFactory.getLogger(LogListenerContainer.class);

    private final LogListenerEndpoint endpoint;
    private final int concurrency;
    private final boolean autoStartup;
    private final Duration shutdownTimeout;
    private final Clock clock;
    private final IntFunction<ListenerConsumer> consumers;
    private final List<ListenerConsumer> running = new ArrayList<>();
    private boolean paused;

    LogListenerContainer(LogListenerEndpoint endpoint, int concurrency, boolean autoStartup, Duration shutdownTimeout,
            Clock clock, IntFunction<ListenerConsumer> consumers) {
        this.endpoint = endpoint;
        this.concurrency = concurrency;
        this.autoStartup = autoStartup;
        this.shutdownTimeout = shutdownTimeout;
        this.clock = clock;
        this.consumers = consumers;
    }

    public String id() {
        return endpoint.id();
    }

    public LogListenerEndpoint endpoint() {
        return endpoint;
    }

    public int concurrency() {
        return concurrency;
    }

    public boolean isAutoStartup() {
        return autoStartup;
    }

    /**
     * Starts the consumers, if none runs. All are made before any starts, so a consumer that cannot
     * be made (a bad setting only the client's constructor finds) leaves nothing running.
     */
    public synchronized void start() {
        if (running.stream().anyMatch(ListenerConsumer::isRunning)) {
            return;
        }
        running.clear();
        List<ListenerConsumer> made = new ArrayList<>();
        try {
            for (int i = 0; i < concurrency; i++) {
                made.add(consumers.apply(i));
            }
        } catch (RuntimeException e) {
            made.forEach(ListenerConsumer::closeUnstarted);
            throw new IllegalStateException("cannot start listener " + id() + ": " + e.getMessage(), e);
        }
        for (ListenerConsumer consumer : made) {
            if (paused) {
                consumer.pause();
            }
            Thread thread = new Thread(consumer, consumer.name());
            running.add(consumer);
            thread.start();
        }
        log.info("Started listener {} on {} with {} consumers in group {}", id(), endpoint.subscription(), concurrency,
                endpoint.groupId());
    }

    /** Asks every consumer to stop after its current record, without waiting; see {@link #stop()}. */
    public synchronized void signalStop() {
        running.forEach(ListenerConsumer::stop);
    }

    /**
     * Stops the consumers and waits (up to the shutdown timeout) until each has committed and left
     * the group. One still busy then is kept, so a later start does not run a second copy of it.
     */
    public synchronized void stop() {
        if (running.isEmpty()) {
            return;
        }
        signalStop();
        Instant deadline = clock.instant().plus(shutdownTimeout);
        for (ListenerConsumer consumer : running) {
            try {
                Duration left = Duration.between(clock.instant(), deadline);
                left = left.isNegative() ? Duration.ZERO : left;
                if (!consumer.awaitStop(left)) {
                    log.warn("Listener consumer {} did not stop within {}", consumer.name(), shutdownTimeout);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        running.removeIf(c -> !c.isRunning());
        log.info("Stopped listener {}", id());
    }

    /** Consumers whose thread is alive; fewer than {@link #concurrency()} while started means some died. */
    public synchronized int aliveConsumers() {
        return (int) running.stream().filter(ListenerConsumer::isRunning).count();
    }

    /** Whether any of its consumers runs. */
    public synchronized boolean isRunning() {
        return running.stream().anyMatch(ListenerConsumer::isRunning);
    }

    /** Stops reading (the consumers stay in the group, polling nothing) until {@link #resume()}. */
    public synchronized void pause() {
        paused = true;
        running.forEach(ListenerConsumer::pause);
    }

    public synchronized void resume() {
        paused = false;
        running.forEach(ListenerConsumer::resume);
    }

    /** Whether {@link #pause()} was called (and not yet resumed); see {@link #isPaused()}. */
    public synchronized boolean isPauseRequested() {
        return paused;
    }

    /**
     * Whether the pause is in effect in every running consumer: each applies it before its next
     * poll, so records arriving after this turned true are not read until {@link #resume()}.
     */
    public synchronized boolean isPaused() {
        return paused && !running.isEmpty() && running.stream().allMatch(ListenerConsumer::isPaused);
    }

    /** The partitions its consumers hold now. */
    public synchronized Set<TopicPartition> assignment() {
        Set<TopicPartition> all = new HashSet<>();
        running.forEach(c -> all.addAll(c.assignment()));
        return all;
    }

    /** Records its consumers are behind the end of their partitions, as of their last polls. */
    public synchronized long lag() {
        return running.stream().mapToLong(ListenerConsumer::lag).sum();
    }

    /** Seeks of each running consumer, in the order they were started. */
    public synchronized List<SeekCallback> seekCallbacks() {
        return running.stream().map(c -> c.seeks).toList();
    }
}
