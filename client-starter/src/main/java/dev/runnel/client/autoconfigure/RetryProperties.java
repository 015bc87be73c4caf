package dev.runnel.client.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How the default error handler retries a record the listener failed on:
 * {@code runnel.client.listener.retry.*}.
 */
public class RetryProperties {

    /** Deliveries of a failing record in all, the first included; 1 means no retry. */
    private int maxAttempts = 3;

    /** The wait before the first retry. */
    private Duration initialInterval = Duration.ofSeconds(1);

    /** Each further wait is the previous one times this. */
    private double multiplier = 2.0;

    /** The longest wait between two retries. */
    private Duration maxInterval = Duration.ofSeconds(10);

    /**
     * Exceptions never retried: a record the listener fails on with one of these (or with one in
     * its causes) goes to the dead-letter topic at once. Added to Spring Kafka's own list (payloads
     * that cannot be converted, among others).
     */
    private List<Class<? extends Exception>> notRetryable = new ArrayList<>();

    public int getMaxAttempts() {
        return maxAttempts;
    }

    public void setMaxAttempts(int maxAttempts) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("runnel.client.listener.retry.max-attempts must be at least 1, not "
                    + maxAttempts);
        }
        this.maxAttempts = maxAttempts;
    }

    public Duration getInitialInterval() {
        return initialInterval;
    }

    public void setInitialInterval(Duration initialInterval) {
        this.initialInterval = PropertyChecks.positive("listener.retry.initial-interval", initialInterval);
    }

    public double getMultiplier() {
        return multiplier;
    }

    public void setMultiplier(double multiplier) {
        if (!(multiplier >= 1.0)) {
            throw new IllegalArgumentException("runnel.client.listener.retry.multiplier must be at least 1, not "
                    + multiplier);
        }
        this.multiplier = multiplier;
    }

    public List<Class<? extends Exception>> getNotRetryable() {
        return notRetryable;
    }

    public void setNotRetryable(List<Class<? extends Exception>> notRetryable) {
        this.notRetryable = notRetryable;
    }

    public Duration getMaxInterval() {
        return maxInterval;
    }

    public void setMaxInterval(Duration maxInterval) {
        this.maxInterval = PropertyChecks.positive("listener.retry.max-interval", maxInterval);
    }
}
