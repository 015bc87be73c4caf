package dev.runnel.broker;

import java.util.List;
import java.util.Map;

import dev.runnel.broker.group.ConsumerProtocolCodec;
import dev.runnel.broker.kafka.ConsumerSubscriptions;

/** The group coordinator's {@link ConsumerProtocolCodec}, over kafka-clients' consumer protocol messages. */
public final class KafkaConsumerProtocolCodec implements ConsumerProtocolCodec {

    public static final KafkaConsumerProtocolCodec INSTANCE = new KafkaConsumerProtocolCodec();

    private KafkaConsumerProtocolCodec() {
    }

    @Override
    public Subscription subscription(byte[] metadata) {
        ConsumerSubscriptions.Subscription s = ConsumerSubscriptions.subscription(metadata);
        return new Subscription(s.topics(), s.ownedPartitions(), s.rackId());
    }

    @Override
    public Map<String, List<Integer>> assignment(byte[] assignment) {
        return ConsumerSubscriptions.assignment(assignment);
    }

    @Override
    public byte[] assignment(Map<String, List<Integer>> partitions, byte[] subscription) {
        return ConsumerSubscriptions.assignment(partitions, subscription);
    }
}
