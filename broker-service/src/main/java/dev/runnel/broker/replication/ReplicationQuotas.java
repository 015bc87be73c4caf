package dev.runnel.broker.replication;

import java.time.Clock;
import java.util.function.LongSupplier;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.TopicConfigs;
import dev.runnel.common.TopicPartition;

/**
 * This broker's two replication throttles (Kafka's leader and follower
 * {@code ReplicationQuotaManager}s): the bounds are the dynamic broker configs
 * {@code leader.replication.throttled.rate} and {@code follower.replication.throttled.rate}, the
 * partitions each throttles are those whose topic lists this broker in
 * {@code leader.replication.throttled.replicas} or {@code follower.replication.throttled.replicas}
 * (or says {@code *}), read from the metadata on every check.
 */
public record ReplicationQuotas(ReplicationQuota leader, ReplicationQuota follower) {

    /**
     * @param leaderRate   the leader's bound now, bytes per second ({@link Long#MAX_VALUE}: none)
     * @param followerRate the follower's bound now
     */
    public static ReplicationQuotas of(int brokerId, MetadataCache metadata, LongSupplier leaderRate,
            LongSupplier followerRate, Clock clock) {
        return new ReplicationQuotas(
                new ReplicationQuota(clock, leaderRate, tp -> throttles(metadata, tp, brokerId,
                        TopicConfigs.LEADER_THROTTLED_REPLICAS), ReplicationQuota.SAMPLES, ReplicationQuota.WINDOW),
                new ReplicationQuota(clock, followerRate, tp -> throttles(metadata, tp, brokerId,
                        TopicConfigs.FOLLOWER_THROTTLED_REPLICAS), ReplicationQuota.SAMPLES, ReplicationQuota.WINDOW));
    }

    private static boolean throttles(MetadataCache metadata, TopicPartition tp, int brokerId, String config) {
        return metadata.snapshot().topic(tp.topic())
                .map(topic -> TopicConfigs.throttles(topic.configs().get(config), tp.partition(), brokerId))
                .orElse(false);
    }
}
