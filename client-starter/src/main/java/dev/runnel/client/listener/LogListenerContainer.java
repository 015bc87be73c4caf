package dev.runnel.client.listener;

import java.time.Duration;
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
    private final IntFunction<ListenerConsumer> consumers;
    private final List<ListenerConsumer> running = new ArrayList<>();
    private boolean paused;

    LogListenerContainer(LogListenerEndpoint endpoint, int concurrency, boolean autoStartup, Duration shutdownTimeout,
            IntFunction<ListenerConsumer> consumers) {
        this.endpoint = endpoint;
        this.concurrency = concurrency;
        this.autoStartup = autoStartup;
        this.shutdownTimeout = shutdownTimeout;
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

    /** Starts the consumers, if they are not running. */
    public synchronized void start() {
        if (!running.isEmpty()) {
            return;
        }
        for (int i = 0; i < concurrency; i++) {
            ListenerConsumer consumer = consumers.apply(i);
            if (paused) {
                consumer.pause();
            }
            Thread thread = new Thread(consumer, consumer.name());
            thread.setDaemon(false);
            running.add(consumer);
            thread.start();
        }
        log.info("Started listener {} on {} with {} consumers in group {}", id(), endpoint.subscription(), concurrency,
                endpoint.groupId());
    }

    /** Stops the consumers and waits (up to the shutdown timeout) until each has committed and left the group. */
    public synchronized void stop() {
        running.forEach(ListenerConsumer::stop);
        long deadline = System.nanoTime() + shutdownTimeout.toNanos();
        for (ListenerConsumer consumer : running) {
            try {
                Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
                if (!consumer.awaitStop(left)) {
                    log.warn("Listener consumer {} did not stop within {}", consumer.name(), shutdownTimeout);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        running.clear();
        log.info("Stopped listener {}", id());
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
