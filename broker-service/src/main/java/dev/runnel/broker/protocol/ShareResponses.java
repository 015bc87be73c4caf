package dev.runnel.broker.protocol;

import java.util.Map;
import java.util.concurrent.CompletionException;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.share.AcquiredRange;
import dev.runnel.broker.share.ShareException;
import dev.runnel.broker.share.ShareFetcher;
import dev.runnel.broker.share.ShareSessionCache.TopicIdPartition;
import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.common.TopicPartition;

/**
 * The answers of ShareFetch and ShareAcknowledge: one entry per partition that was fetched,
 * acknowledged or refused, with the leader hint and its endpoint on NOT_LEADER_OR_FOLLOWER.
 */
final class ShareResponses {

    /** An error and its message; {@link #NONE} for success. */
    record Outcome(Errors error, String message) {
        static final Outcome NONE = new Outcome(Errors.NONE, null);

        static Outcome of(Errors error) {
            return new Outcome(error, null);
        }

        /** The outcome of a failure of the share partitions, the persister, the replica manager or the log. */
        static Outcome of(Throwable failure) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof ShareException share) {
                return new Outcome(share.error(), share.getMessage());
            }
            if (cause instanceof ShareStatePersister.ShareStateException state) {
                return new Outcome(state.error(), state.getMessage());
            }
            return new Outcome(KafkaErrors.of(cause), cause.getMessage());
        }
    }

    private final LeaderHints leaders;

    ShareResponses(LeaderHints leaders) {
        this.leaders = leaders;
    }

    static ShareFetchResponseData fetchError(Outcome outcome) {
        return new ShareFetchResponseData().setErrorCode(outcome.error().code()).setErrorMessage(outcome.message());
    }

    static ShareAcknowledgeResponseData acknowledgeError(Outcome outcome) {
        return new ShareAcknowledgeResponseData().setErrorCode(outcome.error().code())
                .setErrorMessage(outcome.message());
    }

    /** The partition's entry in a ShareFetch answer, added empty (no records, no error) if not there yet. */
    static ShareFetchResponseData.PartitionData entry(ShareFetchResponseData response, TopicIdPartition id) {
        ShareFetchResponseData.ShareFetchableTopicResponse topic = response.responses().find(id.topicId());
        if (topic == null) {
            topic = new ShareFetchResponseData.ShareFetchableTopicResponse().setTopicId(id.topicId());
            response.responses().add(topic);
        }
        for (ShareFetchResponseData.PartitionData partition : topic.partitions()) {
            if (partition.partitionIndex() == id.partition()) {
                return partition;
            }
        }
        ShareFetchResponseData.PartitionData partition = new ShareFetchResponseData.PartitionData()
                .setPartitionIndex(id.partition()).setRecords(KafkaWire.noRecords());
        topic.partitions().add(partition);
        return partition;
    }

    /** Puts a fetch's outcome into its partition's entry. */
    void fetched(ShareFetchResponseData response, TopicIdPartition id, ShareFetcher.Fetched fetched, String listener) {
        ShareFetchResponseData.PartitionData partition = entry(response, id);
        if (fetched.failure() != null) {
            fetchRefused(response, id, fetched.target().tp(), Outcome.of(fetched.failure()), listener);
            return;
        }
        if (fetched.records() != null) {
            partition.setRecords(KafkaWire.fileRecords(fetched.records()));
        }
        for (AcquiredRange range : fetched.acquired()) {
            partition.acquiredRecords().add(new ShareFetchResponseData.AcquiredRecords()
                    .setFirstOffset(range.firstOffset()).setLastOffset(range.lastOffset())
                    .setDeliveryCount(range.deliveryCount()));
        }
    }

    /** A partition that was not fetched: its error, and where its leader is for NOT_LEADER_OR_FOLLOWER. */
    void fetchRefused(ShareFetchResponseData response, TopicIdPartition id, TopicPartition tp, Outcome outcome,
            String listener) {
        ShareFetchResponseData.PartitionData partition = entry(response, id)
                .setErrorCode(outcome.error().code()).setErrorMessage(outcome.message());
        hint(tp, outcome.error(), listener, (leaderId, epoch) -> partition.setCurrentLeader(
                new ShareFetchResponseData.LeaderIdAndEpoch().setLeaderId(leaderId).setLeaderEpoch(epoch)),
                endpoint -> {
                    if (response.nodeEndpoints().find(endpoint.nodeId()) == null) {
                        response.nodeEndpoints().add(new ShareFetchResponseData.NodeEndpoint()
                                .setNodeId(endpoint.nodeId()).setHost(endpoint.host()).setPort(endpoint.port())
                                .setRack(endpoint.rack()));
                    }
                });
    }

    /** Puts acknowledgements' outcomes into a ShareFetch answer (AcknowledgeErrorCode). */
    static void acknowledged(ShareFetchResponseData response, Map<TopicIdPartition, Outcome> outcomes) {
        outcomes.forEach((id, outcome) -> entry(response, id).setAcknowledgeErrorCode(outcome.error().code())
                .setAcknowledgeErrorMessage(outcome.message()));
    }

    /** A ShareAcknowledge answer for every acknowledged partition. */
    ShareAcknowledgeResponseData acknowledgeAnswer(Map<TopicIdPartition, Outcome> outcomes,
            Map<TopicIdPartition, TopicPartition> names, String listener) {
        ShareAcknowledgeResponseData response = new ShareAcknowledgeResponseData();
        outcomes.forEach((id, outcome) -> {
            ShareAcknowledgeResponseData.ShareAcknowledgeTopicResponse topic = response.responses().find(id.topicId());
            if (topic == null) {
                topic = new ShareAcknowledgeResponseData.ShareAcknowledgeTopicResponse().setTopicId(id.topicId());
                response.responses().add(topic);
            }
            ShareAcknowledgeResponseData.PartitionData partition = new ShareAcknowledgeResponseData.PartitionData()
                    .setPartitionIndex(id.partition()).setErrorCode(outcome.error().code())
                    .setErrorMessage(outcome.message());
            topic.partitions().add(partition);
            hint(names.get(id), outcome.error(), listener, (leaderId, epoch) -> partition.setCurrentLeader(
                    new ShareAcknowledgeResponseData.LeaderIdAndEpoch().setLeaderId(leaderId).setLeaderEpoch(epoch)),
                    endpoint -> {
                        if (response.nodeEndpoints().find(endpoint.nodeId()) == null) {
                            response.nodeEndpoints().add(new ShareAcknowledgeResponseData.NodeEndpoint()
                                    .setNodeId(endpoint.nodeId()).setHost(endpoint.host()).setPort(endpoint.port())
                                    .setRack(endpoint.rack()));
                        }
                    });
        });
        return response;
    }

    private record Endpoint(int nodeId, String host, int port, String rack) {
    }

    private interface LeaderSetter {
        void set(int leaderId, int leaderEpoch);
    }

    private interface EndpointAdder {
        void add(Endpoint endpoint);
    }

    private void hint(TopicPartition tp, Errors error, String listener, LeaderSetter leader, EndpointAdder endpoints) {
        if (tp == null || error != Errors.NOT_LEADER_OR_FOLLOWER && error != Errors.FENCED_LEADER_EPOCH) {
            return;
        }
        leaders.leaderOf(tp).ifPresent(l -> {
            leader.set(l.id(), l.epoch());
            l.broker().ifPresent(b -> b.endpoint(listener).ifPresent(e -> endpoints.add(
                    new Endpoint(b.id(), e.host(), e.port(), b.rack()))));
        });
    }

    /** The topic id of a wire topic, for the response's keys. */
    static TopicIdPartition id(Uuid topicId, int partition) {
        return new TopicIdPartition(topicId, partition);
    }
}
