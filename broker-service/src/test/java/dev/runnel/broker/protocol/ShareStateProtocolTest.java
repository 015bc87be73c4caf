package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import org.apache.kafka.common.Uuid;
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
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.security.AclIndex;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.Principal;
import dev.runnel.broker.security.SecurityProtocol;
import dev.runnel.broker.security.Session;
import dev.runnel.broker.sharestate.ShareCoordinator;
import dev.runnel.broker.sharestate.ShareStateLog;
import dev.runnel.testing.ManualClock;

/**
 * The share coordinator's five inter-broker APIs through real request bytes and kafka-clients'
 * message classes: each partition answered on its own, the fields each version carries, fencing
 * and the coordinator's errors per partition, and only brokers (CLUSTER_ACTION) served.
 */
class ShareStateProtocolTest {

    static final Executor DIRECT = Runnable::run;
    static final Uuid TOPIC = Uuid.fromString("K7kMuMVhQ9K3L4nq1Hq3Ew");
    static final String GROUP = "queue";

    final ManualClock clock = new ManualClock(1_000_000);
    final InMemoryStateLog log = new InMemoryStateLog();
    final ShareCoordinator coordinator = new ShareCoordinator(log, clock, DIRECT, DIRECT, () -> 1,
            (topicId, partition) -> topicId.equals(TOPIC) && partition < 4);
    final ShareStateHandler handler = new ShareStateHandler(coordinator);

    ShareStateProtocolTest() {
        coordinator.onElection(0, 1);
    }

    @ParameterizedTest
    @ValueSource(shorts = {0, 1})
    void initializeWriteReadSummaryAndDeleteAtEveryVersionServed(short version) {
        assertThat(initialize(0, 2, 40)).containsExactly(Errors.NONE);

        WriteShareGroupStateRequestData write = write(0, 2, 5, 42, new long[] {42, 44, 2, 1}, new long[] {45, 45, 4, 5});
        write.topics().get(0).partitions().get(0).setDeliveryCompleteCount(4);
        WriteShareGroupStateResponseData written = (WriteShareGroupStateResponseData) send(
                ApiKeys.WRITE_SHARE_GROUP_STATE, version, write);
        assertThat(written.results().get(0).topicId()).isEqualTo(TOPIC);
        assertThat(Errors.forCode(written.results().get(0).partitions().get(0).errorCode())).isEqualTo(Errors.NONE);

        ReadShareGroupStateResponseData.PartitionResult read = read(0, 5);
        assertThat(Errors.forCode(read.errorCode())).isEqualTo(Errors.NONE);
        assertThat(read.stateEpoch()).isEqualTo(2);
        assertThat(read.startOffset()).isEqualTo(42);
        assertThat(read.stateBatches()).extracting(b -> b.firstOffset() + "-" + b.lastOffset() + ":" + b.deliveryState()
                + "x" + b.deliveryCount()).containsExactly("42-44:2x1", "45-45:4x5");

        ReadShareGroupStateSummaryResponseData.PartitionResult summary = summary(version, 0);
        assertThat(summary.stateEpoch()).isEqualTo(2);
        assertThat(summary.leaderEpoch()).isEqualTo(5);
        assertThat(summary.startOffset()).isEqualTo(42);
        assertThat(summary.deliveryCompleteCount()).as("v1 of both carries it; v0 of Write does not")
                .isEqualTo(version >= 1 ? 4 : -1);

        DeleteShareGroupStateRequestData delete = new DeleteShareGroupStateRequestData().setGroupId(GROUP);
        delete.topics().add(new DeleteShareGroupStateRequestData.DeleteStateData().setTopicId(TOPIC)
                .setPartitions(List.of(new DeleteShareGroupStateRequestData.PartitionData().setPartition(0))));
        DeleteShareGroupStateResponseData deleted = (DeleteShareGroupStateResponseData) send(
                ApiKeys.DELETE_SHARE_GROUP_STATE, (short) 0, delete);
        assertThat(Errors.forCode(deleted.results().get(0).partitions().get(0).errorCode())).isEqualTo(Errors.NONE);

        ReadShareGroupStateResponseData.PartitionResult gone = read(0, 5);
        assertThat(Errors.forCode(gone.errorCode())).isEqualTo(Errors.NONE);
        assertThat(gone.stateEpoch()).isZero();
        assertThat(gone.startOffset()).as("Kafka's uninitialized answer").isEqualTo(-1);
        assertThat(gone.stateBatches()).isEmpty();
    }

    @Test
    void eachPartitionOfARequestIsAnsweredOnItsOwn() {
        initialize(0, 1, 0);
        initialize(1, 3, 0);
        WriteShareGroupStateRequestData write = new WriteShareGroupStateRequestData().setGroupId(GROUP);
        WriteShareGroupStateRequestData.WriteStateData topic =
                new WriteShareGroupStateRequestData.WriteStateData().setTopicId(TOPIC);
        for (int partition : new int[] {0, 1, 9}) {
            topic.partitions().add(new WriteShareGroupStateRequestData.PartitionData().setPartition(partition)
                    .setStateEpoch(2).setLeaderEpoch(1).setStartOffset(10));
        }
        write.topics().add(topic);

        WriteShareGroupStateResponseData answer = (WriteShareGroupStateResponseData) send(
                ApiKeys.WRITE_SHARE_GROUP_STATE, (short) 1, write);

        assertThat(answer.results().get(0).partitions()).extracting(p -> p.partition() + ":"
                + Errors.forCode(p.errorCode())).containsExactly("0:NONE", "1:FENCED_STATE_EPOCH",
                        "9:UNKNOWN_TOPIC_OR_PARTITION");
        assertThat(read(0, 1).startOffset()).isEqualTo(10);
        assertThat(read(1, 1).startOffset()).as("the fenced write changed nothing").isZero();
    }

    @Test
    void aReadAtAnOlderLeaderEpochIsFencedWithAMessage() {
        initialize(0, 1, 0);
        assertThat(Errors.forCode(read(0, 7).errorCode())).isEqualTo(Errors.NONE);

        ReadShareGroupStateResponseData.PartitionResult stale = read(0, 6);

        assertThat(Errors.forCode(stale.errorCode())).isEqualTo(Errors.FENCED_LEADER_EPOCH);
        assertThat(stale.errorMessage()).contains("6").contains("7");
    }

    @Test
    void anEmptyGroupIdIsInvalidRequestAndWritesNothing() {
        InitializeShareGroupStateRequestData init = initializeRequest(0, 1, 0).setGroupId("");

        InitializeShareGroupStateResponseData answer = (InitializeShareGroupStateResponseData) send(
                ApiKeys.INITIALIZE_SHARE_GROUP_STATE, (short) 0, init);

        assertThat(Errors.forCode(answer.results().get(0).partitions().get(0).errorCode()))
                .isEqualTo(Errors.INVALID_REQUEST);
        assertThat(log.records).isEmpty();
    }

    @Test
    void theCoordinatorsErrorsAreAnsweredPerPartition() {
        ShareCoordinator loading = new ShareCoordinator(log, clock, DIRECT, task -> { }, () -> 1, (t, p) -> true);
        ShareStateHandler loadingHandler = new ShareStateHandler(loading);
        ReadShareGroupStateRequestData read = readRequest(0, 1);

        assertThat(readError(loadingHandler, read)).isEqualTo(Errors.NOT_COORDINATOR);
        loading.onElection(0, 2);
        assertThat(readError(loadingHandler, read)).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS);
    }

    @Test
    void onlyAPrincipalWithClusterActionIsServedAndARefusalChangesNothing() {
        Authorizer authorizer = new Authorizer(Set.of(Principal.user("broker")), false);
        authorizer.load(AclIndex.EMPTY);
        Session client = Session.on("PLAINTEXT", SecurityProtocol.PLAINTEXT, Principal.user("alice"), "127.0.0.1",
                authorizer);
        Session broker = Session.on("PLAINTEXT", SecurityProtocol.PLAINTEXT, Principal.user("broker"), "127.0.0.1",
                authorizer);

        InitializeShareGroupStateResponseData refused = (InitializeShareGroupStateResponseData) send(client,
                ApiKeys.INITIALIZE_SHARE_GROUP_STATE, (short) 0, initializeRequest(0, 1, 0));
        assertThat(Errors.forCode(refused.results().get(0).partitions().get(0).errorCode()))
                .isEqualTo(Errors.CLUSTER_AUTHORIZATION_FAILED);
        assertThat(log.records).isEmpty();

        InitializeShareGroupStateResponseData served = (InitializeShareGroupStateResponseData) send(broker,
                ApiKeys.INITIALIZE_SHARE_GROUP_STATE, (short) 0, initializeRequest(0, 1, 0));
        assertThat(Errors.forCode(served.results().get(0).partitions().get(0).errorCode())).isEqualTo(Errors.NONE);
        assertThat(log.records).hasSize(1);
    }

    // ---------------------------------------------------------------- helpers

    List<Errors> initialize(int partition, int stateEpoch, long startOffset) {
        InitializeShareGroupStateResponseData answer = (InitializeShareGroupStateResponseData) send(
                ApiKeys.INITIALIZE_SHARE_GROUP_STATE, (short) 0, initializeRequest(partition, stateEpoch, startOffset));
        return answer.results().stream().flatMap(r -> r.partitions().stream()).map(p -> Errors.forCode(p.errorCode()))
                .toList();
    }

    static InitializeShareGroupStateRequestData initializeRequest(int partition, int stateEpoch, long startOffset) {
        InitializeShareGroupStateRequestData init = new InitializeShareGroupStateRequestData().setGroupId(GROUP);
        init.topics().add(new InitializeShareGroupStateRequestData.InitializeStateData().setTopicId(TOPIC)
                .setPartitions(List.of(new InitializeShareGroupStateRequestData.PartitionData().setPartition(partition)
                        .setStateEpoch(stateEpoch).setStartOffset(startOffset))));
        return init;
    }

    /** Each batch as {first, last, state, count}. */
    static WriteShareGroupStateRequestData write(int partition, int stateEpoch, int leaderEpoch, long startOffset,
            long[]... batches) {
        WriteShareGroupStateRequestData.PartitionData data = new WriteShareGroupStateRequestData.PartitionData()
                .setPartition(partition).setStateEpoch(stateEpoch).setLeaderEpoch(leaderEpoch).setStartOffset(startOffset);
        for (long[] b : batches) {
            data.stateBatches().add(new WriteShareGroupStateRequestData.StateBatch().setFirstOffset(b[0])
                    .setLastOffset(b[1]).setDeliveryState((byte) b[2]).setDeliveryCount((short) b[3]));
        }
        WriteShareGroupStateRequestData write = new WriteShareGroupStateRequestData().setGroupId(GROUP);
        write.topics().add(new WriteShareGroupStateRequestData.WriteStateData().setTopicId(TOPIC)
                .setPartitions(List.of(data)));
        return write;
    }

    static ReadShareGroupStateRequestData readRequest(int partition, int leaderEpoch) {
        ReadShareGroupStateRequestData read = new ReadShareGroupStateRequestData().setGroupId(GROUP);
        read.topics().add(new ReadShareGroupStateRequestData.ReadStateData().setTopicId(TOPIC)
                .setPartitions(List.of(new ReadShareGroupStateRequestData.PartitionData().setPartition(partition)
                        .setLeaderEpoch(leaderEpoch))));
        return read;
    }

    ReadShareGroupStateResponseData.PartitionResult read(int partition, int leaderEpoch) {
        ReadShareGroupStateResponseData answer = (ReadShareGroupStateResponseData) send(ApiKeys.READ_SHARE_GROUP_STATE,
                (short) 0, readRequest(partition, leaderEpoch));
        return answer.results().get(0).partitions().get(0);
    }

    static Errors readError(ShareStateHandler handler, ReadShareGroupStateRequestData read) {
        ReadShareGroupStateResponseData answer = (ReadShareGroupStateResponseData) TxnOffsetCommitHandlerTest.handle(
                handler, ApiKeys.READ_SHARE_GROUP_STATE, (short) 0, read);
        return Errors.forCode(answer.results().get(0).partitions().get(0).errorCode());
    }

    ReadShareGroupStateSummaryResponseData.PartitionResult summary(short version, int partition) {
        ReadShareGroupStateSummaryRequestData request = new ReadShareGroupStateSummaryRequestData().setGroupId(GROUP);
        request.topics().add(new ReadShareGroupStateSummaryRequestData.ReadStateSummaryData().setTopicId(TOPIC)
                .setPartitions(List.of(new ReadShareGroupStateSummaryRequestData.PartitionData().setPartition(partition)
                        .setLeaderEpoch(-1))));
        ReadShareGroupStateSummaryResponseData answer = (ReadShareGroupStateSummaryResponseData) send(
                ApiKeys.READ_SHARE_GROUP_STATE_SUMMARY, version, request);
        return answer.results().get(0).partitions().get(0);
    }

    ApiMessage send(ApiKeys api, short version, ApiMessage body) {
        return TxnOffsetCommitHandlerTest.handle(handler, api, version, body);
    }

    ApiMessage send(Session session, ApiKeys api, short version, ApiMessage body) {
        RequestHeader header = new RequestHeader(api, version, "test", 1);
        ByteBuffer frame = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
        return handler.handle(KafkaWire.decode(frame).withSession(session)).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** A {@code __share_group_state} partition in memory: appends are taken at once. */
    static final class InMemoryStateLog implements ShareStateLog {
        final List<Entry> records = new ArrayList<>();

        @Override
        public synchronized CompletableFuture<Void> append(int partition, int leaderEpoch, List<Entry> entries) {
            records.addAll(entries);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public synchronized void read(int partition, BiConsumer<byte[], byte[]> consumer) {
            records.forEach(e -> consumer.accept(e.key(), e.value()));
        }
    }
}
