package dev.runnel.broker.protocol;

import java.util.Optional;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.common.TopicPartition;

/**
 * Where a partition's leader is, by this broker's metadata: the hint that newer Produce and Fetch
 * versions carry with NOT_LEADER_OR_FOLLOWER so clients re-route without a metadata round trip.
 */
final class LeaderHints {

    /** The leader's id and epoch, and its endpoint if it is alive. */
    record Leader(int id, int epoch, Optional<BrokerInfo> broker) {
    }

    private final MetadataCache metadata;

    LeaderHints(MetadataCache metadata) {
        this.metadata = metadata;
    }

    Optional<Leader> leaderOf(TopicPartition tp) {
        MetadataCache.Snapshot view = metadata.snapshot();
        return view.topic(tp.topic())
                .flatMap(t -> t.partitions().stream().filter(p -> p.partition() == tp.partition()).findFirst())
                .map(PartitionInfo::state)
                .filter(state -> state.leader() >= 0)
                .map(state -> new Leader(state.leader(), state.leaderEpoch(),
                        Optional.ofNullable(view.brokers().get(state.leader()))));
    }
}
