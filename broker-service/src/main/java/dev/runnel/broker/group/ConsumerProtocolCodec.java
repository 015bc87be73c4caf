package dev.runnel.broker.group;

import java.util.List;
import java.util.Map;

/**
 * The bytes classic consumers embed in JoinGroup and SyncGroup (protocol type "consumer"), by topic
 * name: what a consumer group needs to take classic members and to convert between the protocols
 * (Kafka's online migration). Implemented over kafka-clients by the application, so this package
 * stays free of it.
 */
public interface ConsumerProtocolCodec {

    /** A classic consumer's subscription: its topics, the partitions it owns (by topic), its rack (or null). */
    record Subscription(List<String> topics, Map<String, List<Integer>> ownedPartitions, String rackId) {

        public Subscription {
            topics = List.copyOf(topics);
            ownedPartitions = Map.copyOf(ownedPartitions);
        }
    }

    /**
     * Reads a subscription.
     *
     * @throws IllegalArgumentException if the bytes are not a consumer subscription
     */
    Subscription subscription(byte[] metadata);

    /**
     * The partitions an assignment gives, by topic (empty bytes: none).
     *
     * @throws IllegalArgumentException if the bytes are not a consumer assignment
     */
    Map<String, List<Integer>> assignment(byte[] assignment);

    /** The assignment bytes of {@code partitions}, at the version of {@code subscription} (the member's metadata). */
    byte[] assignment(Map<String, List<Integer>> partitions, byte[] subscription);
}
