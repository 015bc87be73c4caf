package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterClientQuotasResponseData;
import org.apache.kafka.common.message.DescribeClientQuotasRequestData;
import org.apache.kafka.common.message.DescribeClientQuotasResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AlterClientQuotasResponse;
import org.apache.kafka.common.requests.DescribeClientQuotasResponse;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.quota.ClientQuotaStore;
import dev.runnel.broker.quota.ClientQuotas;
import dev.runnel.broker.quota.QuotaKey;
import dev.runnel.broker.security.Session;
import dev.runnel.broker.storage.FileSlice;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * AlterClientQuotas and DescribeClientQuotas over the wire, against quotas kept in ZooKeeper, with
 * bad input refused; and a produce over its client's quota answered with the throttle time and the
 * connection muted for it (or, for a version before KIP-219, the answer held back).
 */
class ClientQuotasProtocolTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private final ManualClock clock = new ManualClock(1_000_000);
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private TestingServer server;
    private CuratorFramework zk;
    private ClientQuotas quotas;
    private ClientQuotaStore store;
    private EmbeddedChannel channel;
    private int correlation;

    @BeforeEach
    void start() throws Exception {
        server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1"), true);
        zk = CuratorFrameworkFactory.builder().connectString(server.getConnectString())
                .namespace(ZkPaths.DEFAULT_NAMESPACE).retryPolicy(new RetryOneTime(100)).build();
        zk.start();
        assertThat(zk.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
        quotas = new ClientQuotas(11, Duration.ofSeconds(1), clock, scheduler);
        store = new ClientQuotaStore(zk, Duration.ofSeconds(10), quotas::apply);
        store.start();
        assertThat(store.awaitInitialized(DEADLINE)).isTrue();
        Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
        ClientQuotasHandler handler = new ClientQuotasHandler(store, Runnable::run);
        handlers.put(ApiKeys.ALTER_CLIENT_QUOTAS, handler);
        handlers.put(ApiKeys.DESCRIBE_CLIENT_QUOTAS, handler);
        handlers.put(ApiKeys.PRODUCE, request -> CompletableFuture.completedFuture(new ProduceResponseData()));
        channel = new EmbeddedChannel();
        ListenerLimits defaults = ListenerLimits.defaults();
        KafkaServer.initPipeline(channel, new ListenerLimits(1024 * 1024, defaults.queuedMaxRequestBytes(),
                defaults.connectionsMaxIdle()), RequestDispatcher.direct(new KafkaApis(handlers))
                        .throttling(quotas, scheduler), KafkaMetrics.none(), RequestMemoryPool.unbounded());
    }

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
        for (AutoCloseable c : new AutoCloseable[] {store, quotas, zk, server}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void quotasAreStoredAsKafkasZooKeeperModeKeptThemAndDescribedWithKafkasFilters() throws Exception {
        AlterClientQuotasResponseData altered = alter(false,
                entry(op("producer_byte_rate", 1048576), "client-id", "limited"),
                entry(op("consumer_byte_rate", 2048), "user", null),
                entry(op("request_percentage", 50.5), "user", "alice", "client-id", "c"));

        assertThat(altered.entries()).extracting(e -> e.errorCode()).containsOnly(Errors.NONE.code());
        assertThat(new String(zk.getData().forPath("/config/clients/limited"), StandardCharsets.UTF_8))
                .isEqualTo("{\"version\":1,\"config\":{\"producer_byte_rate\":\"1048576\"}}");
        assertThat(zk.checkExists().forPath("/config/users/<default>")).isNotNull();
        assertThat(zk.checkExists().forPath("/config/users/alice/clients/c")).isNotNull();

        assertThat(describe(false, component("client-id", 0, "limited")))
                .containsExactly("client-id=limited: producer_byte_rate=1048576.0");
        assertThat(describe(false, component("user", 1, null))).containsExactly("user=<default>: consumer_byte_rate=2048.0");
        assertThat(describe(false, component("user", 2, null))).containsExactlyInAnyOrder(
                "user=<default>: consumer_byte_rate=2048.0", "user=alice,client-id=c: request_percentage=50.5");
        assertThat(describe(true, component("user", 2, null)))
                .as("strict: no other component").containsExactly("user=<default>: consumer_byte_rate=2048.0");
        assertThat(describe(false)).hasSize(3);
        assertThat(describe(true)).isEmpty();
    }

    @Test
    void removingAQuotaDeletesItsNodeButKeepsAUserNodeWithClientIds() throws Exception {
        alter(false, entry(op("producer_byte_rate", 1000), "user", "bob"),
                entry(op("producer_byte_rate", 500), "user", "bob", "client-id", "app"));

        AlterClientQuotasResponseData removed = alter(false, entry(remove("producer_byte_rate"), "user", "bob"));

        assertThat(removed.entries().get(0).errorCode()).isZero();
        assertThat(zk.checkExists().forPath("/config/users/bob")).as("the parent of the client-id node").isNotNull();
        assertThat(describe(false, component("user", 0, "bob")))
                .containsExactly("user=bob,client-id=app: producer_byte_rate=500.0");
        alter(false, entry(remove("producer_byte_rate"), "user", "bob", "client-id", "app"));
        assertThat(zk.checkExists().forPath("/config/users/bob/clients/app")).isNull();
        assertThat(describe(false)).isEmpty();
    }

    @Test
    void badInputIsRefusedWithAClearMessageAndChangesNothing() throws Exception {
        AlterClientQuotasResponseData refused = alter(false,
                entry(op("producer_byte_rate", 1.5), "client-id", "a"),
                entry(op("producer_bytes_rate", 1000), "client-id", "b"),
                entry(op("consumer_byte_rate", -1), "client-id", "c"),
                entry(op("producer_byte_rate", 1000), "ip", "127.0.0.1"),
                entry(op("producer_byte_rate", 1000), "client-id", ""),
                entry(op("producer_byte_rate", 1000), "group", "g"),
                entry(op("producer_byte_rate", 1000), "client-id", "twice"),
                entry(op("producer_byte_rate", 2000), "client-id", "twice"));

        assertThat(refused.entries()).extracting(e -> e.errorCode()).containsOnly(Errors.INVALID_REQUEST.code());
        assertThat(refused.entries()).extracting(e -> e.errorMessage()).containsExactly(
                "Configuration producer_byte_rate must be a Long value",
                "Invalid configuration key producer_bytes_rate (valid keys: producer_byte_rate, consumer_byte_rate, "
                        + "request_percentage, controller_mutation_rate)",
                "Configuration consumer_byte_rate must be a positive number, not -1.0",
                "Runnel does not support ip quotas (connection_creation_rate)",
                "Empty client-id not supported",
                "Unhandled client quota entity type: group",
                "Ignoring duplicate entity client-id twice");
        AlterClientQuotasResponseData validated = alter(true, entry(op("producer_byte_rate", 1000), "client-id", "x"));
        assertThat(validated.entries().get(0).errorCode()).isZero();
        assertThat(describe(false)).as("validate_only changes nothing").isEmpty();
        assertThat(zk.checkExists().forPath("/config/clients/x")).isNull();

        DescribeClientQuotasResponseData badFilter = describeData(false, component("user", 0, null));
        assertThat(badFilter.errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
        assertThat(badFilter.errorMessage()).isEqualTo("Request specified MATCH_TYPE_EXACT, but set match string to null.");
        assertThat(describeData(false, component("user", 2, null), component("user", 1, null)).errorCode())
                .isEqualTo(Errors.INVALID_REQUEST.code());
        assertThat(describeData(false, component("group", 2, null)).errorCode())
                .isEqualTo(Errors.UNSUPPORTED_VERSION.code());
        assertThat(describeData(false, component("user", 7, null)).errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
    }

    @Test
    void aProduceOverItsQuotaIsAnsweredWithTheThrottleTimeAndTheConnectionMutedForIt() throws Exception {
        alter(false, entry(op("producer_byte_rate", 1000), "client-id", "test-client"));

        ProduceResponseData first = produce((short) 9, 5_000);
        assertThat(first.throttleTimeMs()).as("under 10 000 bytes over the first 10 s").isZero();
        assertThat(channel.config().isAutoRead()).isTrue();

        ProduceResponseData second = produce((short) 9, 20_000);
        // about 25 000 bytes over 10 s against 1 000/s: (2.5 - 1) * 10 s
        assertThat(second.throttleTimeMs()).isBetween(15_000, 16_000);
        assertThat(channel.config().isAutoRead()).as("muted after the answer").isFalse();

        scheduler.advance(Duration.ofMillis(second.throttleTimeMs() - 1));
        channel.runPendingTasks();
        assertThat(channel.config().isAutoRead()).isFalse();
        scheduler.advance(Duration.ofMillis(1));
        channel.runPendingTasks();
        assertThat(channel.config().isAutoRead()).as("reads again once the throttle has passed").isTrue();
        assertThat(quotas.manager(QuotaKey.PRODUCER_BYTE_RATE).throttledRequests()).isOne();
    }

    @Test
    void anOldProduceVersionOverItsQuotaGetsItsAnswerOnlyAfterTheThrottle() throws Exception {
        alter(false, entry(op("producer_byte_rate", 1000), "client-id", "test-client"));

        send(ApiKeys.PRODUCE, (short) 5, produceRequest(30_000));
        assertThat(answers()).as("held back").isEmpty();
        assertThat(channel.config().isAutoRead()).isFalse();

        scheduler.advance(Duration.ofSeconds(30));
        channel.runPendingTasks();
        List<ByteBuffer> answers = answers();
        assertThat(answers).hasSize(1);
        ProduceResponseData answer = ((ProduceResponse) parse(ApiKeys.PRODUCE, (short) 5, answers.get(0))).data();
        assertThat(answer.throttleTimeMs()).isGreaterThan(15_000);
        assertThat(channel.config().isAutoRead()).isTrue();
    }

    @Test
    void aConsumersFetchesCountTheirRecordBytesAndAFollowersAreExempt() throws Exception {
        alter(false, entry(op("consumer_byte_rate", 1000), "client-id", "test-client"));
        RequestThrottler throttler = new RequestThrottler(quotas, scheduler);

        FetchRequestData follower = new FetchRequestData().setReplicaState(
                new FetchRequestData.ReplicaState().setReplicaId(2)).setMaxWaitMs(0);
        assertThat(throttler.throttleMs(request(ApiKeys.FETCH, (short) 17, follower), 100, fetched(30_000), 0))
                .isZero();
        FetchRequestData consumer = new FetchRequestData().setMaxWaitMs(0);
        // 30 000 record bytes over 10 s against 1 000/s: (3 - 1) * 10 s
        assertThat(throttler.throttleMs(request(ApiKeys.FETCH, (short) 17, consumer), 100, fetched(30_000), 0))
                .isEqualTo(20_000);
        assertThat(quotas.manager(QuotaKey.CONSUMER_BYTE_RATE).throttledRequests()).isOne();
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /** A fetch answer with {@code bytes} of records in a segment file (never read here). */
    private static FetchResponseData fetched(int bytes) {
        FetchResponseData.PartitionData partition = new FetchResponseData.PartitionData().setPartitionIndex(0)
                .setRecords(KafkaWire.fileRecords(new FileSlice(null, 0, bytes, 0)));
        return new FetchResponseData().setResponses(List.of(new FetchResponseData.FetchableTopicResponse()
                .setTopicId(Uuid.randomUuid()).setPartitions(List.of(partition))));
    }

    private static AlterClientQuotasRequestData.OpData op(String key, double value) {
        return new AlterClientQuotasRequestData.OpData().setKey(key).setValue(value);
    }

    private static AlterClientQuotasRequestData.OpData remove(String key) {
        return new AlterClientQuotasRequestData.OpData().setKey(key).setRemove(true);
    }

    /** An entry with one op; {@code entity} alternates type and name. */
    private static AlterClientQuotasRequestData.EntryData entry(AlterClientQuotasRequestData.OpData op,
            String... entity) {
        List<AlterClientQuotasRequestData.EntityData> components = new ArrayList<>();
        for (int i = 0; i < entity.length; i += 2) {
            components.add(new AlterClientQuotasRequestData.EntityData().setEntityType(entity[i])
                    .setEntityName(entity[i + 1]));
        }
        return new AlterClientQuotasRequestData.EntryData().setEntity(components).setOps(List.of(op));
    }

    private static DescribeClientQuotasRequestData.ComponentData component(String type, int match, String name) {
        return new DescribeClientQuotasRequestData.ComponentData().setEntityType(type).setMatchType((byte) match)
                .setMatch(name);
    }

    private AlterClientQuotasResponseData alter(boolean validateOnly, AlterClientQuotasRequestData.EntryData... entries) {
        return ((AlterClientQuotasResponse) roundTrip(ApiKeys.ALTER_CLIENT_QUOTAS, (short) 1,
                new AlterClientQuotasRequestData().setEntries(List.of(entries)).setValidateOnly(validateOnly))).data();
    }

    private DescribeClientQuotasResponseData describeData(boolean strict,
            DescribeClientQuotasRequestData.ComponentData... components) {
        return ((DescribeClientQuotasResponse) roundTrip(ApiKeys.DESCRIBE_CLIENT_QUOTAS, (short) 1,
                new DescribeClientQuotasRequestData().setComponents(List.of(components)).setStrict(strict))).data();
    }

    /** Each entry as {@code type=name,...: key=value,...}. */
    private List<String> describe(boolean strict, DescribeClientQuotasRequestData.ComponentData... components) {
        DescribeClientQuotasResponseData data = describeData(strict, components);
        assertThat(data.errorCode()).as(data.errorMessage()).isZero();
        return data.entries().stream().map(e -> {
            StringBuilder text = new StringBuilder();
            e.entity().forEach(c -> text.append(text.isEmpty() ? "" : ",").append(c.entityType()).append('=')
                    .append(c.entityName() == null ? "<default>" : c.entityName()));
            Map<String, Double> values = new TreeMap<>();
            e.values().forEach(v -> values.put(v.key(), v.value()));
            text.append(": ");
            values.forEach((k, v) -> text.append(k).append('=').append(v).append(','));
            return text.substring(0, text.length() - 1);
        }).toList();
    }

    private static ProduceRequestData produceRequest(int valueBytes) {
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(new byte[valueBytes]));
        ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName("orders")
                .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData().setIndex(0)
                        .setRecords(records)));
        return new ProduceRequestData().setAcks((short) 1).setTimeoutMs(1000)
                .setTopicData(new ProduceRequestData.TopicProduceDataCollection(List.of(topic).iterator()));
    }

    private ProduceResponseData produce(short version, int valueBytes) {
        return ((ProduceResponse) roundTrip(ApiKeys.PRODUCE, version, produceRequest(valueBytes))).data();
    }

    private AbstractResponse roundTrip(ApiKeys key, short version, Message body) {
        send(key, version, body);
        List<ByteBuffer> answers = answers();
        assertThat(answers).hasSize(1);
        return parse(key, version, answers.get(0));
    }

    /** A request as the connection reads it, on an anonymous plaintext session. */
    private KafkaWire.Request request(ApiKeys key, short version, Message body) {
        RequestHeader header = new RequestHeader(key, version, "test-client", ++correlation);
        return KafkaWire.decode(RequestUtils.serialize(header.data(), header.headerVersion(), body, version))
                .withSession(Session.anonymous());
    }

    private void send(ApiKeys key, short version, Message body) {
        RequestHeader header = new RequestHeader(key, version, "test-client", ++correlation);
        ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
        ByteBuffer frame = ByteBuffer.allocate(4 + request.remaining());
        frame.putInt(request.remaining()).put(request).flip();
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        channel.runPendingTasks();
    }

    private AbstractResponse parse(ApiKeys key, short version, ByteBuffer answer) {
        ResponseHeader header = ResponseHeader.parse(answer, key.responseHeaderVersion(version));
        assertThat(header.correlationId()).isEqualTo(correlation);
        return AbstractResponse.parseResponse(key, new ByteBufferAccessor(answer), version);
    }

    /** Every answer written since the last call, split by their size prefixes. */
    private List<ByteBuffer> answers() {
        ByteBuf all = Unpooled.buffer();
        for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            ByteBuf buf = (ByteBuf) out;
            all.writeBytes(buf);
            buf.release();
        }
        List<ByteBuffer> answers = new ArrayList<>();
        while (all.readableBytes() >= 4) {
            int size = all.readInt();
            byte[] bytes = new byte[size];
            all.readBytes(bytes);
            answers.add(ByteBuffer.wrap(bytes));
        }
        return answers;
    }
}
