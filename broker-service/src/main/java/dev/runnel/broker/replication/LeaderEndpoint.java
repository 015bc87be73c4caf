package dev.runnel.broker.replication;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import dev.runnel.broker.kafka.ReplicaFetchClient;
import dev.runnel.common.TopicPartition;

/**
 * What a follower asks its leader: where its epochs ended (OffsetForLeaderEpoch) and records
 * (Fetch). Over the wire it is a {@link ReplicaFetchClient}; tests use fakes. Not thread-safe: one
 * fetcher thread owns it.
 */
interface LeaderEndpoint extends AutoCloseable {

    /** For each partition, the leader's end of the epoch at most the one asked (current epoch, last epoch). */
    Map<TopicPartition, ReplicaFetchClient.EpochEnd> endOffsets(Map<TopicPartition, int[]> currentAndLastEpoch)
            throws IOException;

    Map<TopicPartition, ReplicaFetchClient.Fetched> fetch(List<ReplicaFetchClient.Wanted> wanted, int maxWaitMs,
            int maxBytes) throws IOException;

    @Override
    void close();

    static LeaderEndpoint over(ReplicaFetchClient client) {
        return new LeaderEndpoint() {
            @Override
            public Map<TopicPartition, ReplicaFetchClient.EpochEnd> endOffsets(Map<TopicPartition, int[]> asks)
                    throws IOException {
                return client.endOffsets(asks);
            }

            @Override
            public Map<TopicPartition, ReplicaFetchClient.Fetched> fetch(List<ReplicaFetchClient.Wanted> wanted,
                    int maxWaitMs, int maxBytes) throws IOException {
                return client.fetch(wanted, maxWaitMs, maxBytes);
            }

            @Override
            public void close() {
                client.close();
            }
        };
    }
}
