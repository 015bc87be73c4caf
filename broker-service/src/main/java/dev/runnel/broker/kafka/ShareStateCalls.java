package dev.runnel.broker.kafka;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

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
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.sharestate.ShareStatePersister.Key;
import dev.runnel.broker.sharestate.ShareStatePersister.ShareState;
import dev.runnel.broker.sharestate.ShareStatePersister.StateBatch;

/**
 * What a broker asks a share coordinator, one share partition per request, over an
 * {@link InterBrokerClient}: Kafka's InitializeShareGroupState, ReadShareGroupState,
 * WriteShareGroupState (v1, with the delivery complete count), DeleteShareGroupState and
 * ReadShareGroupStateSummary (v1). A response that leaves the partition out answers
 * UNKNOWN_SERVER_ERROR; an I/O failure is thrown for the caller to retry.
 */
public final class ShareStateCalls {

    static final short WRITE_VERSION = 1;
    static final short SUMMARY_VERSION = 1;

    /** An answer without a value. */
    public record Reply(Errors error, String message) {
    }

    /** ReadShareGroupState's answer: the state's fields as the wire carries them. */
    public record ReadReply(Errors error, String message, int stateEpoch, long startOffset, List<StateBatch> batches) {
    }

    /** ReadShareGroupStateSummary's answer. */
    public record SummaryReply(Errors error, String message, int stateEpoch, int leaderEpoch, long startOffset,
            int deliveryCompleteCount) {
    }

    private static final String MISSING = "the coordinator's answer left the partition out";

    private ShareStateCalls() {
    }

    public static Reply initialize(InterBrokerClient client, Key key, int stateEpoch, long startOffset)
            throws IOException {
        InitializeShareGroupStateRequestData request = new InitializeShareGroupStateRequestData()
                .setGroupId(key.groupId());
        InitializeShareGroupStateRequestData.InitializeStateData topic =
                new InitializeShareGroupStateRequestData.InitializeStateData().setTopicId(key.topicId());
        topic.partitions().add(new InitializeShareGroupStateRequestData.PartitionData().setPartition(key.partition())
                .setStateEpoch(stateEpoch).setStartOffset(startOffset));
        request.topics().add(topic);
        var response = (InitializeShareGroupStateResponseData) client.send(ApiKeys.INITIALIZE_SHARE_GROUP_STATE,
                (short) 0, request);
        for (var result : response.results()) {
            for (var p : result.partitions()) {
                if (result.topicId().equals(key.topicId()) && p.partition() == key.partition()) {
                    return new Reply(Errors.forCode(p.errorCode()), p.errorMessage());
                }
            }
        }
        return new Reply(Errors.UNKNOWN_SERVER_ERROR, MISSING);
    }

    public static ReadReply read(InterBrokerClient client, Key key, int leaderEpoch) throws IOException {
        ReadShareGroupStateRequestData request = new ReadShareGroupStateRequestData().setGroupId(key.groupId());
        ReadShareGroupStateRequestData.ReadStateData topic =
                new ReadShareGroupStateRequestData.ReadStateData().setTopicId(key.topicId());
        topic.partitions().add(new ReadShareGroupStateRequestData.PartitionData().setPartition(key.partition())
                .setLeaderEpoch(leaderEpoch));
        request.topics().add(topic);
        var response = (ReadShareGroupStateResponseData) client.send(ApiKeys.READ_SHARE_GROUP_STATE, (short) 0,
                request);
        for (var result : response.results()) {
            for (var p : result.partitions()) {
                if (result.topicId().equals(key.topicId()) && p.partition() == key.partition()) {
                    List<StateBatch> batches = new ArrayList<>();
                    for (var b : p.stateBatches()) {
                        batches.add(new StateBatch(b.firstOffset(), b.lastOffset(), b.deliveryState(),
                                b.deliveryCount()));
                    }
                    return new ReadReply(Errors.forCode(p.errorCode()), p.errorMessage(), p.stateEpoch(),
                            p.startOffset(), batches);
                }
            }
        }
        return new ReadReply(Errors.UNKNOWN_SERVER_ERROR, MISSING, 0, -1, List.of());
    }

    public static Reply write(InterBrokerClient client, Key key, ShareState state) throws IOException {
        WriteShareGroupStateRequestData request = new WriteShareGroupStateRequestData().setGroupId(key.groupId());
        WriteShareGroupStateRequestData.WriteStateData topic =
                new WriteShareGroupStateRequestData.WriteStateData().setTopicId(key.topicId());
        WriteShareGroupStateRequestData.PartitionData partition = new WriteShareGroupStateRequestData.PartitionData()
                .setPartition(key.partition()).setStateEpoch(state.stateEpoch()).setLeaderEpoch(state.leaderEpoch())
                .setStartOffset(state.startOffset()).setDeliveryCompleteCount(state.deliveryCompleteCount());
        for (StateBatch b : state.batches()) {
            partition.stateBatches().add(new WriteShareGroupStateRequestData.StateBatch().setFirstOffset(b.firstOffset())
                    .setLastOffset(b.lastOffset()).setDeliveryState(b.deliveryState())
                    .setDeliveryCount(b.deliveryCount()));
        }
        topic.partitions().add(partition);
        request.topics().add(topic);
        var response = (WriteShareGroupStateResponseData) client.send(ApiKeys.WRITE_SHARE_GROUP_STATE, WRITE_VERSION,
                request);
        for (var result : response.results()) {
            for (var p : result.partitions()) {
                if (result.topicId().equals(key.topicId()) && p.partition() == key.partition()) {
                    return new Reply(Errors.forCode(p.errorCode()), p.errorMessage());
                }
            }
        }
        return new Reply(Errors.UNKNOWN_SERVER_ERROR, MISSING);
    }

    public static SummaryReply summary(InterBrokerClient client, Key key, int leaderEpoch) throws IOException {
        ReadShareGroupStateSummaryRequestData request = new ReadShareGroupStateSummaryRequestData()
                .setGroupId(key.groupId());
        ReadShareGroupStateSummaryRequestData.ReadStateSummaryData topic =
                new ReadShareGroupStateSummaryRequestData.ReadStateSummaryData().setTopicId(key.topicId());
        topic.partitions().add(new ReadShareGroupStateSummaryRequestData.PartitionData().setPartition(key.partition())
                .setLeaderEpoch(leaderEpoch));
        request.topics().add(topic);
        var response = (ReadShareGroupStateSummaryResponseData) client.send(ApiKeys.READ_SHARE_GROUP_STATE_SUMMARY,
                SUMMARY_VERSION, request);
        for (var result : response.results()) {
            for (var p : result.partitions()) {
                if (result.topicId().equals(key.topicId()) && p.partition() == key.partition()) {
                    return new SummaryReply(Errors.forCode(p.errorCode()), p.errorMessage(), p.stateEpoch(),
                            p.leaderEpoch(), p.startOffset(), p.deliveryCompleteCount());
                }
            }
        }
        return new SummaryReply(Errors.UNKNOWN_SERVER_ERROR, MISSING, 0, -1, -1, -1);
    }

    public static Reply delete(InterBrokerClient client, Key key) throws IOException {
        DeleteShareGroupStateRequestData request = new DeleteShareGroupStateRequestData().setGroupId(key.groupId());
        DeleteShareGroupStateRequestData.DeleteStateData topic =
                new DeleteShareGroupStateRequestData.DeleteStateData().setTopicId(key.topicId());
        topic.partitions().add(new DeleteShareGroupStateRequestData.PartitionData().setPartition(key.partition()));
        request.topics().add(topic);
        var response = (DeleteShareGroupStateResponseData) client.send(ApiKeys.DELETE_SHARE_GROUP_STATE, (short) 0,
                request);
        for (var result : response.results()) {
            for (var p : result.partitions()) {
                if (result.topicId().equals(key.topicId()) && p.partition() == key.partition()) {
                    return new Reply(Errors.forCode(p.errorCode()), p.errorMessage());
                }
            }
        }
        return new Reply(Errors.UNKNOWN_SERVER_ERROR, MISSING);
    }
}
