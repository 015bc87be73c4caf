package dev.runnel.cluster;

/** Broker to controller: move my leaderships away, I am about to stop. */
public record ControlledShutdownRequest(int brokerId, long brokerEpoch) {
}
