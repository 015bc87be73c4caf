package dev.runnel.broker.storage;

/**
 * A record's timestamp and offset: the answer to a ListOffsets lookup by time.
 *
 * @param timestamp the record's timestamp
 * @param offset    the record's offset
 */
public record TimestampOffset(long timestamp, long offset) {
}
