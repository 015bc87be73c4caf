package dev.runnel.client.listener;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.TopicPartition;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.MessageListenerContainer;

/**
 * The starter's view of one {@link LogListener}'s Spring Kafka container (a {@link
 * ConcurrentMessageListenerContainer} of {@code concurrency} single-threaded consumers): start,
 * stop, pause and resume are the container's; what Spring Kafka does not tell — live consumers,
 * lag, the seek callbacks — is added here for the health indicator, the lag gauge and tests.
 */
public class LogListenerContainer {

    private final LogListenerEndpoint endpoint;
    /** The seek callback of each running consumer, by its thread. */
    private final Map<String, SeekCallback> seekCallbacks = new LinkedHashMap<>();
    /** The last lag each consumer thread measured. */
    private final Map<String, Long> lags = new ConcurrentHashMap<>();
    private volatile MessageListenerContainer container;

    LogListenerContainer(LogListenerEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    void attach(MessageListenerContainer container) {
        this.container = container;
    }

    public String id() {
        return endpoint.getId();
    }

    public LogListenerEndpoint endpoint() {
        return endpoint;
    }

    /** The Spring Kafka container. */
    public MessageListenerContainer container() {
        return container;
    }

    /** Its consumers (threads). */
    public int concurrency() {
        return container instanceof ConcurrentMessageListenerContainer<?, ?> c ? c.getConcurrency() : 1;
    }

    public boolean isAutoStartup() {
        return container.isAutoStartup();
    }

    public void start() {
        container.start();
    }

    public void stop() {
        container.stop();
    }

    public boolean isRunning() {
        return container.isRunning();
    }

    /** Consumers whose thread runs; fewer than {@link #concurrency()} while running means some stopped on an error. */
    public int aliveConsumers() {
        if (container instanceof ConcurrentMessageListenerContainer<?, ?> c) {
            return (int) c.getContainers().stream().filter(AbstractMessageListenerContainer::isRunning).count();
        }
        return container.isRunning() ? 1 : 0;
    }

    /** Stops reading (the consumers stay in the group, polling nothing) until {@link #resume()}. */
    public void pause() {
        container.pause();
    }

    public void resume() {
        container.resume();
    }

    public boolean isPauseRequested() {
        return container.isPauseRequested();
    }

    /** Whether the pause is in effect in every consumer: records arriving now are not read until resumed. */
    public boolean isPaused() {
        return container.isContainerPaused();
    }

    /** The partitions its consumers hold now. */
    public Set<TopicPartition> assignment() {
        Collection<TopicPartition> assigned = container == null ? null : container.getAssignedPartitions();
        return assigned == null ? Set.of() : Set.copyOf(assigned);
    }

    /** Records its consumers are behind the end of their partitions, as of their last listener calls. */
    public long lag() {
        return lags.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The seek callback of each running consumer, in the order they started. */
    public List<SeekCallback> seekCallbacks() {
        synchronized (seekCallbacks) {
            return List.copyOf(seekCallbacks.values());
        }
    }

    /** On the consumer's thread; Spring Kafka tells it again after each rebalance. */
    void seekCallbackRegistered(SeekCallback callback) {
        synchronized (seekCallbacks) {
            seekCallbacks.putIfAbsent(Thread.currentThread().getName(), callback);
        }
    }

    /** On the consumer's thread, as it stops. */
    void seekCallbackUnregistered() {
        synchronized (seekCallbacks) {
            seekCallbacks.remove(Thread.currentThread().getName());
        }
        lags.remove(Thread.currentThread().getName());
    }

    void lagMeasured(String consumerThread, long lag) {
        lags.put(consumerThread, lag);
    }
}
