package dev.runnel.broker.kafka;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.common.message.ConsumerProtocolAssignment;
import org.apache.kafka.common.message.ConsumerProtocolSubscription;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageUtil;

/** Reads the subscription a consumer sends as its member metadata in the "consumer" protocol type. */
public final class ConsumerSubscriptions {

    private ConsumerSubscriptions() {
    }

    /**
     * The topics a consumer's subscription metadata names.
     *
     * @throws IllegalArgumentException if the bytes are not a consumer subscription
     */
    public static Set<String> topics(byte[] metadata) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(metadata);
            short version = buffer.getShort();
            ConsumerProtocolSubscription subscription = new ConsumerProtocolSubscription(new ByteBufferAccessor(buffer),
                    (short) Math.min(version, ConsumerProtocolSubscription.HIGHEST_SUPPORTED_VERSION));
            return new TreeSet<>(subscription.topics());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a consumer subscription: " + e.getMessage(), e);
        }
    }

    /**
     * The partitions ({@code topic-partition}) a consumer's assignment gives it, in the assignor's order.
     *
     * @throws IllegalArgumentException if the bytes are not a consumer assignment
     */
    public static List<String> assignedPartitions(byte[] assignment) {
        List<String> partitions = new ArrayList<>();
        if (assignment == null || assignment.length == 0) {
            return partitions;
        }
        try {
            ByteBuffer buffer = ByteBuffer.wrap(assignment);
            short version = buffer.getShort();
            ConsumerProtocolAssignment decoded = new ConsumerProtocolAssignment(new ByteBufferAccessor(buffer),
                    (short) Math.min(version, ConsumerProtocolAssignment.HIGHEST_SUPPORTED_VERSION));
            for (ConsumerProtocolAssignment.TopicPartition tp : decoded.assignedPartitions()) {
                for (int p : tp.partitions()) {
                    partitions.add(tp.topic() + "-" + p);
                }
            }
            return partitions;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a consumer assignment: " + e.getMessage(), e);
        }
    }

    /** A consumer's subscription: its topics, the partitions it owns by topic, and its rack (or null). */
    public record Subscription(List<String> topics, Map<String, List<Integer>> ownedPartitions, String rackId) {
    }

    /**
     * A consumer's whole subscription metadata.
     *
     * @throws IllegalArgumentException if the bytes are not a consumer subscription
     */
    public static Subscription subscription(byte[] metadata) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(metadata);
            short version = buffer.getShort();
            ConsumerProtocolSubscription s = new ConsumerProtocolSubscription(new ByteBufferAccessor(buffer),
                    (short) Math.min(version, ConsumerProtocolSubscription.HIGHEST_SUPPORTED_VERSION));
            Map<String, List<Integer>> owned = new LinkedHashMap<>();
            for (ConsumerProtocolSubscription.TopicPartition tp : s.ownedPartitions()) {
                owned.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).addAll(tp.partitions());
            }
            return new Subscription(List.copyOf(s.topics()), owned, s.rackId());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a consumer subscription: " + e.getMessage(), e);
        }
    }

    /**
     * The partitions a consumer's assignment gives it, by topic.
     *
     * @throws IllegalArgumentException if the bytes are not a consumer assignment
     */
    public static Map<String, List<Integer>> assignment(byte[] assignment) {
        Map<String, List<Integer>> partitions = new LinkedHashMap<>();
        if (assignment == null || assignment.length == 0) {
            return partitions;
        }
        try {
            ByteBuffer buffer = ByteBuffer.wrap(assignment);
            short version = buffer.getShort();
            ConsumerProtocolAssignment decoded = new ConsumerProtocolAssignment(new ByteBufferAccessor(buffer),
                    (short) Math.min(version, ConsumerProtocolAssignment.HIGHEST_SUPPORTED_VERSION));
            for (ConsumerProtocolAssignment.TopicPartition tp : decoded.assignedPartitions()) {
                partitions.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).addAll(tp.partitions());
            }
            return partitions;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a consumer assignment: " + e.getMessage(), e);
        }
    }

    /**
     * The assignment bytes giving {@code partitions}, at the version of the consumer's
     * {@code subscription} (as Kafka's coordinator writes a classic member's assignment).
     */
    public static byte[] assignment(Map<String, List<Integer>> partitions, byte[] subscription) {
        short version = subscription != null && subscription.length >= 2 ? ByteBuffer.wrap(subscription).getShort() : 0;
        version = (short) Math.max(0, Math.min(version, ConsumerProtocolAssignment.HIGHEST_SUPPORTED_VERSION));
        ConsumerProtocolAssignment a = new ConsumerProtocolAssignment();
        partitions.forEach((topic, ps) -> a.assignedPartitions().add(
                new ConsumerProtocolAssignment.TopicPartition().setTopic(topic).setPartitions(new ArrayList<>(ps))));
        ByteBuffer buffer = MessageUtil.toVersionPrefixedByteBuffer(version, a);
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
    }
}
