package dev.runnel.broker.kafka;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.common.message.ConsumerProtocolAssignment;
import org.apache.kafka.common.message.ConsumerProtocolSubscription;
import org.apache.kafka.common.protocol.ByteBufferAccessor;

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
}
