package dev.runnel.client.autoconfigure;

import java.time.Duration;

import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.kafka.listener.ContainerProperties.AckMode;

/** The {@code @LogListener} containers: {@code runnel.client.listener.*}. */
public class ListenerProperties {

    /** Consumers (threads) per container, unless the listener says otherwise. */
    private int concurrency = 1;

    /**
     * When offsets are committed (Spring Kafka's ack modes): after each poll's records (BATCH), each
     * record (RECORD), or what the listener acknowledged (MANUAL, MANUAL_IMMEDIATE); also TIME,
     * COUNT, COUNT_TIME.
     */
    private AckMode ackMode = AckMode.BATCH;

    /** How long one poll waits for records. */
    private Duration pollTimeout = Duration.ofSeconds(1);

    /** Whether containers start with the application. */
    private boolean autoStartup = true;

    /** How long stopping waits for a container's consumers to finish their records and commit. */
    private Duration shutdownTimeout = Duration.ofSeconds(30);

    @NestedConfigurationProperty
    private final RetryProperties retry = new RetryProperties();

    @NestedConfigurationProperty
    private final DeadLetterProperties deadLetter = new DeadLetterProperties();

    public int getConcurrency() {
        return concurrency;
    }

    public void setConcurrency(int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("runnel.client.listener.concurrency must be at least 1, not "
                    + concurrency);
        }
        this.concurrency = concurrency;
    }

    public AckMode getAckMode() {
        return ackMode;
    }

    public void setAckMode(AckMode ackMode) {
        this.ackMode = ackMode;
    }

    public Duration getPollTimeout() {
        return pollTimeout;
    }

    public void setPollTimeout(Duration pollTimeout) {
        this.pollTimeout = PropertyChecks.positive("listener.poll-timeout", pollTimeout);
    }

    public boolean isAutoStartup() {
        return autoStartup;
    }

    public void setAutoStartup(boolean autoStartup) {
        this.autoStartup = autoStartup;
    }

    public Duration getShutdownTimeout() {
        return shutdownTimeout;
    }

    public void setShutdownTimeout(Duration shutdownTimeout) {
        this.shutdownTimeout = PropertyChecks.positive("listener.shutdown-timeout", shutdownTimeout);
    }

    public RetryProperties getRetry() {
        return retry;
    }

    public DeadLetterProperties getDeadLetter() {
        return deadLetter;
    }
}
