package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.UUID;

/**
 * The classic consumer protocol's embedded bytes (protocol type "consumer") as a consumer group with
 * classic members needs them: a member's subscription (topics, owned partitions, rack) read from
 * its JoinGroup metadata, and an assignment written for its SyncGroup at the version of the member's
 * own metadata. The bytes are the {@link ConsumerProtocolCodec}'s; partitions go from topic names
 * to ids and back through the {@link TopicsView}, and a topic it does not know is left out.
 */
final class ClassicConsumerProtocol {

    /** The protocol type of classic consumers: the only classic members a consumer group takes. */
    static final String PROTOCOL_TYPE = "consumer";

    /** A classic member's subscription, partitions by topic id. */
    record Subscription(List<String> topics, PartitionSet ownedPartitions, String rackId) {
    }

    private final ConsumerProtocolCodec codec;
    private final TopicsView topics;

    ClassicConsumerProtocol(ConsumerProtocolCodec codec, TopicsView topics) {
        this.codec = codec;
        this.topics = topics;
    }

    /**
     * Reads a subscription.
     *
     * @throws IllegalArgumentException if the bytes are not a consumer subscription
     */
    Subscription subscription(byte[] metadata) {
        ConsumerProtocolCodec.Subscription s = codec.subscription(metadata);
        String rack = s.rackId() == null || s.rackId().isEmpty() ? null : s.rackId();
        return new Subscription(s.topics(), byId(s.ownedPartitions()), rack);
    }

    /**
     * The partitions an assignment gives (empty bytes: none).
     *
     * @throws IllegalArgumentException if the bytes are not a consumer assignment
     */
    PartitionSet assignment(byte[] bytes) {
        return bytes == null || bytes.length == 0 ? PartitionSet.EMPTY : byId(codec.assignment(bytes));
    }

    /**
     * The assignment bytes of {@code partitions}, at the version of {@code subscription} (the
     * member's own metadata), as Kafka answers a classic member's SyncGroup.
     */
    byte[] assignmentBytes(PartitionSet partitions, byte[] subscription) {
        Map<String, List<Integer>> byName = new LinkedHashMap<>();
        for (Map.Entry<UUID, SortedSet<Integer>> e : partitions.asMap().entrySet()) {
            topics.byId(e.getKey()).ifPresent(t -> byName.put(t.name(), new ArrayList<>(e.getValue())));
        }
        return codec.assignment(byName, subscription);
    }

    private PartitionSet byId(Map<String, List<Integer>> byName) {
        PartitionSet.Builder b = new PartitionSet.Builder();
        byName.forEach((name, ps) -> topics.byName(name).ifPresent(t -> ps.forEach(p -> b.add(t.id(), p))));
        return b.build();
    }
}
