package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.DescribeClientQuotasRequestData;
import org.apache.kafka.common.message.DescribeClientQuotasResponseData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.DescribeClientQuotasResponse;
import org.apache.kafka.common.requests.DescribeClusterResponse;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.SecurityProtocol;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;

/** The Kafka connection pipeline on an {@link EmbeddedChannel}: framing, dispatch, order, refusals. */
class KafkaConnectionTest {

    private static final int MAX_REQUEST = 64 * 1024;
    private static final UUID TOPIC_ID = UUID.fromString("5d1c3c4e-8a52-4f43-9a59-6b6ad1e0c2a7");

    private final MetadataCache metadata = new MetadataCache();
    private final Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private EmbeddedChannel channel;
    private int correlation;

    @BeforeEach
    void openChannel() {
        metadata.clusterId("cluster-1");
        metadata.apply(new UpdateMetadataRequest(100, 1, 10, 1, true,
                List.of(new BrokerInfo(1, "127.0.0.1", 9092, 8091, "r1", 10), new BrokerInfo(2, "127.0.0.1", 9093, 8092, null, 11)),
                List.of(new TopicInfo("orders", TOPIC_ID, Map.of(), List.of(
                        new PartitionInfo(0, List.of(1, 2), new PartitionState(1, 4, List.of(1, 2), 6)),
                        new PartitionInfo(1, List.of(2, 3), new PartitionState(-1, 2, List.of(3), 3))))),
                List.of()));
        handlers.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler());
        handlers.put(ApiKeys.METADATA, new MetadataHandler(metadata, metadata::clusterId, null));
        handlers.put(ApiKeys.DESCRIBE_CLUSTER, new DescribeClusterHandler(metadata, metadata::clusterId));
        channel = new EmbeddedChannel();
        KafkaServer.initPipeline(channel, MAX_REQUEST, handlers);
    }

    @Test
    void apiVersionsListsOnlyTheFixedTable() {
        ApiVersionsResponse response = (ApiVersionsResponse) roundTrip(ApiKeys.API_VERSIONS, (short) 3, apiVersions());

        assertThat(response.data().errorCode()).isZero();
        assertThat(response.data().apiKeys()).extracting(k -> k.apiKey() + ":" + k.minVersion() + "-" + k.maxVersion())
                .containsExactlyInAnyOrder("0:3-13", "1:4-17", "2:1-9", "23:3-4", "21:0-2", "18:0-4", "3:1-13", "60:0-2",
                        "19:2-7", "20:1-6", "37:0-3", "22:0-5", "32:1-4", "33:0-2", "44:0-1", "10:0-6", "11:0-9",
                        "14:0-5", "12:0-4", "13:0-5", "8:2-9", "9:1-9", "16:0-5", "15:0-6", "42:0-2", "47:0-0",
                        "17:0-1", "36:0-2",
                        // reassignment: AlterPartitionReassignments, ListPartitionReassignments; DescribeLogDirs,
                        // AlterReplicaLogDirs
                        "45:0-1", "46:0-0", "35:1-4", "34:1-2",
                        // ElectLeaders
                        "43:0-2",
                        // transactions: AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, WriteTxnMarkers,
                        // TxnOffsetCommit, DescribeProducers, DescribeTransactions, ListTransactions
                        "24:0-5", "25:0-4", "26:0-4", "27:1-1", "28:0-4", "61:0-0", "65:0-0", "66:0-1",
                        // security: CreateAcls, DescribeAcls, DeleteAcls, DescribeUserScramCredentials, AlterUserScramCredentials
                        "30:1-3", "29:1-3", "31:1-3", "50:0-0", "51:0-0",
                        // client quotas: DescribeClientQuotas, AlterClientQuotas
                        "48:0-1", "49:0-1",
                        // the consumer group protocol (KIP-848): ConsumerGroupHeartbeat, ConsumerGroupDescribe
                        "68:0-1", "69:0-1",
                        // share groups (KIP-932): ShareGroupHeartbeat, ShareGroupDescribe, ShareFetch, ShareAcknowledge
                        "76:1-1", "77:1-1", "78:1-2", "79:1-2",
                        // the share coordinator (KIP-932): Initialize, Read, Write, Delete ShareGroupState, the summary
                        "83:0-0", "84:0-0", "85:0-1", "86:0-0", "87:0-1",
                        // share group offsets (KIP-932): Describe/Alter/DeleteShareGroupOffsets
                        "90:0-1", "91:0-0", "92:0-0");
    }

    @Test
    void anApiVersionsRequestAboveOurRangeGetsTheV0FallbackSoTheClientRetries() {
        ByteBuffer frame = frame(ApiKeys.API_VERSIONS, (short) 4, apiVersions());
        frame.putShort(6, (short) 99);
        channel.writeInbound(Unpooled.wrappedBuffer(frame));

        ByteBuffer answer = readAnswer();
        assertThat(ResponseHeader.parse(answer, (short) 0).correlationId()).isEqualTo(correlation);
        ApiVersionsResponseData data = ApiVersionsResponse.parse(new ByteBufferAccessor(answer), (short) 0).data();
        assertThat(data.errorCode()).isEqualTo(Errors.UNSUPPORTED_VERSION.code());
        assertThat(data.apiKeys().find(ApiKeys.API_VERSIONS.id).maxVersion()).isEqualTo((short) 4);
    }

    @Test
    void metadataDescribesBrokersTopicIdsLeadersAndIsr() {
        MetadataResponse response = (MetadataResponse) roundTrip(ApiKeys.METADATA, (short) 12,
                new MetadataRequestData().setTopics(null));
        MetadataResponseData data = response.data();

        assertThat(data.clusterId()).isEqualTo("cluster-1");
        assertThat(data.controllerId()).isEqualTo(1);
        assertThat(data.brokers()).extracting(b -> b.nodeId() + "@" + b.port() + "/" + b.rack())
                .containsExactly("1@9092/r1", "2@9093/null");
        MetadataResponseData.MetadataResponseTopic topic = data.topics().find("orders");
        assertThat(topic.topicId()).isEqualTo(new Uuid(TOPIC_ID.getMostSignificantBits(), TOPIC_ID.getLeastSignificantBits()));
        assertThat(topic.partitions().get(0).leaderId()).isEqualTo(1);
        assertThat(topic.partitions().get(0).leaderEpoch()).isEqualTo(4);
        assertThat(topic.partitions().get(0).isrNodes()).containsExactly(1, 2);
        assertThat(topic.partitions().get(1).errorCode()).isEqualTo(Errors.LEADER_NOT_AVAILABLE.code());
        assertThat(topic.partitions().get(1).offlineReplicas()).containsExactly(3);
    }

    @Test
    void metadataNamesTheEndpointsOfTheListenerTheClientCameInOn() {
        metadata.apply(new UpdateMetadataRequest(100, 1, 10, 2, true, List.of(
                new BrokerInfo(1, "broker-1", 9092, 8091, null, 10, List.of(
                        new BrokerInfo.Endpoint("INTERNAL", "broker-1", 9092, "PLAINTEXT"),
                        new BrokerInfo.Endpoint("EXTERNAL", "localhost", 19092, "SASL_SSL"))),
                new BrokerInfo(2, "broker-2", 9093, 8092, null, 11, List.of(
                        new BrokerInfo.Endpoint("INTERNAL", "broker-2", 9093, "PLAINTEXT")))),
                List.of(new TopicInfo("orders", TOPIC_ID, Map.of(), List.of(
                        new PartitionInfo(0, List.of(1, 2), new PartitionState(1, 4, List.of(1, 2), 6)),
                        new PartitionInfo(1, List.of(2, 1), new PartitionState(2, 2, List.of(2, 1), 3))))),
                List.of()));
        channel = new EmbeddedChannel();
        KafkaServer.initPipeline(channel, new Listener("EXTERNAL", SecurityProtocol.PLAINTEXT, "127.0.0.1", 0,
                "localhost", 0), ListenerSecurity.none(), ListenerLimits.defaults(),
                RequestDispatcher.direct(new KafkaApis(handlers)), KafkaMetrics.none(), RequestMemoryPool.unbounded());

        MetadataResponseData data = ((MetadataResponse) roundTrip(ApiKeys.METADATA, (short) 12,
                new MetadataRequestData().setTopics(null))).data();

        assertThat(data.brokers()).extracting(b -> b.nodeId() + "@" + b.host() + ":" + b.port())
                .as("broker 2 has no EXTERNAL listener").containsExactly("1@localhost:19092");
        MetadataResponseData.MetadataResponseTopic topic = data.topics().find("orders");
        assertThat(topic.partitions().get(0).leaderId()).isEqualTo(1);
        assertThat(topic.partitions().get(1).errorCode()).isEqualTo(Errors.LISTENER_NOT_FOUND.code());
        assertThat(topic.partitions().get(1).leaderId()).isEqualTo(-1);
        DescribeClusterResponseData cluster = ((DescribeClusterResponse) roundTrip(ApiKeys.DESCRIBE_CLUSTER, (short) 1,
                new DescribeClusterRequestData())).data();
        assertThat(cluster.brokers()).extracting(b -> b.brokerId() + "@" + b.port()).containsExactly("1@19092");
    }

    @Test
    void describeClientQuotasWithoutAQuotaStoreFindsNone() {
        handlers.put(ApiKeys.DESCRIBE_CLIENT_QUOTAS, new ClientQuotasHandler(null, Runnable::run));

        DescribeClientQuotasResponseData answer = ((DescribeClientQuotasResponse) roundTrip(
                ApiKeys.DESCRIBE_CLIENT_QUOTAS, (short) 1, new DescribeClientQuotasRequestData().setComponents(List.of(
                        new DescribeClientQuotasRequestData.ComponentData().setEntityType("user").setMatchType((byte) 0)
                                .setMatch("bob"))))).data();

        assertThat(answer.errorCode()).isZero();
        assertThat(answer.entries()).isEmpty();
    }

    @Test
    void describeClusterListsTheBrokersForBrokerEndpointsOnly() {
        DescribeClusterResponseData brokers = ((DescribeClusterResponse) roundTrip(ApiKeys.DESCRIBE_CLUSTER, (short) 2,
                new DescribeClusterRequestData().setEndpointType((byte) 1))).data();
        assertThat(brokers.errorCode()).isZero();
        assertThat(brokers.clusterId()).isEqualTo("cluster-1");
        assertThat(brokers.controllerId()).isEqualTo(1);
        assertThat(brokers.brokers()).extracting(b -> b.brokerId() + "@" + b.port()).containsExactly("1@9092", "2@9093");

        DescribeClusterResponseData controllers = ((DescribeClusterResponse) roundTrip(ApiKeys.DESCRIBE_CLUSTER,
                (short) 1, new DescribeClusterRequestData().setEndpointType((byte) 2))).data();
        assertThat(controllers.errorCode()).isEqualTo(Errors.MISMATCHED_ENDPOINT_TYPE.code());
        assertThat(controllers.brokers()).isEmpty();

        DescribeClusterResponseData v0 = ((DescribeClusterResponse) roundTrip(ApiKeys.DESCRIBE_CLUSTER, (short) 0,
                new DescribeClusterRequestData())).data();
        assertThat(v0.brokers()).hasSize(2);
    }

    @Test
    void metadataForUnknownAndInvalidTopicsCarriesTheirErrors() {
        MetadataResponse response = (MetadataResponse) roundTrip(ApiKeys.METADATA, (short) 9, new MetadataRequestData()
                .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName("nope"),
                        new MetadataRequestData.MetadataRequestTopic().setName("bad/name"))));

        assertThat(response.data().topics().find("nope").errorCode()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        assertThat(response.data().topics().find("bad/name").errorCode()).isEqualTo(Errors.INVALID_TOPIC_EXCEPTION.code());
    }

    @Test
    void everyOldMetadataVersionWeAdvertiseSerialises() {
        for (short v = 1; v <= 13; v++) {
            AbstractResponse response = roundTrip(ApiKeys.METADATA, v, new MetadataRequestData().setTopics(null));
            assertThat(((MetadataResponse) response).data().topics()).as("v%d", v).hasSize(1);
        }
    }

    @Test
    void anApiWeDoNotServeGetsUnsupportedVersion() {
        MetadataResponse response = (MetadataResponse) roundTrip(ApiKeys.METADATA, (short) 0,
                new MetadataRequestData().setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName("orders"))));
        assertThat(response.errorCounts()).containsKey(Errors.UNSUPPORTED_VERSION);
        assertThat(channel.isActive()).isTrue();
    }

    /** Request memory counts what is read and not yet handled: a parked request holds none of it. */
    @Test
    void requestMemoryComesBackOnceARequestIsHandledWhateverBecomesOfIt() {
        RequestMemoryPool pool = new RequestMemoryPool(1);
        channel = new EmbeddedChannel();
        KafkaServer.initPipeline(channel, new ListenerLimits(MAX_REQUEST, 1, ListenerLimits.defaults().connectionsMaxIdle()),
                handlers, new KafkaMetrics(registry), pool);
        CompletableFuture<ApiMessage> parked = new CompletableFuture<>();
        handlers.put(ApiKeys.METADATA, request -> parked);
        handlers.put(ApiKeys.DESCRIBE_CLUSTER, request -> {
            throw new IllegalStateException("broken handler");
        });

        channel.writeInbound(Unpooled.wrappedBuffer(frame(ApiKeys.METADATA, (short) 12, ordersMetadata())),
                Unpooled.wrappedBuffer(frame(ApiKeys.DESCRIBE_CLUSTER, (short) 1, new DescribeClusterRequestData())),
                Unpooled.wrappedBuffer(frame(ApiKeys.API_VERSIONS, (short) 3, apiVersions())));
        assertThat(pool.used()).isZero();
        assertThat(channel.config().isAutoRead()).isTrue();

        parked.complete(new MetadataResponseData());
        channel.runPendingTasks();
        assertThat(answers()).hasSize(3);

        ByteBuf garbage = Unpooled.buffer().writeInt(14).writeShort(ApiKeys.METADATA.id).writeShort(12).writeInt(7)
                .writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2});
        channel.writeInbound(garbage, Unpooled.wrappedBuffer(frame(ApiKeys.API_VERSIONS, (short) 3, apiVersions())));
        assertThat(channel.isActive()).isFalse();
        assertThat(outbound()).as("nothing after the bad frame is answered").isEmpty();
        assertThat(pool.used()).isZero();
    }

    /** Sarama 1.22 commits with OffsetCommit v1, which Kafka 4 removed: closed as Kafka does, counted. */
    @Test
    void aVersionKafkaClientsCannotReadClosesTheConnectionAndIsCounted() {
        useMetrics();
        ByteBuffer frame = frame(ApiKeys.API_VERSIONS, (short) 0, new ApiVersionsRequestData());
        frame.putShort(4, ApiKeys.OFFSET_COMMIT.id).putShort(6, (short) (ApiKeys.OFFSET_COMMIT.oldestVersion() - 1));

        channel.writeInbound(Unpooled.wrappedBuffer(frame));

        assertThat(channel.isActive()).isFalse();
        assertThat(registry.get("runnel.broker.request.errors").tags("api", "OffsetCommit", "error", "UNSUPPORTED_VERSION")
                .counter().count()).isEqualTo(1);
    }

    @Test
    void aRequestSplitAcrossReadsIsAnsweredOnceWhole() {
        ByteBuffer frame = frame(ApiKeys.API_VERSIONS, (short) 3, apiVersions());
        byte[] bytes = new byte[frame.remaining()];
        frame.get(bytes);
        for (int i = 0; i < bytes.length; i += 3) {
            assertThat(outbound()).isEmpty();
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(3, bytes.length - i)));
        }
        assertThat(parse(ApiKeys.API_VERSIONS, (short) 3, readAnswer()).errorCounts()).containsOnlyKeys(Errors.NONE);
    }

    @Test
    void answersLeaveInRequestOrderEvenWhenAnEarlierOneWaits() {
        CompletableFuture<ApiMessage> slow = new CompletableFuture<>();
        handlers.put(ApiKeys.METADATA, request -> slow);
        ByteBuffer first = frame(ApiKeys.METADATA, (short) 12, new MetadataRequestData().setTopics(null));
        int firstCorrelation = correlation;
        ByteBuffer second = frame(ApiKeys.API_VERSIONS, (short) 3, apiVersions());

        channel.writeInbound(Unpooled.wrappedBuffer(first), Unpooled.wrappedBuffer(second));
        channel.runPendingTasks();
        assertThat(outbound()).isEmpty();

        slow.complete(new MetadataResponseData().setClusterId("late"));
        channel.runPendingTasks();
        List<ByteBuffer> answers = answers();
        assertThat(answers).hasSize(2);
        assertThat(ResponseHeader.parse(answers.get(0).duplicate(), (short) 1).correlationId()).isEqualTo(firstCorrelation);
        assertThat(ResponseHeader.parse(answers.get(1).duplicate(), (short) 0).correlationId()).isEqualTo(correlation);
    }

    @Test
    void aConnectionStopsReadingWhileTooManyAnswersWaitAndResumesOnceTheyLeave() {
        CompletableFuture<ApiMessage> slow = new CompletableFuture<>();
        handlers.put(ApiKeys.METADATA, request -> slow);
        for (int i = 0; i < KafkaConnection.MAX_IN_FLIGHT; i++) {
            channel.writeInbound(Unpooled.wrappedBuffer(frame(ApiKeys.METADATA, (short) 12,
                    new MetadataRequestData().setTopics(null))));
        }
        assertThat(channel.config().isAutoRead()).isFalse();

        slow.complete(new MetadataResponseData());
        channel.runPendingTasks();

        assertThat(answers()).hasSize(KafkaConnection.MAX_IN_FLIGHT);
        assertThat(channel.config().isAutoRead()).isTrue();
    }

    @Test
    void anAnswerThatCannotBeWrittenAtTheRequestsVersionIsUnknownServerErrorAndTheConnectionGoesOn() {
        useMetrics();
        // A field the request's version does not have: kafka-clients refuses to write it.
        handlers.put(ApiKeys.METADATA, request -> CompletableFuture.completedFuture(
                new MetadataResponseData().setClusterAuthorizedOperations(5)));

        AbstractResponse response = roundTrip(ApiKeys.METADATA, (short) 7, ordersMetadata());

        assertThat(response.errorCounts()).containsOnlyKeys(Errors.UNKNOWN_SERVER_ERROR);
        assertThat(channel.isActive()).isTrue();
        assertThat(roundTrip(ApiKeys.API_VERSIONS, (short) 3, apiVersions()).errorCounts()).containsOnlyKeys(Errors.NONE);
        assertThat(registry.get("runnel.broker.request.errors").tags("api", "Metadata", "version", "7", "error",
                "UNKNOWN_SERVER_ERROR").counter().count()).isEqualTo(1);
    }

    @Test
    void aHandlerThatThrowsIsAnsweredWithUnknownServerErrorAndTheConnectionGoesOn() {
        useMetrics();
        handlers.put(ApiKeys.METADATA, request -> {
            throw new IllegalStateException("broken handler");
        });
        handlers.put(ApiKeys.DESCRIBE_CLUSTER, request -> CompletableFuture.failedFuture(new IllegalStateException("late")));

        assertThat(roundTrip(ApiKeys.METADATA, (short) 12, ordersMetadata()).errorCounts())
                .containsOnlyKeys(Errors.UNKNOWN_SERVER_ERROR);
        assertThat(roundTrip(ApiKeys.DESCRIBE_CLUSTER, (short) 1, new DescribeClusterRequestData()).errorCounts())
                .containsOnlyKeys(Errors.UNKNOWN_SERVER_ERROR);

        assertThat(channel.isActive()).isTrue();
        assertThat(registry.find("runnel.broker.request.errors").tag("error", "UNKNOWN_SERVER_ERROR").counters())
                .hasSize(2);
    }

    @Test
    void anIdleConnectionIsClosedAfterConnectionsMaxIdle() {
        channel.freezeTime();
        assertThat(roundTrip(ApiKeys.API_VERSIONS, (short) 3, apiVersions()).errorCounts()).containsOnlyKeys(Errors.NONE);

        channel.advanceTimeBy(ListenerLimits.defaults().connectionsMaxIdle().toMillis() - 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isTrue();

        channel.advanceTimeBy(2, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void aConnectionWaitingForAnAnswerIsNotClosedAsIdle() {
        channel.freezeTime();
        CompletableFuture<ApiMessage> slow = new CompletableFuture<>();
        handlers.put(ApiKeys.METADATA, request -> slow);
        channel.writeInbound(Unpooled.wrappedBuffer(frame(ApiKeys.METADATA, (short) 12,
                new MetadataRequestData().setTopics(null))));

        channel.advanceTimeBy(ListenerLimits.defaults().connectionsMaxIdle().toMillis() + 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();

        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void anOversizedFrameClosesTheConnection() {
        ByteBuf frame = Unpooled.buffer().writeInt(MAX_REQUEST + 1).writeBytes(new byte[16]);
        channel.writeInbound(frame);
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void aNegativeSizeClosesTheConnection() {
        channel.writeInbound(Unpooled.buffer().writeInt(-5).writeBytes(new byte[16]));
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void anUnknownApiKeyClosesTheConnection() {
        ByteBuffer frame = frame(ApiKeys.API_VERSIONS, (short) 3, apiVersions());
        frame.putShort(4, (short) 999);
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void garbageAfterAValidHeaderClosesTheConnection() {
        ByteBuf frame = Unpooled.buffer().writeInt(14).writeShort(ApiKeys.METADATA.id).writeShort(12).writeInt(7)
                .writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2});
        channel.writeInbound(frame);
        assertThat(outbound()).isEmpty();
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void aFrameTooShortForAHeaderClosesTheConnection() {
        channel.writeInbound(Unpooled.buffer().writeInt(3).writeBytes(new byte[] {0, 18, 0}));
        assertThat(channel.isActive()).isFalse();
    }

    /** Rebuilds the pipeline with metrics counted into {@link #registry}. */
    private void useMetrics() {
        channel = new EmbeddedChannel();
        KafkaServer.initPipeline(channel, new ListenerLimits(MAX_REQUEST, Long.MAX_VALUE,
                ListenerLimits.defaults().connectionsMaxIdle()), handlers, new KafkaMetrics(registry),
                RequestMemoryPool.unbounded());
    }

    private static MetadataRequestData ordersMetadata() {
        return new MetadataRequestData().setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName("orders")));
    }

    private static ApiVersionsRequestData apiVersions() {
        return new ApiVersionsRequestData().setClientSoftwareName("runnel-test").setClientSoftwareVersion("1.0");
    }

    private AbstractResponse roundTrip(ApiKeys key, short version, Message body) {
        channel.writeInbound(Unpooled.wrappedBuffer(frame(key, version, body)));
        channel.runPendingTasks();
        return parse(key, version, readAnswer());
    }

    private AbstractResponse parse(ApiKeys key, short version, ByteBuffer answer) {
        ResponseHeader header = ResponseHeader.parse(answer, key.responseHeaderVersion(version));
        assertThat(header.correlationId()).isEqualTo(correlation);
        return AbstractResponse.parseResponse(key, new ByteBufferAccessor(answer), version);
    }

    /** A size-prefixed request frame with the next correlation id. */
    private ByteBuffer frame(ApiKeys key, short version, Message body) {
        RequestHeader header = new RequestHeader(key, version, "test-client", ++correlation);
        ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
        ByteBuffer frame = ByteBuffer.allocate(4 + request.remaining());
        frame.putInt(request.remaining()).put(request).flip();
        return frame;
    }

    private ByteBuffer readAnswer() {
        List<ByteBuffer> answers = answers();
        assertThat(answers).hasSize(1);
        return answers.get(0);
    }

    /** Every answer written so far, split by their size prefixes. */
    private List<ByteBuffer> answers() {
        ByteBuffer all = ByteBuffer.wrap(outbound());
        List<ByteBuffer> answers = new ArrayList<>();
        while (all.remaining() >= 4) {
            int size = all.getInt();
            ByteBuffer answer = all.slice();
            answer.limit(size);
            all.position(all.position() + size);
            answers.add(answer);
        }
        return answers;
    }

    private byte[] outbound() {
        ByteBuf all = Unpooled.buffer();
        for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            if (out instanceof FileRegion region) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try {
                    WritableByteChannel sink = Channels.newChannel(bytes);
                    while (region.transferred() < region.count()) {
                        region.transferTo(sink, region.transferred());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                all.writeBytes(bytes.toByteArray());
                region.release();
                continue;
            }
            ByteBuf buf = (ByteBuf) out;
            all.writeBytes(buf);
            buf.release();
        }
        byte[] bytes = new byte[all.readableBytes()];
        all.readBytes(bytes);
        return bytes;
    }
}
