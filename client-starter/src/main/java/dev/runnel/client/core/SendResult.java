package dev.runnel.client.core;

/**
 * Where a sent record landed.
 *
 * @param topic     its topic
 * @param partition its partition
 * @param offset    its offset in the partition; -1 with acks=0, when no broker answers
 * @param timestamp its timestamp: the one given, or the producer's or the broker's clock
 */
public record SendResult(String topic, int partition, long offset, long timestamp) {
}
