package dev.runnel.broker.group;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.UUID;

import org.apache.kafka.common.message.ConsumerProtocolAssignment;
import org.apache.kafka.common.message.ConsumerProtocolSubscription;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageUtil;

/**
 * The classic consumer protocol's embedded bytes (protocol type "consumer"), as a consumer group
 * with classic members needs them: a member's subscription (topics, owned partitions, rack) read
 * from its JoinGroup metadata, and an assignment written for its SyncGroup, at the version of the
 * member's own metadata. The layouts are kafka-clients' {@code ConsumerProtocolSubscription} and
 * {@code ConsumerProtocolAssignment} (an int16 version, then the message); partitions go from topic
 * names to ids and back through the {@link TopicsView}, and a topic it does not know is left out.
 */
final class ClassicConsumerProtocol {

    /** The protocol type of classic consumers: the only classic members a consumer group takes. */
    static final String PROTOCOL_TYPE = "consumer";

    /** A classic member's subscription. */
    record Subscription(List<String> topics, PartitionSet ownedPartitions, String rackId) {
    }

    private ClassicConsumerProtocol() {
    }

    /**
     * Reads a subscription.
     *
     * @throws IllegalArgumentException if the bytes are not a consumer subscription
     */
    static Subscription subscription(byte[] metadata, TopicsView topics) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(metadata);
            short version = buffer.getShort();
            ConsumerProtocolSubscription s = new ConsumerProtocolSubscription(new ByteBufferAccessor(buffer),
                    (short) Math.min(version, ConsumerProtocolSubscription.HIGHEST_SUPPORTED_VERSION));
            PartitionSet.Builder owned = new PartitionSet.Builder();
            for (ConsumerProtocolSubscription.TopicPartition tp : s.ownedPartitions()) {
                topics.byName(tp.topic()).ifPresent(t -> tp.partitions().forEach(p -> owned.add(t.id(), p)));
            }
            String rack = s.rackId() == null || s.rackId().isEmpty() ? null : s.rackId();
            return new Subscription(List.copyOf(s.topics()), owned.build(), rack);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a consumer subscription: " + e.getMessage(), e);
        }
    }

    /**
     * The partitions an assignment gives (empty bytes: none).
     *
     * @throws IllegalArgumentException if the bytes are not a consumer assignment
     */
    static PartitionSet assignment(byte[] bytes, TopicsView topics) {
        PartitionSet.Builder assigned = new PartitionSet.Builder();
        if (bytes == null || bytes.length == 0) {
            return assigned.build();
        }
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            short version = buffer.getShort();
            ConsumerProtocolAssignment a = new ConsumerProtocolAssignment(new ByteBufferAccessor(buffer),
                    (short) Math.min(version, ConsumerProtocolAssignment.HIGHEST_SUPPORTED_VERSION));
            for (ConsumerProtocolAssignment.TopicPartition tp : a.assignedPartitions()) {
                topics.byName(tp.topic()).ifPresent(t -> tp.partitions().forEach(p -> assigned.add(t.id(), p)));
            }
            return assigned.build();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a consumer assignment: " + e.getMessage(), e);
        }
    }

    /**
     * The assignment bytes of {@code partitions}, at the version of {@code subscription} (the
     * member's own metadata), as Kafka answers a classic member's SyncGroup.
     */
    static byte[] assignmentBytes(PartitionSet partitions, byte[] subscription, TopicsView topics) {
        short version = subscription != null && subscription.length >= 2 ? ByteBuffer.wrap(subscription).getShort() : 0;
        version = (short) Math.max(0, Math.min(version, ConsumerProtocolAssignment.HIGHEST_SUPPORTED_VERSION));
        ConsumerProtocolAssignment a = new ConsumerProtocolAssignment();
        for (Map.Entry<UUID, SortedSet<Integer>> e : partitions.asMap().entrySet()) {
            topics.byId(e.getKey()).ifPresent(t -> a.assignedPartitions().add(
                    new ConsumerProtocolAssignment.TopicPartition().setTopic(t.name())
                            .setPartitions(new ArrayList<>(e.getValue()))));
        }
        ByteBuffer buffer = MessageUtil.toVersionPrefixedByteBuffer(version, a);
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
    }
}
