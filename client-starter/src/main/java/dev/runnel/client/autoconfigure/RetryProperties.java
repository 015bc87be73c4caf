package dev.runnel.client.autoconfigure;

import java.time.Duration;

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

    public Duration getMaxInterval() {
        return maxInterval;
    }

    public void setMaxInterval(Duration maxInterval) {
        this.maxInterval = PropertyChecks.positive("listener.retry.max-interval", maxInterval);
    }
}
