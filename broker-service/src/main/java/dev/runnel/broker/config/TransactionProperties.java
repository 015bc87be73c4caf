package dev.runnel.broker.config;

import java.time.Duration;

/** {@code runnel.broker.transaction.*}: the transaction coordinator ({@code transaction.*} in Kafka). */
public class TransactionProperties {

    /** The longest {@code transaction.timeout.ms} a producer may ask for ({@code transaction.max.timeout.ms}). */
    private Duration maxTimeout = Duration.ofMinutes(15);

    /** How long an idle transactional id is kept ({@code transactional.id.expiration.ms}). */
    private Duration idExpiration = Duration.ofDays(7);

    /** How often transactions past their timeout are aborted ({@code transaction.abort.timed.out.transaction.cleanup.interval.ms}). */
    private Duration abortTimedOutInterval = Duration.ofSeconds(10);

    /** How often expired ids are removed ({@code transaction.remove.expired.transaction.cleanup.interval.ms}). */
    private Duration removeExpiredIdsInterval = Duration.ofHours(1);

    /** How long to wait before sending a marker again after a retriable failure. */
    private Duration markerRetryBackoff = Duration.ofMillis(100);

    public Duration getMaxTimeout() {
        return maxTimeout;
    }

    public void setMaxTimeout(Duration maxTimeout) {
        this.maxTimeout = maxTimeout;
    }

    public Duration getIdExpiration() {
        return idExpiration;
    }

    public void setIdExpiration(Duration idExpiration) {
        this.idExpiration = idExpiration;
    }

    public Duration getAbortTimedOutInterval() {
        return abortTimedOutInterval;
    }

    public void setAbortTimedOutInterval(Duration abortTimedOutInterval) {
        this.abortTimedOutInterval = abortTimedOutInterval;
    }

    public Duration getRemoveExpiredIdsInterval() {
        return removeExpiredIdsInterval;
    }

    public void setRemoveExpiredIdsInterval(Duration removeExpiredIdsInterval) {
        this.removeExpiredIdsInterval = removeExpiredIdsInterval;
    }

    public Duration getMarkerRetryBackoff() {
        return markerRetryBackoff;
    }

    public void setMarkerRetryBackoff(Duration markerRetryBackoff) {
        this.markerRetryBackoff = markerRetryBackoff;
    }
}
