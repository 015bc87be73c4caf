package dev.runnel.broker.config;

import java.time.Duration;

/**
 * {@code runnel.broker.controlled-shutdown.*}: moving leaderships away before the broker stops
 * (Kafka's {@code controlled.shutdown.*}).
 */
public class ControlledShutdownProperties {

    /** Whether the broker asks the controller to move its leaderships before stopping. */
    private boolean enabled = true;

    /** Attempts before the broker stops anyway (partitions with no other in-sync replica cannot move). */
    private int maxAttempts = 3;

    /** Pause between attempts. */
    private Duration backoff = Duration.ofSeconds(1);

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public int getMaxAttempts() {
        return maxAttempts;
    }

    public void setMaxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public Duration getBackoff() {
        return backoff;
    }

    public void setBackoff(Duration backoff) {
        this.backoff = backoff;
    }
}
