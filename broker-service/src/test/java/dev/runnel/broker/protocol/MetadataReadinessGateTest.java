package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * A broker that has no full metadata view for its current registration answers ApiVersions and
 * followers' replication requests, and closes the connection on anything else, so a client never
 * sees a view without existing topics.
 */
class MetadataReadinessGateTest {

    private static final BrokerInfo SELF = new BrokerInfo(1, "127.0.0.1", 9092, 8091, null, 10);
    private static final TopicInfo ORDERS = new TopicInfo("orders", UUID.randomUUID(), Map.of(), List.of(
            new PartitionInfo(0, List.of(1), new PartitionState(1, 0, List.of(1), 0))));

    private final MetadataCache metadata = new MetadataCache();
    private final AtomicLong brokerEpoch = new AtomicLong(10);
    private final List<ApiKeys> served = new ArrayList<>();
    private EmbeddedChannel channel;
    private int correlation;
    private long version;

    @BeforeEach
    void openChannel() {
        metadata.clusterId("cluster-1");
        Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
        handlers.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler());
        handlers.put(ApiKeys.METADATA, new MetadataHandler(metadata, metadata::clusterId, null));
        // What a leader answers a follower does not matter here, only that the request reaches its handler.
        handlers.put(ApiKeys.FETCH, request -> {
            served.add(ApiKeys.FETCH);
            return CompletableFuture.completedFuture(new FetchResponseData());
        });
        handlers.put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, request -> {
            served.add(ApiKeys.OFFSET_FOR_LEADER_EPOCH);
            return CompletableFuture.completedFuture(new OffsetForLeaderEpochResponseData());
        });
        channel = new EmbeddedChannel();
        KafkaServer.initPipeline(channel, 1 << 20,
                MetadataReadinessGate.guard(handlers, () -> metadata.hasFullViewFor(brokerEpoch.get())));
    }

    private void update(boolean full, long forBrokerEpoch) {
        metadata.apply(new UpdateMetadataRequest(100, 1, forBrokerEpoch, ++version, full, List.of(SELF), List.of(ORDERS),
                List.of()));
    }

    @Test
    void beforeAFullViewApiVersionsIsAnsweredAndMetadataClosesTheConnection() {
        update(false, 10);

        assertThat(roundTrip(ApiKeys.API_VERSIONS, (short) 3, new ApiVersionsRequestData())).isNotNull();
        send(ApiKeys.METADATA, (short) 12, new MetadataRequestData().setTopics(null));

        assertThat(answers()).isEmpty();
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void followersFetchAndAskForLeaderEpochsBeforeAFullView() {
        roundTrip(ApiKeys.FETCH, (short) 12, new FetchRequestData().setReplicaId(2));
        roundTrip(ApiKeys.FETCH, (short) 17, new FetchRequestData()
                .setReplicaState(new FetchRequestData.ReplicaState().setReplicaId(2).setReplicaEpoch(5)));
        roundTrip(ApiKeys.OFFSET_FOR_LEADER_EPOCH, (short) 4, new OffsetForLeaderEpochRequestData().setReplicaId(2));

        assertThat(served).containsExactly(ApiKeys.FETCH, ApiKeys.FETCH, ApiKeys.OFFSET_FOR_LEADER_EPOCH);
        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void aConsumersFetchClosesTheConnectionBeforeAFullView() {
        send(ApiKeys.FETCH, (short) 17, new FetchRequestData());

        assertThat(served).isEmpty();
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void aFullViewForThisRegistrationOpensTheGateAndANewRegistrationClosesIt() {
        update(true, 9);
        send(ApiKeys.METADATA, (short) 12, new MetadataRequestData().setTopics(null));
        assertThat(channel.isActive()).as("a full view for an earlier registration does not count").isFalse();

        openChannel();
        update(true, 10);
        MetadataResponse answer = (MetadataResponse) roundTrip(ApiKeys.METADATA, (short) 12,
                new MetadataRequestData().setTopics(null));
        assertThat(answer.data().topics()).extracting(MetadataResponseData.MetadataResponseTopic::name).containsExactly("orders");

        brokerEpoch.set(11);
        send(ApiKeys.METADATA, (short) 12, new MetadataRequestData().setTopics(null));
        assertThat(channel.isActive()).isFalse();
    }

    private void send(ApiKeys key, short version, Message body) {
        RequestHeader header = new RequestHeader(key, version, "test-client", ++correlation);
        ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
        ByteBuffer frame = ByteBuffer.allocate(4 + request.remaining());
        frame.putInt(request.remaining()).put(request).flip();
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        channel.runPendingTasks();
    }

    private AbstractResponse roundTrip(ApiKeys key, short version, Message body) {
        send(key, version, body);
        List<ByteBuffer> answers = answers();
        assertThat(answers).hasSize(1);
        ByteBuffer answer = answers.get(0);
        assertThat(ResponseHeader.parse(answer, key.responseHeaderVersion(version)).correlationId())
                .isEqualTo(correlation);
        return AbstractResponse.parseResponse(key, new ByteBufferAccessor(answer), version);
    }

    /** Every answer written so far, split by their size prefixes. */
    private List<ByteBuffer> answers() {
        ByteBuf all = Unpooled.buffer();
        for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            ByteBuf buf = (ByteBuf) out;
            all.writeBytes(buf);
            buf.release();
        }
        List<ByteBuffer> answers = new ArrayList<>();
        while (all.readableBytes() >= 4) {
            byte[] answer = new byte[all.readInt()];
            all.readBytes(answer);
            answers.add(ByteBuffer.wrap(answer));
        }
        return answers;
    }
}
