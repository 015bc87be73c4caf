package dev.runnel.client.listener;

import java.time.Duration;

/**
 * Exponential back-off for a failing record: {@code maxAttempts} deliveries in all, the waits
 * starting at {@code initialInterval} and growing by {@code multiplier} up to {@code maxInterval}.
 */
public record BackOff(int maxAttempts, Duration initialInterval, double multiplier, Duration maxInterval) {

    public BackOff {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        if (multiplier < 1.0) {
            throw new IllegalArgumentException("multiplier must be at least 1");
        }
    }

    /** The wait after the {@code attempt}-th failed delivery, or null when no attempt is left. */
    public Duration after(int attempt) {
        if (attempt >= maxAttempts) {
            return null;
        }
        double millis = initialInterval.toMillis() * Math.pow(multiplier, attempt - 1);
        return Duration.ofMillis((long) Math.min(millis, maxInterval.toMillis()));
    }
}
