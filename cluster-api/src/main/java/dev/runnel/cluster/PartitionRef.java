package dev.runnel.cluster;

/** A topic partition named in a request or response. */
public record PartitionRef(String topic, int partition) {

    @Override
    public String toString() {
        return topic + "-" + partition;
    }
}
