package dev.runnel.cluster;

/** Broker to controller: give me a new block of producer ids. */
public record AllocateProducerIdsRequest(int brokerId, long brokerEpoch) {
}
