package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.DeleteShareGroupStateRequestData;
import org.apache.kafka.common.message.DeleteShareGroupStateResponseData;
import org.apache.kafka.common.message.InitializeShareGroupStateRequestData;
import org.apache.kafka.common.message.InitializeShareGroupStateResponseData;
import org.apache.kafka.common.message.ReadShareGroupStateRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateResponseData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryRequestData;
import org.apache.kafka.common.message.ReadShareGroupStateSummaryResponseData;
import org.apache.kafka.common.message.WriteShareGroupStateRequestData;
import org.apache.kafka.common.message.WriteShareGroupStateResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.sharestate.ShareStatePersister.Key;
import dev.runnel.broker.sharestate.ShareStatePersister.ShareState;
import dev.runnel.broker.sharestate.ShareStatePersister.StateBatch;
import dev.runnel.broker.sharestate.ShareStatePersister.Summary;
import dev.runnel.broker.sharestate.ShareCoordinator;

/**
 * The share coordinator's inter-broker APIs (KIP-932): InitializeShareGroupState (v0),
 * ReadShareGroupState (v0), WriteShareGroupState (v0-1; v1 carries the delivery complete count),
 * DeleteShareGroupState (v0) and ReadShareGroupStateSummary (v0-1). Each partition of a request is
 * answered on its own, with the coordinator's error for it (NOT_COORDINATOR, fencing, ...).
 *
 * <p>As in Kafka, only a broker may send them: the sender needs CLUSTER_ACTION on the cluster,
 * else every partition is answered CLUSTER_AUTHORIZATION_FAILED and nothing changes.
 */
final class ShareStateHandler implements ApiHandler {

    private final ShareCoordinator coordinator;

    ShareStateHandler(ShareCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        if (!request.session().allowed(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME)) {
            return CompletableFuture.completedFuture(KafkaWire.errorResponse(request, Errors.CLUSTER_AUTHORIZATION_FAILED));
        }
        ApiKeys api = request.header().apiKey();
        return switch (api) {
            case INITIALIZE_SHARE_GROUP_STATE -> initialize((InitializeShareGroupStateRequestData) request.body());
            case READ_SHARE_GROUP_STATE -> read((ReadShareGroupStateRequestData) request.body());
            case WRITE_SHARE_GROUP_STATE -> write((WriteShareGroupStateRequestData) request.body());
            case DELETE_SHARE_GROUP_STATE -> delete((DeleteShareGroupStateRequestData) request.body());
            case READ_SHARE_GROUP_STATE_SUMMARY -> summary((ReadShareGroupStateSummaryRequestData) request.body());
            default -> throw new IllegalArgumentException("not a share state API: " + api);
        };
    }

    private CompletableFuture<ApiMessage> initialize(InitializeShareGroupStateRequestData data) {
        InitializeShareGroupStateResponseData response = new InitializeShareGroupStateResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (InitializeShareGroupStateRequestData.InitializeStateData topic : data.topics()) {
            InitializeShareGroupStateResponseData.InitializeStateResult result =
                    new InitializeShareGroupStateResponseData.InitializeStateResult().setTopicId(topic.topicId());
            response.results().add(result);
            for (InitializeShareGroupStateRequestData.PartitionData p : topic.partitions()) {
                InitializeShareGroupStateResponseData.PartitionResult answer =
                        new InitializeShareGroupStateResponseData.PartitionResult().setPartition(p.partition());
                result.partitions().add(answer);
                pending.add(coordinator.initialize(new Key(data.groupId(), topic.topicId(), p.partition()),
                        p.stateEpoch(), p.startOffset()).thenAccept(a -> answer.setErrorCode(a.error().code())
                                .setErrorMessage(a.message())));
            }
        }
        return all(pending, response);
    }

    private CompletableFuture<ApiMessage> read(ReadShareGroupStateRequestData data) {
        ReadShareGroupStateResponseData response = new ReadShareGroupStateResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (ReadShareGroupStateRequestData.ReadStateData topic : data.topics()) {
            ReadShareGroupStateResponseData.ReadStateResult result =
                    new ReadShareGroupStateResponseData.ReadStateResult().setTopicId(topic.topicId());
            response.results().add(result);
            for (ReadShareGroupStateRequestData.PartitionData p : topic.partitions()) {
                ReadShareGroupStateResponseData.PartitionResult answer =
                        new ReadShareGroupStateResponseData.PartitionResult().setPartition(p.partition())
                                .setStateEpoch(0).setStartOffset(-1);
                result.partitions().add(answer);
                pending.add(coordinator.read(new Key(data.groupId(), topic.topicId(), p.partition()), p.leaderEpoch())
                        .thenAccept(a -> {
                            answer.setErrorCode(a.error().code()).setErrorMessage(a.message());
                            if (a.ok() && a.value().isPresent()) {
                                ShareState state = a.value().get();
                                answer.setStateEpoch(state.stateEpoch()).setStartOffset(state.startOffset());
                                for (StateBatch b : state.batches()) {
                                    answer.stateBatches().add(new ReadShareGroupStateResponseData.StateBatch()
                                            .setFirstOffset(b.firstOffset()).setLastOffset(b.lastOffset())
                                            .setDeliveryState(b.deliveryState()).setDeliveryCount(b.deliveryCount()));
                                }
                            }
                        }));
            }
        }
        return all(pending, response);
    }

    private CompletableFuture<ApiMessage> write(WriteShareGroupStateRequestData data) {
        WriteShareGroupStateResponseData response = new WriteShareGroupStateResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (WriteShareGroupStateRequestData.WriteStateData topic : data.topics()) {
            WriteShareGroupStateResponseData.WriteStateResult result =
                    new WriteShareGroupStateResponseData.WriteStateResult().setTopicId(topic.topicId());
            response.results().add(result);
            for (WriteShareGroupStateRequestData.PartitionData p : topic.partitions()) {
                WriteShareGroupStateResponseData.PartitionResult answer =
                        new WriteShareGroupStateResponseData.PartitionResult().setPartition(p.partition());
                result.partitions().add(answer);
                List<StateBatch> batches = new ArrayList<>();
                for (WriteShareGroupStateRequestData.StateBatch b : p.stateBatches()) {
                    batches.add(new StateBatch(b.firstOffset(), b.lastOffset(), b.deliveryState(), b.deliveryCount()));
                }
                // v0 has no delivery complete count: the default, -1, says it is not known.
                ShareState state = new ShareState(p.stateEpoch(), p.leaderEpoch(), p.startOffset(),
                        p.deliveryCompleteCount(), batches);
                pending.add(coordinator.write(new Key(data.groupId(), topic.topicId(), p.partition()), state)
                        .thenAccept(a -> answer.setErrorCode(a.error().code()).setErrorMessage(a.message())));
            }
        }
        return all(pending, response);
    }

    private CompletableFuture<ApiMessage> delete(DeleteShareGroupStateRequestData data) {
        DeleteShareGroupStateResponseData response = new DeleteShareGroupStateResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (DeleteShareGroupStateRequestData.DeleteStateData topic : data.topics()) {
            DeleteShareGroupStateResponseData.DeleteStateResult result =
                    new DeleteShareGroupStateResponseData.DeleteStateResult().setTopicId(topic.topicId());
            response.results().add(result);
            for (DeleteShareGroupStateRequestData.PartitionData p : topic.partitions()) {
                DeleteShareGroupStateResponseData.PartitionResult answer =
                        new DeleteShareGroupStateResponseData.PartitionResult().setPartition(p.partition());
                result.partitions().add(answer);
                pending.add(coordinator.delete(new Key(data.groupId(), topic.topicId(), p.partition()))
                        .thenAccept(a -> answer.setErrorCode(a.error().code()).setErrorMessage(a.message())));
            }
        }
        return all(pending, response);
    }

    private CompletableFuture<ApiMessage> summary(ReadShareGroupStateSummaryRequestData data) {
        ReadShareGroupStateSummaryResponseData response = new ReadShareGroupStateSummaryResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (ReadShareGroupStateSummaryRequestData.ReadStateSummaryData topic : data.topics()) {
            ReadShareGroupStateSummaryResponseData.ReadStateSummaryResult result =
                    new ReadShareGroupStateSummaryResponseData.ReadStateSummaryResult().setTopicId(topic.topicId());
            response.results().add(result);
            for (ReadShareGroupStateSummaryRequestData.PartitionData p : topic.partitions()) {
                ReadShareGroupStateSummaryResponseData.PartitionResult answer =
                        new ReadShareGroupStateSummaryResponseData.PartitionResult().setPartition(p.partition())
                                .setStateEpoch(0).setLeaderEpoch(-1).setStartOffset(-1).setDeliveryCompleteCount(-1);
                result.partitions().add(answer);
                pending.add(coordinator.readSummary(new Key(data.groupId(), topic.topicId(), p.partition()),
                        p.leaderEpoch()).thenAccept(a -> {
                            answer.setErrorCode(a.error().code()).setErrorMessage(a.message());
                            if (a.ok() && a.value().isPresent()) {
                                Summary s = a.value().get();
                                answer.setStateEpoch(s.stateEpoch()).setLeaderEpoch(s.leaderEpoch())
                                        .setStartOffset(s.startOffset())
                                        .setDeliveryCompleteCount(s.deliveryCompleteCount());
                            }
                        }));
            }
        }
        return all(pending, response);
    }

    private static CompletableFuture<ApiMessage> all(List<CompletableFuture<?>> pending, ApiMessage response) {
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).thenApply(v -> response);
    }
}
