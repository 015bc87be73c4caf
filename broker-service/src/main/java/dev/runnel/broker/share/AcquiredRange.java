package dev.runnel.broker.share;

/** Consecutive offsets acquired by one fetch, all at the same delivery count (the wire's AcquiredRecords). */
public record AcquiredRange(long firstOffset, long lastOffset, short deliveryCount) {

    long count() {
        return lastOffset - firstOffset + 1;
    }
}
