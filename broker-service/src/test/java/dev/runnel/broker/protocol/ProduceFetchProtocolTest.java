package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.zip.CRC32C;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DeleteRecordsResponse;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.replication.AppendResult;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.AppendOrigin;
import dev.runnel.broker.security.BrokerAuthentication;
import dev.runnel.broker.security.SaslMechanisms;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicConfigs;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * Produce, Fetch, ListOffsets, OffsetForLeaderEpoch and DeleteRecords over the wire: request
 * frames built with kafka-clients go through the connection pipeline on {@link EmbeddedChannel}s
 * into the real handlers, a {@link ReplicaManager} and partition logs in a temp directory; time
 * (long-poll fetches, acks=all timeouts) moves only when the test advances the scheduler.
 *
 * <pre>
 *  orders-0, orders-1   led here at epoch 5, ISR {1}
 *  orders-2             led by broker 2, this broker follows
 *  audit-0              led here, ISR {1, 2}: acks=all waits for broker 2
 *  strict-0             led here, ISR {1}, min.insync.replicas=2
 *  small-0              led here, max.message.bytes=256
 * </pre>
 */
class ProduceFetchProtocolTest {

    private static final int SELF = 1;
    private static final String CLUSTER_SECRET = "protocol-test-secret";
    private static final int OTHER = 2;
    private static final int CONTROLLER = 3000;
    private static final long BROKER_EPOCH = 100;
    private static final int MAX_REQUEST = 256 * 1024;
    private static final int ORDERS_EPOCH = 5;
    private static final int ELSEWHERE_EPOCH = 3;
    private static final int SMALL_MAX_MESSAGE_BYTES = 256;
    private static final int PRODUCE_TIMEOUT_MS = 1500;
    private static final short ACKS_ALL = -1;
    private static final short PRODUCE_V = 9;
    private static final short PRODUCE_LATEST = 13;
    private static final short FETCH_LATEST = 17;
    private static final UUID ORDERS_ID = UUID.fromString("0b7e4a52-0000-4000-8000-000000000001");
    private static final UUID AUDIT_ID = UUID.fromString("0b7e4a52-0000-4000-8000-000000000002");
    private static final UUID STRICT_ID = UUID.fromString("0b7e4a52-0000-4000-8000-000000000003");
    private static final UUID SMALL_ID = UUID.fromString("0b7e4a52-0000-4000-8000-000000000004");
    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);
    private static final TopicPartition AUDIT_0 = new TopicPartition("audit", 0);
    private static final TopicPartition STRICT_0 = new TopicPartition("strict", 0);
    private static final TopicPartition SMALL_0 = new TopicPartition("small", 0);
    private static final BrokerInfo SELF_INFO = new BrokerInfo(SELF, "127.0.0.1", 9092, 8081, null, BROKER_EPOCH);
    private static final BrokerInfo OTHER_INFO = new BrokerInfo(OTHER, "10.0.0.2", 9093, 8082, "r2", 200);

    @TempDir
    Path root;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final long now = scheduler.clock().millis();
    private final MetadataCache metadata = new MetadataCache();
    private final Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
    private final List<WireClient> clients = new ArrayList<>();
    private LogManager logs;
    private ReplicaManager replicas;
    private WireClient client;

    @BeforeEach
    void startBroker() throws IOException {
        logs = LogManager.open(root.resolve("logs"), LogConfig.DEFAULTS, scheduler.clock(), scheduler,
                LogManager.Settings.DEFAULTS);
        replicas = new ReplicaManager(SELF, List.of(logs), metadata, () -> BROKER_EPOCH, scheduler.clock(),
                (partition, isr) -> { }, scheduler);
        handlers.put(ApiKeys.PRODUCE, new ProduceHandler(replicas, metadata));
        handlers.put(ApiKeys.FETCH, new FetchHandler(replicas, metadata, scheduler.clock()));
        handlers.put(ApiKeys.LIST_OFFSETS, new ListOffsetsHandler(replicas));
        handlers.put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, new OffsetForLeaderEpochHandler(replicas));
        handlers.put(ApiKeys.DELETE_RECORDS, new DeleteRecordsHandler(replicas));
        handlers.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler());
        SaslHandler sasl = new SaslHandler(SaslMechanisms.brokersOnly(new BrokerAuthentication(CLUSTER_SECRET)),
                Duration.ZERO, Duration.ZERO, scheduler, scheduler.clock());
        handlers.put(ApiKeys.SASL_HANDSHAKE, sasl);
        handlers.put(ApiKeys.SASL_AUTHENTICATE, sasl);

        List<TopicInfo> topics = List.of(
                new TopicInfo("orders", ORDERS_ID, Map.of(), List.of(ledHere(0, ORDERS_EPOCH, SELF),
                        ledHere(1, ORDERS_EPOCH, SELF), new PartitionInfo(2, List.of(OTHER, SELF),
                                new PartitionState(OTHER, ELSEWHERE_EPOCH, List.of(OTHER, SELF), ELSEWHERE_EPOCH)))),
                new TopicInfo("audit", AUDIT_ID, Map.of(), List.of(ledHere(0, 0, SELF, OTHER))),
                new TopicInfo("strict", STRICT_ID, Map.of(TopicConfigs.MIN_INSYNC_REPLICAS, "2"),
                        List.of(new PartitionInfo(0, List.of(SELF, OTHER), new PartitionState(SELF, 0, List.of(SELF), 0)))),
                new TopicInfo("small", SMALL_ID, Map.of("max.message.bytes", String.valueOf(SMALL_MAX_MESSAGE_BYTES)),
                        List.of(ledHere(0, 0, SELF))));
        assertThat(replicas.updateMetadata(new UpdateMetadataRequest(CONTROLLER, 1, BROKER_EPOCH, 1, true,
                List.of(SELF_INFO, OTHER_INFO), topics, List.of()))).isEqualTo(CommandResponse.ok(List.of()));
        assertThat(leaderAndIsr(topics.toArray(TopicInfo[]::new))).isEqualTo(CommandResponse.ok(List.of()));
        client = connect();
    }

    @AfterEach
    void stopBroker() throws IOException {
        for (WireClient c : clients) {
            c.channel.finishAndReleaseAll();
        }
        logs.close();
    }

    // ---- produce and fetch across versions --------------------------------------------------

    @ParameterizedTest(name = "Produce v{0}, Fetch v{1}")
    @CsvSource({"3, 4", "5, 7", "8, 11", "9, 12", "12, 13", "13, 15", "13, 17", "3, 17"})
    void producedBatchesGetConsecutiveBaseOffsetsAndFetchReturnsTheirBytes(short produceVersion, short fetchVersion) {
        MemoryRecords first = records(now, "a0", "a1", "a2");
        MemoryRecords toOther = records(now, "b0", "b1");
        MemoryRecords second = records(now + 1, "a3", "a4");

        ProduceResponseData firstAnswer = produce(client, produceVersion, (short) 1, "orders", ORDERS_ID,
                partitionData(0, first), partitionData(1, toOther));
        ProduceResponseData secondAnswer = produce(client, produceVersion, (short) 1, "orders", ORDERS_ID,
                partitionData(0, second));

        assertThat(partitions(firstAnswer)).extracting(p -> p.index() + ":" + Errors.forCode(p.errorCode()) + "@" + p.baseOffset())
                .containsExactly("0:NONE@0", "1:NONE@0");
        assertThat(only(secondAnswer).baseOffset()).isEqualTo(3);
        if (produceVersion >= 13) {
            assertThat(secondAnswer.responses().iterator().next().topicId()).isEqualTo(wire(ORDERS_ID));
        } else {
            assertThat(secondAnswer.responses().iterator().next().name()).isEqualTo("orders");
        }
        if (produceVersion >= 5) {
            assertThat(only(secondAnswer).logStartOffset()).isZero();
        }

        FetchResponseData.PartitionData orders0 = fetchNow(client, fetchVersion, "orders", ORDERS_ID, 0, 0);
        assertThat(orders0.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(orders0.highWatermark()).isEqualTo(5);
        assertThat(values(orders0.records())).containsExactly("a0", "a1", "a2", "a3", "a4");
        assertThat(offsets(orders0.records())).containsExactly(0L, 1L, 2L, 3L, 4L);
        // The bytes as sent, with only the broker's fields (base offset, leader epoch) filled in.
        assertThat(bytes(orders0.records())).isEqualTo(concat(asStored(first, 0), asStored(second, 3)));

        FetchResponseData.PartitionData orders1 = fetchNow(client, fetchVersion, "orders", ORDERS_ID, 1, 0);
        assertThat(values(orders1.records())).containsExactly("b0", "b1");
        assertThat(bytes(orders1.records())).isEqualTo(asStored(toOther, 0));

        FetchResponseData.PartitionData fromTheMiddle = fetchNow(client, fetchVersion, "orders", ORDERS_ID, 0, 3);
        assertThat(values(fromTheMiddle.records())).containsExactly("a3", "a4");
    }

    @Test
    void aFetchByAnUnknownTopicIdGetsUnknownTopicId() {
        FetchResponseData.PartitionData answer = fetchNow(client, FETCH_LATEST, "orders", UUID.randomUUID(), 0, 0);

        assertThat(answer.errorCode()).isEqualTo(Errors.UNKNOWN_TOPIC_ID.code());
    }

    @Test
    void aFetchWithAStaleLeaderEpochIsFencedAndToldTheCurrentLeader() {
        FetchRequestData request = fetchRequest((short) 12, 0, "orders", ORDERS_ID, 0, 0);
        request.topics().get(0).partitions().get(0).setCurrentLeaderEpoch(ORDERS_EPOCH - 1);

        FetchResponseData.PartitionData answer = only(fetch(client, (short) 12, request));

        assertThat(answer.errorCode()).isEqualTo(Errors.FENCED_LEADER_EPOCH.code());
        assertThat(answer.currentLeader().leaderId()).isEqualTo(SELF);
        assertThat(answer.currentLeader().leaderEpoch()).isEqualTo(ORDERS_EPOCH);
    }

    // ---- refused produce requests -----------------------------------------------------------

    @Test
    void aCorruptBatchGetsCorruptMessageAppendsNothingAndTheConnectionServesTheNextRequest() {
        byte[] corrupt = bytes(records(now, "a0", "a1"));
        corrupt[corrupt.length - 3] ^= 0x5a; // a value byte, after the CRC field: the CRC no longer matches

        ProduceResponseData refused = produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, MemoryRecords.readableRecords(ByteBuffer.wrap(corrupt))));

        assertThat(only(refused).errorCode()).isEqualTo(Errors.CORRUPT_MESSAGE.code());
        assertThat(only(refused).baseOffset()).isEqualTo(-1);
        assertThat(logEnd(ORDERS_0)).isZero();
        assertThat(client.channel.isActive()).isTrue();

        ProduceResponseData next = produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, records(now, "b0")));
        assertThat(only(next).errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(only(next).baseOffset()).isZero();
    }

    @Test
    void aRefusedPartitionDoesNotStopTheOtherPartitionsOfTheRequest() {
        byte[] corrupt = bytes(records(now, "x"));
        corrupt[corrupt.length - 3] ^= 0x5a;

        ProduceResponseData answer = produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, records(now, "a0", "a1")),
                partitionData(1, MemoryRecords.readableRecords(ByteBuffer.wrap(corrupt))));

        assertThat(partitions(answer)).extracting(p -> p.index() + ":" + Errors.forCode(p.errorCode()))
                .containsExactly("0:NONE", "1:CORRUPT_MESSAGE");
        assertThat(logEnd(ORDERS_0)).isEqualTo(2);
        assertThat(logEnd(ORDERS_1)).isZero();
    }

    @Test
    void aPartitionListedTwiceInOneRequestIsAppendedOnceAndTheRepeatRefused() {
        ProduceResponseData answer = produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, records(now, "a0")), partitionData(0, records(now, "a1")));

        assertThat(partitions(answer)).extracting(p -> p.index() + ":" + Errors.forCode(p.errorCode()))
                .containsExactly("0:NONE", "0:INVALID_REQUEST");
        assertThat(logEnd(ORDERS_0)).isOne();
    }

    @Test
    void aBatchLargerThanTheTopicsMaxMessageBytesGetsMessageTooLarge() {
        MemoryRecords big = MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(now, null, new byte[SMALL_MAX_MESSAGE_BYTES + 100]));

        ProduceResponseData answer = produce(client, PRODUCE_V, (short) 1, "small", SMALL_ID, partitionData(0, big));

        assertThat(only(answer).errorCode()).isEqualTo(Errors.MESSAGE_TOO_LARGE.code());
        assertThat(logEnd(SMALL_0)).isZero();
        ProduceResponseData fits = produce(client, PRODUCE_V, (short) 1, "small", SMALL_ID,
                partitionData(0, records(now, "ok")));
        assertThat(only(fits).errorCode()).isEqualTo(Errors.NONE.code());
    }

    @Test
    void aBatchWhoseRecordCountDoesNotMatchItsRecordsGetsInvalidRecordNamingTheBatch() {
        ByteBuffer batch = ByteBuffer.wrap(bytes(records(now, "a0", "a1", "a2")));
        batch.putInt(RECORDS_COUNT_OFFSET, 4);
        rewriteCrc(batch);

        ProduceResponseData answer = produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, MemoryRecords.readableRecords(batch)));

        assertThat(only(answer).errorCode()).isEqualTo(Errors.INVALID_RECORD.code());
        assertThat(only(answer).recordErrors()).extracting(ProduceResponseData.BatchIndexAndErrorMessage::batchIndex)
                .containsExactly(0);
        assertThat(logEnd(ORDERS_0)).isZero();
    }

    @Test
    void aMagicOneMessageSetIsRefusedAsAnUnsupportedFormat() {
        MemoryRecords legacy = MemoryRecords.withRecords(RecordBatch.MAGIC_VALUE_V1, Compression.NONE,
                new SimpleRecord(now, null, "old".getBytes(StandardCharsets.UTF_8)));

        ProduceResponseData answer = produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, legacy));

        assertThat(only(answer).errorCode()).isNotEqualTo(Errors.NONE.code())
                .isEqualTo(Errors.UNSUPPORTED_FOR_MESSAGE_FORMAT.code());
        assertThat(logEnd(ORDERS_0)).isZero();
    }

    @Test
    void acksOtherThanMinusOneZeroOrOneGetInvalidRequiredAcks() {
        ProduceResponseData answer = produce(client, PRODUCE_V, (short) 2, "orders", ORDERS_ID,
                partitionData(0, records(now, "a0")));

        assertThat(only(answer).errorCode()).isEqualTo(Errors.INVALID_REQUIRED_ACKS.code());
        assertThat(logEnd(ORDERS_0)).isZero();
    }

    @Test
    void anUnknownTopicOrPartitionGetsUnknownTopicOrPartition() {
        ProduceResponseData unknownTopic = produce(client, PRODUCE_V, (short) 1, "nope", null,
                partitionData(0, records(now, "a0")));
        ProduceResponseData unknownPartition = produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(9, records(now, "a0")));
        ProduceResponseData unknownId = produce(client, PRODUCE_LATEST, (short) 1, "nope", UUID.randomUUID(),
                partitionData(0, records(now, "a0")));

        assertThat(only(unknownTopic).errorCode()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        assertThat(only(unknownPartition).errorCode()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        assertThat(only(unknownId).errorCode()).isEqualTo(Errors.UNKNOWN_TOPIC_ID.code());
    }

    @Test
    void aPartitionLedElsewhereGetsNotLeaderWithTheCurrentLeaderFromVersionTen() {
        ProduceResponseData v13 = produce(client, PRODUCE_LATEST, (short) 1, "orders", ORDERS_ID,
                partitionData(2, records(now, "a0")));
        ProduceResponseData v9 = produce(client, (short) 9, (short) 1, "orders", ORDERS_ID,
                partitionData(2, records(now, "a0")));

        assertThat(only(v13).errorCode()).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER.code());
        assertThat(only(v13).currentLeader().leaderId()).isEqualTo(OTHER);
        assertThat(only(v13).currentLeader().leaderEpoch()).isEqualTo(ELSEWHERE_EPOCH);
        assertThat(v13.nodeEndpoints()).extracting(e -> e.nodeId() + "@" + e.host() + ":" + e.port() + "/" + e.rack())
                .containsExactly(OTHER + "@10.0.0.2:9093/r2");
        assertThat(only(v9).errorCode()).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER.code());
        assertThat(only(v9).currentLeader().leaderId()).isEqualTo(-1);
        assertThat(replicas.partition(new TopicPartition("orders", 2)).orElseThrow().log().logEndOffset()).isZero();
    }

    @Test
    void aFetchFromAFollowerGetsNotLeaderWithoutWaiting() {
        int correlation = client.send(ApiKeys.FETCH, FETCH_LATEST,
                fetchRequest(FETCH_LATEST, 500, "orders", ORDERS_ID, 2, 0));

        List<Answer> answers = client.answers();

        assertThat(answers).extracting(Answer::correlationId).containsExactly(correlation);
        FetchResponseData.PartitionData answer = only(((FetchResponse) answers.get(0).response()).data());
        assertThat(answer.errorCode()).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER.code());
        assertThat(answer.currentLeader().leaderId()).isEqualTo(OTHER);
        assertThat(answer.currentLeader().leaderEpoch()).isEqualTo(ELSEWHERE_EPOCH);
        assertThat(((FetchResponse) answers.get(0).response()).data().nodeEndpoints())
                .extracting(e -> e.nodeId() + "@" + e.host() + ":" + e.port()).containsExactly(OTHER + "@10.0.0.2:9093");
        assertThat(replicas.waitingFetches()).isZero();
    }

    // ---- acks=0 -----------------------------------------------------------------------------

    @Test
    void anAcksZeroProduceIsAppendedAndNeverAnswered() {
        int produced = client.send(ApiKeys.PRODUCE, PRODUCE_V,
                produceRequest(PRODUCE_V, (short) 0, "orders", ORDERS_ID, partitionData(0, records(now, "a0", "a1"))));
        int versions = client.send(ApiKeys.API_VERSIONS, (short) 3, apiVersions());

        assertThat(client.answers()).extracting(Answer::correlationId).containsExactly(versions).doesNotContain(produced);
        assertThat(logEnd(ORDERS_0)).isEqualTo(2);
        assertThat(client.channel.isActive()).isTrue();
    }

    @Test
    void aFailedAcksZeroProduceClosesTheConnectionAfterAnsweringTheRequestsBeforeIt() {
        WireClient bystander = connect();
        int versions = client.send(ApiKeys.API_VERSIONS, (short) 3, apiVersions());
        client.send(ApiKeys.PRODUCE, PRODUCE_V,
                produceRequest(PRODUCE_V, (short) 0, "orders", ORDERS_ID, partitionData(2, records(now, "a0"))));

        assertThat(client.answers()).extracting(Answer::correlationId).containsExactly(versions);
        assertThat(client.channel.isActive()).isFalse();

        assertThat(bystander.channel.isActive()).isTrue();
        assertThat(only(produce(bystander, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, records(now, "a0")))).errorCode()).isEqualTo(Errors.NONE.code());
    }

    // ---- idempotent producers ---------------------------------------------------------------

    @Test
    void aRetriedIdempotentBatchGetsItsOriginalBaseOffsetAndIsStoredOnce() {
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "plain")));
        MemoryRecords batch = idempotent(7000L, (short) 0, 0, "i0", "i1", "i2");

        ProduceResponseData first = produce(client, PRODUCE_LATEST, (short) 1, "orders", ORDERS_ID, partitionData(0, batch));
        ProduceResponseData retry = produce(client, PRODUCE_LATEST, (short) 1, "orders", ORDERS_ID, partitionData(0, batch));

        assertThat(only(first).errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(only(first).baseOffset()).isEqualTo(1);
        assertThat(only(retry).errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(only(retry).baseOffset()).isEqualTo(1);
        assertThat(logEnd(ORDERS_0)).isEqualTo(4);
        assertThat(values(fetchNow(client, FETCH_LATEST, "orders", ORDERS_ID, 0, 0).records()))
                .containsExactly("plain", "i0", "i1", "i2");
    }

    @Test
    void aRetryOlderThanTheRetainedBatchesGetsDuplicateSequenceNumberAndIsNotStoredAgain() {
        for (int seq = 0; seq < 6; seq++) {
            produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                    partitionData(0, idempotent(7000L, (short) 0, seq, "i" + seq)));
        }

        // A retry that waited while five newer batches were written (a leader change with requests to both).
        ProduceResponseData late = produce(client, PRODUCE_LATEST, (short) 1, "orders", ORDERS_ID,
                partitionData(0, idempotent(7000L, (short) 0, 0, "i0")));

        assertThat(only(late).errorCode()).isEqualTo(Errors.DUPLICATE_SEQUENCE_NUMBER.code());
        assertThat(only(late).baseOffset()).isEqualTo(-1);
        assertThat(logEnd(ORDERS_0)).isEqualTo(6);
        assertThat(values(fetchNow(client, FETCH_LATEST, "orders", ORDERS_ID, 0, 0).records()))
                .containsExactly("i0", "i1", "i2", "i3", "i4", "i5");
        ProduceResponseData next = produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, idempotent(7000L, (short) 0, 6, "i6")));
        assertThat(only(next).baseOffset()).isEqualTo(6);
    }

    @Test
    void aSequenceGapGetsOutOfOrderSequenceNumber() {
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, idempotent(7000L, (short) 0, 0, "i0", "i1")));

        ProduceResponseData gap = produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, idempotent(7000L, (short) 0, 5, "i5")));

        assertThat(only(gap).errorCode()).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER.code());
        assertThat(logEnd(ORDERS_0)).isEqualTo(2);
        ProduceResponseData inOrder = produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, idempotent(7000L, (short) 0, 2, "i2")));
        assertThat(only(inOrder).baseOffset()).isEqualTo(2);
    }

    @Test
    void aBatchFromAnOlderProducerEpochGetsInvalidProducerEpoch() {
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, idempotent(7000L, (short) 0, 0, "e0")));
        ProduceResponseData bumped = produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, idempotent(7000L, (short) 1, 0, "e1")));

        ProduceResponseData zombie = produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, idempotent(7000L, (short) 0, 1, "zombie")));

        assertThat(only(bumped).errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(only(zombie).errorCode()).isEqualTo(Errors.INVALID_PRODUCER_EPOCH.code());
        assertThat(logEnd(ORDERS_0)).isEqualTo(2);
    }

    // ---- long-poll fetch --------------------------------------------------------------------

    @Test
    void aFetchAtTheLogEndWaitsUntilAProduceBringsARecord() {
        int fetch = client.send(ApiKeys.FETCH, FETCH_LATEST, fetchRequest(FETCH_LATEST, 500, "orders", ORDERS_ID, 0, 0));
        assertThat(client.answers()).isEmpty();
        scheduler.advance(Duration.ofMillis(499));
        assertThat(client.answers()).isEmpty();

        WireClient producer = connect();
        produce(producer, PRODUCE_LATEST, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "late")));

        List<Answer> answers = client.answers();
        assertThat(answers).extracting(Answer::correlationId).containsExactly(fetch);
        FetchResponseData.PartitionData answer = only(((FetchResponse) answers.get(0).response()).data());
        assertThat(answer.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(values(answer.records())).containsExactly("late");
        assertThat(answer.highWatermark()).isEqualTo(1);
        assertThat(replicas.waitingFetches()).isZero();
        assertThat(scheduler.pendingTaskNames()).doesNotContain("fetch");
    }

    @Test
    void aFetchAtTheLogEndAnswersEmptyOnceMaxWaitHasPassed() {
        int fetch = client.send(ApiKeys.FETCH, FETCH_LATEST, fetchRequest(FETCH_LATEST, 500, "orders", ORDERS_ID, 0, 0));

        scheduler.advance(Duration.ofMillis(499));
        assertThat(client.answers()).isEmpty();
        scheduler.advance(Duration.ofMillis(1));

        List<Answer> answers = client.answers();
        assertThat(answers).extracting(Answer::correlationId).containsExactly(fetch);
        FetchResponseData.PartitionData answer = only(((FetchResponse) answers.get(0).response()).data());
        assertThat(answer.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(answer.records().sizeInBytes()).isZero();
        assertThat(answer.highWatermark()).isZero();
        assertThat(replicas.waitingFetches()).isZero();
    }

    @Test
    void aProduceToAnotherPartitionDoesNotCompleteAWaitingFetch() {
        client.send(ApiKeys.FETCH, FETCH_LATEST, fetchRequest(FETCH_LATEST, 500, "orders", ORDERS_ID, 0, 0));

        produce(connect(), PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(1, records(now, "elsewhere")));

        assertThat(client.answers()).isEmpty();
    }

    @Test
    void anAnswerReadyBehindAWaitingFetchDoesNotOvertakeIt() {
        int fetch = client.send(ApiKeys.FETCH, FETCH_LATEST, fetchRequest(FETCH_LATEST, 500, "orders", ORDERS_ID, 0, 0));
        int versions = client.send(ApiKeys.API_VERSIONS, (short) 3, apiVersions());
        assertThat(client.answers()).isEmpty();

        scheduler.advance(Duration.ofMillis(500));

        assertThat(client.answers()).extracting(Answer::correlationId).containsExactly(fetch, versions);
    }

    @Test
    void aProduceOnTheConnectionOfAWaitingFetchCompletesItAndIsAnsweredAfterIt() {
        int fetch = client.send(ApiKeys.FETCH, FETCH_LATEST, fetchRequest(FETCH_LATEST, 500, "orders", ORDERS_ID, 0, 0));
        int produced = client.send(ApiKeys.PRODUCE, PRODUCE_V,
                produceRequest(PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "same"))));

        List<Answer> answers = client.answers();

        assertThat(answers).extracting(Answer::correlationId).containsExactly(fetch, produced);
        assertThat(values(only(((FetchResponse) answers.get(0).response()).data()).records())).containsExactly("same");
    }

    @Test
    void aFetchWaitingForMinBytesAnswersWithWhatItHasOnceMaxWaitHasPassed() {
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "some")));
        FetchRequestData request = fetchRequest(FETCH_LATEST, 500, "orders", ORDERS_ID, 0, 0).setMinBytes(1 << 20);
        int fetch = client.send(ApiKeys.FETCH, FETCH_LATEST, request);
        assertThat(client.answers()).isEmpty();

        scheduler.advance(Duration.ofMillis(500));

        List<Answer> answers = client.answers();
        assertThat(answers).extracting(Answer::correlationId).containsExactly(fetch);
        assertThat(values(only(((FetchResponse) answers.get(0).response()).data()).records())).containsExactly("some");
    }

    @Test
    void aWaitingFetchIsAnsweredNotLeaderAtOnceWhenLeadershipMoves() {
        int fetch = client.send(ApiKeys.FETCH, FETCH_LATEST, fetchRequest(FETCH_LATEST, 500, "orders", ORDERS_ID, 0, 0));
        assertThat(client.answers()).isEmpty();

        leaderAndIsr(new TopicInfo("orders", ORDERS_ID, Map.of(), List.of(new PartitionInfo(0, List.of(SELF, OTHER),
                new PartitionState(OTHER, ORDERS_EPOCH + 1, List.of(OTHER, SELF), ORDERS_EPOCH + 1)))));

        List<Answer> answers = client.answers();
        assertThat(answers).extracting(Answer::correlationId).containsExactly(fetch);
        FetchResponseData.PartitionData answer = only(((FetchResponse) answers.get(0).response()).data());
        assertThat(answer.errorCode()).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER.code());
        assertThat(replicas.waitingFetches()).isZero();
    }

    @Test
    void aWaitingFetchBelowTheNewLogStartIsAnsweredOffsetOutOfRangeByDeleteRecords() {
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "d0", "d1", "d2")));
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "d3")));
        WireClient consumer = connect();
        // More bytes than the log has: the fetch waits although records are there.
        int fetch = consumer.send(ApiKeys.FETCH, FETCH_LATEST,
                fetchRequest(FETCH_LATEST, 500, "orders", ORDERS_ID, 0, 0).setMinBytes(1 << 20));
        assertThat(consumer.answers()).isEmpty();

        assertThat(deleteRecords(3).lowWatermark()).isEqualTo(3);

        List<Answer> answers = consumer.answers();
        assertThat(answers).extracting(Answer::correlationId).containsExactly(fetch);
        assertThat(only(((FetchResponse) answers.get(0).response()).data()).errorCode())
                .isEqualTo(Errors.OFFSET_OUT_OF_RANGE.code());
    }

    // ---- framing ----------------------------------------------------------------------------

    @Test
    void aRequestSplitAcrossManyWritesIsAnsweredOnceWhole() {
        ByteBuffer frame = client.frame(ApiKeys.PRODUCE, PRODUCE_V,
                produceRequest(PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "split"))));
        byte[] bytes = new byte[frame.remaining()];
        frame.get(bytes);

        for (int at = 0; at < bytes.length; at += 7) {
            assertThat(client.answers()).isEmpty();
            client.write(Unpooled.wrappedBuffer(bytes, at, Math.min(7, bytes.length - at)));
        }

        List<Answer> answers = client.answers();
        assertThat(answers).hasSize(1);
        assertThat(only(((ProduceResponse) answers.get(0).response()).data()).baseOffset()).isZero();
        assertThat(logEnd(ORDERS_0)).isEqualTo(1);
    }

    /**
     * FAILS (production bug): Kafka refuses a request whose size field exceeds
     * socket.request.max.bytes; the frame decoder counts the 4-byte size prefix too, so requests of
     * the last four allowed sizes close the connection.
     */
    @Test
    void aRequestOfExactlyTheMaximumSizeIsServed() {
        ByteBuffer frame = produceFrameOfRequestSize(client, MAX_REQUEST);
        assertThat(frame.getInt(0)).isEqualTo(MAX_REQUEST);

        client.write(Unpooled.wrappedBuffer(frame));

        assertThat(client.channel.isActive()).isTrue();
        List<Answer> answers = client.answers();
        assertThat(answers).hasSize(1);
        assertThat(only(((ProduceResponse) answers.get(0).response()).data()).errorCode()).isEqualTo(Errors.NONE.code());
    }

    @Test
    void aRequestOneByteOverTheMaximumSizeClosesTheConnection() {
        ByteBuffer frame = produceFrameOfRequestSize(client, MAX_REQUEST + 1);
        assertThat(frame.getInt(0)).isEqualTo(MAX_REQUEST + 1);

        client.write(Unpooled.wrappedBuffer(frame));

        assertThat(client.answers()).isEmpty();
        assertThat(client.channel.isActive()).isFalse();
        assertThat(logEnd(ORDERS_0)).isZero();
    }

    /** A produce frame to orders-0 whose size field (the request without the prefix) is {@code size}. */
    private ByteBuffer produceFrameOfRequestSize(WireClient via, int size) {
        int valueSize = size - 200;
        for (int attempt = 0; attempt < 10; attempt++) {
            MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(now, null, new byte[valueSize]));
            ByteBuffer frame = via.frame(ApiKeys.PRODUCE, PRODUCE_V,
                    produceRequest(PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records)));
            int actual = frame.getInt(0);
            if (actual == size) {
                return frame;
            }
            valueSize += size - actual;
        }
        throw new AssertionError("no produce request of exactly " + size + " bytes");
    }

    @Test
    void anOversizedFrameClosesOnlyItsConnection() {
        WireClient bystander = connect();
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "before")));

        client.write(Unpooled.buffer().writeInt(MAX_REQUEST + 1).writeBytes(new byte[64]));

        assertThat(client.channel.isActive()).isFalse();
        assertBystanderStillServed(bystander, "before");
    }

    @Test
    void garbageAfterAValidHeaderClosesOnlyItsConnection() {
        WireClient bystander = connect();
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "before")));

        client.write(Unpooled.buffer().writeInt(14).writeShort(ApiKeys.PRODUCE.id).writeShort(PRODUCE_V).writeInt(99)
                .writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2}));

        assertThat(client.answers()).isEmpty();
        assertThat(client.channel.isActive()).isFalse();
        assertBystanderStillServed(bystander, "before");
    }

    @Test
    void randomBytesCloseOnlyTheirConnection() {
        WireClient bystander = connect();
        byte[] junk = new byte[200];
        new Random(7).nextBytes(junk);

        client.write(Unpooled.buffer().writeInt(junk.length).writeBytes(junk));

        assertThat(client.channel.isActive()).isFalse();
        assertBystanderStillServed(bystander);
    }

    private void assertBystanderStillServed(WireClient bystander, String... earlierValues) {
        assertThat(bystander.channel.isActive()).isTrue();
        ProduceResponseData answer = produce(bystander, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                partitionData(0, records(now, "after")));
        assertThat(only(answer).errorCode()).isEqualTo(Errors.NONE.code());
        List<String> expected = new ArrayList<>(List.of(earlierValues));
        expected.add("after");
        assertThat(values(fetchNow(bystander, FETCH_LATEST, "orders", ORDERS_ID, 0, 0).records()))
                .containsExactlyElementsOf(expected);
    }

    // ---- ListOffsets, OffsetForLeaderEpoch, DeleteRecords -----------------------------------

    @Test
    void listOffsetsFindsTheEarliestTheLatestAndTheFirstOffsetAtATimestamp() {
        for (int b = 0; b < 3; b++) {
            produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID,
                    partitionData(0, records(now + 1000L * b, "t" + b + "a", "t" + b + "b")));
        }

        assertThat(listOffset(ListOffsetsHandler.EARLIEST)).isEqualTo("NONE 0 @-1 epoch " + ORDERS_EPOCH);
        assertThat(listOffset(ListOffsetsHandler.LATEST)).isEqualTo("NONE 6 @-1 epoch " + ORDERS_EPOCH);
        assertThat(listOffset(now + 500)).isEqualTo("NONE 2 @" + (now + 1000) + " epoch " + ORDERS_EPOCH);
        assertThat(listOffset(now + 1000)).isEqualTo("NONE 2 @" + (now + 1000) + " epoch " + ORDERS_EPOCH);
        assertThat(listOffset(now)).isEqualTo("NONE 0 @" + now + " epoch " + ORDERS_EPOCH);
        assertThat(listOffset(now + 5000)).isEqualTo("NONE -1 @-1 epoch -1");
        assertThat(listOffset(ListOffsetsHandler.MAX_TIMESTAMP)).isEqualTo("NONE 4 @" + (now + 2000) + " epoch " + ORDERS_EPOCH);
    }

    @Test
    void offsetForLeaderEpochAnswersWhereEachEpochEnded() {
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "e5a", "e5b", "e5c")));
        int newEpoch = ORDERS_EPOCH + 2;
        assertThat(leaderAndIsr(new TopicInfo("orders", ORDERS_ID, Map.of(), List.of(ledHere(0, newEpoch, SELF)))))
                .isEqualTo(CommandResponse.ok(List.of()));
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "e7a", "e7b")));

        assertThat(epochEnd(0, -1, ORDERS_EPOCH)).isEqualTo("NONE " + ORDERS_EPOCH + " ends at 3");
        assertThat(epochEnd(0, -1, ORDERS_EPOCH + 1)).isEqualTo("NONE " + ORDERS_EPOCH + " ends at 3");
        assertThat(epochEnd(0, newEpoch, newEpoch)).isEqualTo("NONE " + newEpoch + " ends at 5");
        assertThat(epochEnd(0, -1, ORDERS_EPOCH - 1)).isEqualTo("NONE -1 ends at -1");
        assertThat(epochEnd(0, ORDERS_EPOCH, ORDERS_EPOCH)).startsWith("FENCED_LEADER_EPOCH");
        assertThat(epochEnd(0, newEpoch + 1, newEpoch)).startsWith("UNKNOWN_LEADER_EPOCH");
        assertThat(epochEnd(2, -1, ELSEWHERE_EPOCH)).startsWith("NOT_LEADER_OR_FOLLOWER");
    }

    @Test
    void deleteRecordsMovesTheLogStartAndAFetchBelowItIsOutOfRange() {
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "d0", "d1", "d2")));
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "d3", "d4")));

        DeleteRecordsResponseData.DeleteRecordsPartitionResult deleted = deleteRecords(3);

        assertThat(deleted.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(deleted.lowWatermark()).isEqualTo(3);
        FetchResponseData.PartitionData below = fetchNow(client, FETCH_LATEST, "orders", ORDERS_ID, 0, 1);
        assertThat(below.errorCode()).isEqualTo(Errors.OFFSET_OUT_OF_RANGE.code());
        FetchResponseData.PartitionData at = fetchNow(client, FETCH_LATEST, "orders", ORDERS_ID, 0, 3);
        assertThat(at.logStartOffset()).isEqualTo(3);
        assertThat(values(at.records())).containsExactly("d3", "d4");
        assertThat(listOffset(ListOffsetsHandler.EARLIEST)).startsWith("NONE 3 ");
    }

    @Test
    void deleteRecordsAboveTheHighWatermarkIsOutOfRangeAndMinusOneMeansTheHighWatermark() {
        produce(client, PRODUCE_V, (short) 1, "orders", ORDERS_ID, partitionData(0, records(now, "d0", "d1")));

        assertThat(deleteRecords(3).errorCode()).isEqualTo(Errors.OFFSET_OUT_OF_RANGE.code());
        assertThat(replicas.partition(ORDERS_0).orElseThrow().log().logStartOffset()).isZero();

        DeleteRecordsResponseData.DeleteRecordsPartitionResult all = deleteRecords(-1);
        assertThat(all.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(all.lowWatermark()).isEqualTo(2);
    }

    // ---- acks=all ---------------------------------------------------------------------------

    @Test
    void acksAllIsAnsweredAtOnceWhenTheLeaderIsTheWholeIsr() {
        int produced = client.send(ApiKeys.PRODUCE, PRODUCE_V,
                produceRequest(PRODUCE_V, ACKS_ALL, "orders", ORDERS_ID, partitionData(0, records(now, "a0"))));

        List<Answer> answers = client.answers();

        assertThat(answers).extracting(Answer::correlationId).containsExactly(produced);
        ProduceResponseData.PartitionProduceResponse answer = only(((ProduceResponse) answers.get(0).response()).data());
        assertThat(answer.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(answer.baseOffset()).isZero();
        assertThat(replicas.waitingAppends()).isZero();
    }

    @Test
    void acksAllWaitsForTheFollowerAndTimesOutAfterTheRequestsTimeout() {
        int produced = client.send(ApiKeys.PRODUCE, PRODUCE_V,
                produceRequest(PRODUCE_V, ACKS_ALL, "audit", AUDIT_ID, partitionData(0, records(now, "a0"))));
        assertThat(client.answers()).isEmpty();
        scheduler.advance(Duration.ofMillis(PRODUCE_TIMEOUT_MS - 1));
        assertThat(client.answers()).isEmpty();

        scheduler.advance(Duration.ofMillis(1));

        List<Answer> answers = client.answers();
        assertThat(answers).extracting(Answer::correlationId).containsExactly(produced);
        ProduceResponseData.PartitionProduceResponse answer = only(((ProduceResponse) answers.get(0).response()).data());
        assertThat(answer.errorCode()).isEqualTo(Errors.REQUEST_TIMED_OUT.code());
        assertThat(answer.baseOffset()).isEqualTo(-1);
        // As in Kafka, the leader keeps what it appended; the high watermark has not passed it.
        PartitionLog audit = replicas.partition(AUDIT_0).orElseThrow().log();
        assertThat(audit.logEndOffset()).isEqualTo(1);
        assertThat(audit.highWatermark()).isZero();
        assertThat(replicas.waitingAppends()).isZero();
    }

    @Test
    void acksAllWaitingForAFollowerIsAnsweredWhenTheIsrShrinksToTheLeader() {
        int produced = client.send(ApiKeys.PRODUCE, PRODUCE_V,
                produceRequest(PRODUCE_V, ACKS_ALL, "audit", AUDIT_ID, partitionData(0, records(now, "a0"))));
        assertThat(client.answers()).isEmpty();

        leaderAndIsr(new TopicInfo("audit", AUDIT_ID, Map.of(), List.of(new PartitionInfo(0, List.of(SELF, OTHER),
                new PartitionState(SELF, 0, List.of(SELF), 1)))));

        List<Answer> answers = client.answers();
        assertThat(answers).extracting(Answer::correlationId).containsExactly(produced);
        ProduceResponseData.PartitionProduceResponse answer = only(((ProduceResponse) answers.get(0).response()).data());
        assertThat(answer.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(answer.baseOffset()).isZero();
    }

    @Test
    void anAcksAllRetryOlderThanTheRetainedBatchesIsAnsweredOnceTheirStartIsReplicated() {
        for (int seq = 0; seq < 6; seq++) {
            produce(client, PRODUCE_V, (short) 1, "audit", AUDIT_ID,
                    partitionData(0, idempotent(7000L, (short) 0, seq, "a" + seq)));
        }
        int retried = client.send(ApiKeys.PRODUCE, PRODUCE_V, produceRequest(PRODUCE_V, ACKS_ALL, "audit", AUDIT_ID,
                partitionData(0, idempotent(7000L, (short) 0, 0, "a0"))));
        // Written at offset 0, but only "somewhere below offset 1" is known: the follower has nothing yet.
        assertThat(client.answers()).isEmpty();

        leaderAndIsr(new TopicInfo("audit", AUDIT_ID, Map.of(), List.of(new PartitionInfo(0, List.of(SELF, OTHER),
                new PartitionState(SELF, 0, List.of(SELF), 1)))));

        List<Answer> answers = client.answers();
        assertThat(answers).extracting(Answer::correlationId).containsExactly(retried);
        ProduceResponseData.PartitionProduceResponse answer = only(((ProduceResponse) answers.get(0).response()).data());
        assertThat(answer.errorCode()).isEqualTo(Errors.DUPLICATE_SEQUENCE_NUMBER.code());
        assertThat(answer.baseOffset()).isEqualTo(-1);
        assertThat(logEnd(AUDIT_0)).isEqualTo(6);
    }

    @Test
    void acksAllIsRefusedWithNotEnoughReplicasWhileTheIsrIsBelowMinInsyncReplicas() {
        ProduceResponseData refused = produce(client, PRODUCE_V, ACKS_ALL, "strict", STRICT_ID,
                partitionData(0, records(now, "a0")));

        assertThat(only(refused).errorCode()).isEqualTo(Errors.NOT_ENOUGH_REPLICAS.code());
        assertThat(logEnd(STRICT_0)).isZero();
        ProduceResponseData acksOne = produce(client, PRODUCE_V, (short) 1, "strict", STRICT_ID,
                partitionData(0, records(now, "a0")));
        assertThat(only(acksOne).errorCode()).isEqualTo(Errors.NONE.code());
    }

    @Test
    void acksAllWaitingForAFollowerIsAnsweredNotLeaderWhenLeadershipMoves() {
        int produced = client.send(ApiKeys.PRODUCE, PRODUCE_V,
                produceRequest(PRODUCE_V, ACKS_ALL, "audit", AUDIT_ID, partitionData(0, records(now, "a0"))));
        assertThat(client.answers()).isEmpty();

        leaderAndIsr(new TopicInfo("audit", AUDIT_ID, Map.of(), List.of(new PartitionInfo(0, List.of(SELF, OTHER),
                new PartitionState(OTHER, 1, List.of(OTHER, SELF), 1)))));

        List<Answer> answers = client.answers();
        assertThat(answers).extracting(Answer::correlationId).containsExactly(produced);
        ProduceResponseData.PartitionProduceResponse answer = only(((ProduceResponse) answers.get(0).response()).data());
        assertThat(answer.errorCode()).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER.code());
        assertThat(answer.baseOffset()).isEqualTo(-1);
        assertThat(replicas.waitingAppends()).isZero();
    }

    @Test
    void acksAllWaitingIsAnsweredNotEnoughReplicasAfterAppendWhenTheIsrShrinksBelowTheMinimum() {
        int produced = client.send(ApiKeys.PRODUCE, PRODUCE_V,
                produceRequest(PRODUCE_V, ACKS_ALL, "audit", AUDIT_ID, partitionData(0, records(now, "a0"))));
        assertThat(client.answers()).isEmpty();

        // The follower drops out of the ISR of a topic that (now) wants two in-sync replicas.
        leaderAndIsr(new TopicInfo("audit", AUDIT_ID, Map.of(TopicConfigs.MIN_INSYNC_REPLICAS, "2"), List.of(
                new PartitionInfo(0, List.of(SELF, OTHER), new PartitionState(SELF, 0, List.of(SELF), 1)))));

        List<Answer> answers = client.answers();
        assertThat(answers).extracting(Answer::correlationId).containsExactly(produced);
        assertThat(only(((ProduceResponse) answers.get(0).response()).data()).errorCode())
                .isEqualTo(Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND.code());
    }

    // ---- who may fetch as a replica ---------------------------------------------------------

    @Test
    void aFetchAsReplicaFromAConnectionThatHasNotProvedItIsThatBrokerIsRefusedAndMovesNothing() {
        produce(client, PRODUCE_V, (short) 1, "audit", AUDIT_ID, partitionData(0, records(now, "a0", "a1", "a2")));
        PartitionLog audit = replicas.partition(AUDIT_0).orElseThrow().log();
        assertThat(audit.highWatermark()).as("broker 2 has not fetched").isZero();

        FetchResponseData answer = fetch(client, (short) 12, asReplica(OTHER, (short) 12, fetchRequest((short) 12, 0, "audit",
                AUDIT_ID, 0, 3)));

        assertThat(answer.responses().get(0).partitions().get(0).errorCode())
                .isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED.code());
        assertThat(answer.responses().get(0).partitions().get(0).records().sizeInBytes()).isZero();
        assertThat(audit.highWatermark()).as("a client posing as broker 2 moved the high watermark").isZero();
        assertThat(client.channel.isActive()).isTrue();
    }

    @Test
    void aBrokerThatProvedWhoItIsFetchesAsItsOwnReplicaOnly() {
        produce(client, PRODUCE_V, (short) 1, "audit", AUDIT_ID, partitionData(0, records(now, "a0", "a1", "a2")));
        PartitionLog audit = replicas.partition(AUDIT_0).orElseThrow().log();
        WireClient follower = connect();
        assertThat(authenticate(follower, OTHER, CLUSTER_SECRET)).isEqualTo(Errors.NONE);

        FetchResponseData asSomeoneElse = fetch(follower, (short) 15, asReplica(SELF, (short) 15, fetchRequest((short) 15, 0,
                "audit", AUDIT_ID, 0, 3)));
        assertThat(asSomeoneElse.responses().get(0).partitions().get(0).errorCode())
                .isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED.code());

        FetchResponseData.PartitionData asItself = only(fetch(follower, (short) 15, asReplica(OTHER, (short) 15,
                fetchRequest((short) 15, 0, "audit", AUDIT_ID, 0, 3))));
        assertThat(asItself.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(audit.highWatermark()).isEqualTo(3);
    }

    @Test
    void aBrokerWithTheWrongSecretIsRefusedAndDisconnected() {
        WireClient impostor = connect();

        assertThat(authenticate(impostor, OTHER, "guessed")).isEqualTo(Errors.SASL_AUTHENTICATION_FAILED);

        assertThat(impostor.channel.isActive()).as("closed after the failure is answered").isFalse();
    }

    /** KIP-207: the latest offset never goes back across a leader change. */
    @Test
    void aNewLeaderWhoseHighWatermarkIsBelowItsEpochStartAnswersOffsetNotAvailable() {
        produce(client, PRODUCE_V, (short) 1, "audit", AUDIT_ID, partitionData(0, records(now, "a0", "a1", "a2")));
        // Broker 1 leads again in epoch 1; broker 2 (in the ISR) has not fetched offsets 0..2 yet.
        leaderAndIsr(new TopicInfo("audit", AUDIT_ID, Map.of(), List.of(new PartitionInfo(0, List.of(SELF, OTHER),
                new PartitionState(SELF, 1, List.of(SELF, OTHER), 1)))));

        assertThat(latestOffset("audit", (short) 7)).isEqualTo("OFFSET_NOT_AVAILABLE -1");
        assertThat(latestOffset("audit", (short) 4)).as("before v5").isEqualTo("LEADER_NOT_AVAILABLE -1");

        WireClient follower = connect();
        assertThat(authenticate(follower, OTHER, CLUSTER_SECRET)).isEqualTo(Errors.NONE);
        fetch(follower, (short) 12, asReplica(OTHER, (short) 12, fetchRequest((short) 12, 0, "audit", AUDIT_ID, 0, 3)));
        assertThat(latestOffset("audit", (short) 7)).isEqualTo("NONE 3");
    }

    // ---- read_committed ---------------------------------------------------------------------

    /**
     * orders-0 holds: producer 10's transaction (a0, a1) at 0-1, producer 20's (b0) at 2, a plain
     * record p0 at 3, 10's ABORT at 4, 20's COMMIT at 5, and producer 30's open transaction (c0) at 6.
     * The high watermark is the log end, 7; the last stable offset is 6.
     */
    private void writeTransactions() {
        Partition orders = replicas.partition(ORDERS_0).orElseThrow();
        appendTransactional(orders, 10, "a0", "a1");
        appendTransactional(orders, 20, "b0");
        orders.appendAsLeader(records(now, "p0").buffer(), (short) 1);
        appendMarker(orders, 10, false);
        appendMarker(orders, 20, true);
        appendTransactional(orders, 30, "c0");
        assertThat(orders.log().highWatermark()).isEqualTo(7);
        assertThat(orders.log().lastStableOffset()).isEqualTo(6);
    }

    private void appendTransactional(Partition partition, long producerId, String... values) {
        List<KafkaRecordBatches.SimpleRecord> records = new ArrayList<>();
        for (String value : values) {
            records.add(new KafkaRecordBatches.SimpleRecord(now, null, value.getBytes(StandardCharsets.UTF_8)));
        }
        partition.appendAsLeader(KafkaRecordBatches.batch(RecordCodec.NONE,
                new KafkaRecordBatches.ProducerInfo(producerId, (short) 0, 0), true, records), (short) 1,
                AppendOrigin.CLIENT, partition.maybeStartTransactionVerification(producerId, (short) 0));
    }

    /** A marker as WriteTxnMarkers appends it: through the replica manager, which wakes waiting fetches. */
    private void appendMarker(Partition partition, long producerId, boolean commit) {
        ByteBuffer marker = KafkaRecordBatches.endTxnMarker(producerId, (short) 0, 0, commit, now);
        Map<TopicPartition, AppendResult> results = replicas.appendRecords(Map.of(partition.topicPartition(), marker),
                (short) 1, Duration.ofSeconds(1), AppendOrigin.COORDINATOR).join();
        assertThat(results.get(partition.topicPartition()).failed()).isFalse();
    }

    private FetchResponseData.PartitionData fetchIsolated(short version, byte isolation, long offset) {
        FetchRequestData request = fetchRequest(version, 0, "orders", ORDERS_ID, 0, offset).setIsolationLevel(isolation);
        return only(fetch(client, version, request));
    }

    @ParameterizedTest(name = "Fetch v{0}")
    @CsvSource({"4", "7", "11", "12", "13", "15", "16", "17"})
    void aReadCommittedFetchStopsAtTheLastStableOffsetAndNamesTheAbortedTransactionsInIt(short version) {
        writeTransactions();

        FetchResponseData.PartitionData committed = fetchIsolated(version, (byte) 1, 0);

        assertThat(committed.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(committed.highWatermark()).isEqualTo(7);
        assertThat(committed.lastStableOffset()).isEqualTo(6);
        assertThat(offsets(committed.records())).as("the bytes up to the LSO, untouched: the consumer filters")
                .containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        assertThat(committed.abortedTransactions()).extracting(t -> t.producerId() + "@" + t.firstOffset())
                .containsExactly("10@0");

        FetchResponseData.PartitionData pastTheAbort = fetchIsolated(version, (byte) 1, 5);
        assertThat(pastTheAbort.abortedTransactions()).isEmpty();

        FetchResponseData.PartitionData uncommitted = fetchIsolated(version, (byte) 0, 0);
        assertThat(uncommitted.lastStableOffset()).isEqualTo(6);
        assertThat(client.fileRegions).as("both isolation levels send the records zero-copy").isEqualTo(3);
        assertThat(uncommitted.abortedTransactions()).isNull();
        assertThat(values(uncommitted.records())).contains("c0");
    }

    @Test
    void aReadCommittedConsumerAtTheLastStableOffsetWaitsUntilTheMarkerIsWritten() {
        writeTransactions();
        int waiting = client.send(ApiKeys.FETCH, FETCH_LATEST,
                fetchRequest(FETCH_LATEST, 500, "orders", ORDERS_ID, 0, 6).setIsolationLevel((byte) 1));
        assertThat(client.answers()).isEmpty();

        appendMarker(replicas.partition(ORDERS_0).orElseThrow(), 30, true);

        List<Answer> answers = client.answers();
        assertThat(answers).extracting(Answer::correlationId).containsExactly(waiting);
        FetchResponseData.PartitionData answer = only(((FetchResponse) answers.get(0).response()).data());
        assertThat(answer.lastStableOffset()).isEqualTo(8);
        assertThat(offsets(answer.records())).as("c0 and its COMMIT marker").containsExactly(6L, 7L);
        assertThat(values(answer.records()).get(0)).isEqualTo("c0");
    }

    @ParameterizedTest(name = "ListOffsets v{0}")
    @CsvSource({"2, 6", "5, 6", "7, 6", "9, 6", "1, 7"})
    void aReadCommittedListOffsetsLatestIsTheLastStableOffsetFromVersion2(short version, long expected) {
        // Version 1 has no isolation level: its latest offset is the high watermark.
        writeTransactions();
        ListOffsetsRequestData request = new ListOffsetsRequestData().setReplicaId(-1)
                .setIsolationLevel(version >= 2 ? (byte) 1 : (byte) 0).setTopics(List.of(new ListOffsetsRequestData.ListOffsetsTopic().setName("orders").setPartitions(List.of(
                        new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-1)))));

        ListOffsetsResponseData data = ((ListOffsetsResponse) client.roundTrip(ApiKeys.LIST_OFFSETS, version, request)).data();

        assertThat(data.topics().get(0).partitions().get(0).offset()).isEqualTo(expected);
        assertThat(latestOffset("orders", version)).isEqualTo("NONE 7");
    }

    private String latestOffset(String topic, short version) {
        ListOffsetsRequestData request = new ListOffsetsRequestData().setReplicaId(-1).setTopics(List.of(
                new ListOffsetsRequestData.ListOffsetsTopic().setName(topic).setPartitions(List.of(
                        new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-1)))));
        ListOffsetsResponseData data = ((ListOffsetsResponse) client.roundTrip(ApiKeys.LIST_OFFSETS, version, request)).data();
        ListOffsetsResponseData.ListOffsetsPartitionResponse p = data.topics().get(0).partitions().get(0);
        return Errors.forCode(p.errorCode()) + " " + p.offset();
    }

    @Test
    void saslAuthenticateWithoutAHandshakeOnAPlaintextListenerIsAnErrorAndTheConnectionGoesOn() {
        SaslAuthenticateResponseData answer = ((SaslAuthenticateResponse) client.roundTrip(ApiKeys.SASL_AUTHENTICATE,
                (short) 2, new SaslAuthenticateRequestData().setAuthBytes(new byte[] {1, 2, 3}))).data();

        assertThat(answer.errorCode()).isEqualTo(Errors.ILLEGAL_SASL_STATE.code());
        assertThat(client.channel.isActive()).isTrue();
    }

    @Test
    void aPlaintextListenerOffersOnlyTheBrokersMechanism() {
        SaslHandshakeResponseData plain = ((SaslHandshakeResponse) client.roundTrip(ApiKeys.SASL_HANDSHAKE, (short) 1,
                new SaslHandshakeRequestData().setMechanism("PLAIN"))).data();

        assertThat(plain.errorCode()).isEqualTo(Errors.UNSUPPORTED_SASL_MECHANISM.code());
        assertThat(plain.mechanisms()).containsExactly(BrokerAuthentication.MECHANISM);
        assertThat(client.channel.isActive()).as("an unsupported mechanism is an answer, not a failure").isTrue();
    }

    /** A fetch as broker {@code replicaId}: the replica id is a field up to v14, in the replica state from v15. */
    private static FetchRequestData asReplica(int replicaId, short version, FetchRequestData request) {
        return version >= 15 ? request.setReplicaState(new FetchRequestData.ReplicaState().setReplicaId(replicaId))
                : request.setReplicaId(replicaId);
    }

    /** The follower's side of SASL RUNNEL-BROKER, as ReplicaFetchClient does it. */
    private static Errors authenticate(WireClient via, int brokerId, String secret) {
        SaslHandshakeResponseData handshake = ((SaslHandshakeResponse) via.roundTrip(ApiKeys.SASL_HANDSHAKE, (short) 1,
                new SaslHandshakeRequestData().setMechanism(BrokerAuthentication.MECHANISM))).data();
        assertThat(handshake.errorCode()).isEqualTo(Errors.NONE.code());
        SaslAuthenticateResponseData challenge = ((SaslAuthenticateResponse) via.roundTrip(ApiKeys.SASL_AUTHENTICATE,
                (short) 2, new SaslAuthenticateRequestData().setAuthBytes(BrokerAuthentication.claim(brokerId)))).data();
        assertThat(challenge.errorCode()).isEqualTo(Errors.NONE.code());
        byte[] proof = new BrokerAuthentication(secret).answer(brokerId, challenge.authBytes());
        SaslAuthenticateResponseData done = ((SaslAuthenticateResponse) via.roundTrip(ApiKeys.SASL_AUTHENTICATE,
                (short) 2, new SaslAuthenticateRequestData().setAuthBytes(proof))).data();
        return Errors.forCode(done.errorCode());
    }

    // ---- fixtures: cluster ------------------------------------------------------------------

    /** A partition led by {@code replicas[0]} whose ISR is all its replicas. */
    private static PartitionInfo ledHere(int index, int leaderEpoch, Integer... replicas) {
        return new PartitionInfo(index, List.of(replicas),
                new PartitionState(replicas[0], leaderEpoch, List.of(replicas), leaderEpoch));
    }

    private CommandResponse leaderAndIsr(TopicInfo... topics) {
        return replicas.leaderAndIsr(new LeaderAndIsrRequest(CONTROLLER, 1, BROKER_EPOCH, List.of(topics),
                List.of(SELF_INFO, OTHER_INFO)));
    }

    private long logEnd(TopicPartition tp) {
        return replicas.partition(tp).orElseThrow().log().logEndOffset();
    }

    private WireClient connect() {
        WireClient c = new WireClient();
        clients.add(c);
        return c;
    }

    private static Uuid wire(UUID id) {
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    // ---- fixtures: records ------------------------------------------------------------------

    /** Where the v2 batch header keeps its record count, and where the CRC and what it covers begin. */
    private static final int RECORDS_COUNT_OFFSET = 57;
    private static final int CRC_OFFSET = 17;
    private static final int ATTRIBUTES_OFFSET = 21;

    private static MemoryRecords records(long timestamp, String... values) {
        return MemoryRecords.withRecords(Compression.NONE, simple(timestamp, values));
    }

    private MemoryRecords idempotent(long producerId, short epoch, int baseSequence, String... values) {
        return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, epoch, baseSequence,
                simple(now, values));
    }

    private static SimpleRecord[] simple(long timestamp, String... values) {
        return Arrays.stream(values)
                .map(v -> new SimpleRecord(timestamp, ("k-" + v).getBytes(StandardCharsets.UTF_8),
                        v.getBytes(StandardCharsets.UTF_8)))
                .toArray(SimpleRecord[]::new);
    }

    private static byte[] bytes(BaseRecords records) {
        ByteBuffer buffer = ((MemoryRecords) records).buffer().duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** The sent batch as the leader stores it: base offset assigned, partition leader epoch stamped. */
    private static byte[] asStored(MemoryRecords sent, long baseOffset) {
        ByteBuffer stored = ByteBuffer.wrap(bytes(sent));
        stored.putLong(0, baseOffset);
        stored.putInt(12, ORDERS_EPOCH);
        return stored.array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static void rewriteCrc(ByteBuffer batch) {
        CRC32C crc = new CRC32C();
        crc.update(batch.duplicate().position(ATTRIBUTES_OFFSET));
        batch.putInt(CRC_OFFSET, (int) crc.getValue());
    }

    private static List<String> values(BaseRecords records) {
        List<String> values = new ArrayList<>();
        for (MutableRecordBatch batch : ((MemoryRecords) records).batches()) {
            batch.ensureValid();
            for (Record r : batch) {
                values.add(StandardCharsets.UTF_8.decode(r.value()).toString());
            }
        }
        return values;
    }

    private static List<Long> offsets(BaseRecords records) {
        List<Long> offsets = new ArrayList<>();
        for (MutableRecordBatch batch : ((MemoryRecords) records).batches()) {
            for (Record r : batch) {
                offsets.add(r.offset());
            }
        }
        return offsets;
    }

    // ---- fixtures: requests and answers -----------------------------------------------------

    private static ProduceRequestData.PartitionProduceData partitionData(int partition, MemoryRecords records) {
        return new ProduceRequestData.PartitionProduceData().setIndex(partition).setRecords(records);
    }

    private static ProduceRequestData produceRequest(short version, short acks, String topic, UUID id,
            ProduceRequestData.PartitionProduceData... partitions) {
        ProduceRequestData.TopicProduceData topicData = new ProduceRequestData.TopicProduceData()
                .setPartitionData(List.of(partitions));
        if (version >= 13) {
            topicData.setTopicId(wire(id));
        } else {
            topicData.setName(topic);
        }
        return new ProduceRequestData().setAcks(acks).setTimeoutMs(PRODUCE_TIMEOUT_MS)
                .setTopicData(new ProduceRequestData.TopicProduceDataCollection(List.of(topicData).iterator()));
    }

    private static ProduceResponseData produce(WireClient via, short version, short acks, String topic, UUID id,
            ProduceRequestData.PartitionProduceData... partitions) {
        return ((ProduceResponse) via.roundTrip(ApiKeys.PRODUCE, version,
                produceRequest(version, acks, topic, id, partitions))).data();
    }

    private static List<ProduceResponseData.PartitionProduceResponse> partitions(ProduceResponseData data) {
        List<ProduceResponseData.PartitionProduceResponse> all = new ArrayList<>();
        data.responses().forEach(t -> all.addAll(t.partitionResponses()));
        return all;
    }

    private static ProduceResponseData.PartitionProduceResponse only(ProduceResponseData data) {
        List<ProduceResponseData.PartitionProduceResponse> all = partitions(data);
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    private static FetchRequestData fetchRequest(short version, int maxWaitMs, String topic, UUID id, int partition,
            long offset) {
        FetchRequestData.FetchTopic fetchTopic = new FetchRequestData.FetchTopic().setPartitions(List.of(
                new FetchRequestData.FetchPartition().setPartition(partition).setFetchOffset(offset)
                        .setPartitionMaxBytes(1 << 20)));
        if (version >= 13) {
            fetchTopic.setTopicId(wire(id));
        } else {
            fetchTopic.setTopic(topic);
        }
        return new FetchRequestData().setMaxWaitMs(maxWaitMs).setMinBytes(1).setMaxBytes(4 << 20)
                .setTopics(new ArrayList<>(List.of(fetchTopic)));
    }

    private static FetchResponseData fetch(WireClient via, short version, FetchRequestData request) {
        return ((FetchResponse) via.roundTrip(ApiKeys.FETCH, version, request)).data();
    }

    /** A fetch that does not wait (max.wait.ms 0), answered on the spot. */
    private static FetchResponseData.PartitionData fetchNow(WireClient via, short version, String topic, UUID id,
            int partition, long offset) {
        FetchResponseData data = fetch(via, version, fetchRequest(version, 0, topic, id, partition, offset));
        if (version >= 13) {
            assertThat(data.responses().get(0).topicId()).isEqualTo(wire(id));
        } else {
            assertThat(data.responses().get(0).topic()).isEqualTo(topic);
        }
        return only(data);
    }

    private static FetchResponseData.PartitionData only(FetchResponseData data) {
        assertThat(data.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(data.responses()).hasSize(1);
        assertThat(data.responses().get(0).partitions()).hasSize(1);
        return data.responses().get(0).partitions().get(0);
    }

    /** "ERROR offset @timestamp epoch E" for orders-0 at {@code timestamp}, by ListOffsets v7. */
    private String listOffset(long timestamp) {
        ListOffsetsRequestData request = new ListOffsetsRequestData().setReplicaId(-1).setTopics(List.of(
                new ListOffsetsRequestData.ListOffsetsTopic().setName("orders").setPartitions(List.of(
                        new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(timestamp)))));
        ListOffsetsResponseData data = ((ListOffsetsResponse) client.roundTrip(ApiKeys.LIST_OFFSETS, (short) 7, request)).data();
        ListOffsetsResponseData.ListOffsetsPartitionResponse p = data.topics().get(0).partitions().get(0);
        return Errors.forCode(p.errorCode()) + " " + p.offset() + " @" + p.timestamp() + " epoch " + p.leaderEpoch();
    }

    /** "ERROR epoch ends at offset" for orders-{@code partition}, by OffsetForLeaderEpoch v4. */
    private String epochEnd(int partition, int currentLeaderEpoch, int leaderEpoch) {
        OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection topics =
                new OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection();
        topics.add(new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic().setTopic("orders").setPartitions(List.of(
                new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition().setPartition(partition)
                        .setCurrentLeaderEpoch(currentLeaderEpoch).setLeaderEpoch(leaderEpoch))));
        OffsetForLeaderEpochResponseData data = ((OffsetsForLeaderEpochResponse) client.roundTrip(
                ApiKeys.OFFSET_FOR_LEADER_EPOCH, (short) 4,
                new OffsetForLeaderEpochRequestData().setReplicaId(-1).setTopics(topics))).data();
        OffsetForLeaderEpochResponseData.EpochEndOffset p = data.topics().find("orders").partitions().get(0);
        return Errors.forCode(p.errorCode()) + " " + p.leaderEpoch() + " ends at " + p.endOffset();
    }

    private DeleteRecordsResponseData.DeleteRecordsPartitionResult deleteRecords(long offset) {
        DeleteRecordsRequestData request = new DeleteRecordsRequestData().setTimeoutMs(1000).setTopics(List.of(
                new DeleteRecordsRequestData.DeleteRecordsTopic().setName("orders").setPartitions(List.of(
                        new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(0).setOffset(offset)))));
        DeleteRecordsResponseData data = ((DeleteRecordsResponse) client.roundTrip(ApiKeys.DELETE_RECORDS, (short) 2,
                request)).data();
        return data.topics().find("orders").partitions().find(0);
    }

    private static ApiVersionsRequestData apiVersions() {
        return new ApiVersionsRequestData().setClientSoftwareName("runnel-test").setClientSoftwareVersion("1.0");
    }

    /** One answer read back from a connection, matched to its request by correlation id. */
    private record Answer(int correlationId, ApiKeys key, AbstractResponse response) {
    }

    /** One client connection: an {@link EmbeddedChannel} with the broker's pipeline. */
    private final class WireClient {

        private record Sent(ApiKeys key, short version) {
        }

        final EmbeddedChannel channel = new EmbeddedChannel();
        private final Map<Integer, Sent> sent = new HashMap<>();
        private int correlation = 1000 * (clients.size() + 1);
        /** Answers' parts written as file regions (sendfile, zero-copy) rather than buffers. */
        int fileRegions;

        WireClient() {
            KafkaServer.initPipeline(channel, MAX_REQUEST, handlers);
        }

        /** A size-prefixed request frame with the next correlation id. */
        ByteBuffer frame(ApiKeys key, short version, Message body) {
            RequestHeader header = new RequestHeader(key, version, "test-client", ++correlation);
            sent.put(correlation, new Sent(key, version));
            ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
            ByteBuffer frame = ByteBuffer.allocate(4 + request.remaining());
            frame.putInt(request.remaining()).put(request).flip();
            return frame;
        }

        /** Sends a request; returns its correlation id. */
        int send(ApiKeys key, short version, Message body) {
            write(Unpooled.wrappedBuffer(frame(key, version, body)));
            return correlation;
        }

        void write(ByteBuf bytes) {
            channel.writeInbound(bytes);
            channel.runPendingTasks();
        }

        AbstractResponse roundTrip(ApiKeys key, short version, Message body) {
            int id = send(key, version, body);
            List<Answer> answers = answers();
            assertThat(answers).extracting(Answer::correlationId).containsExactly(id);
            return answers.get(0).response();
        }

        /** Every answer written since the last call, in order, each parsed as its request's API and version. */
        List<Answer> answers() {
            channel.runPendingTasks();
            ByteBuffer all = ByteBuffer.wrap(outbound());
            List<Answer> answers = new ArrayList<>();
            while (all.remaining() >= 4) {
                int size = all.getInt();
                ByteBuffer answer = all.slice();
                answer.limit(size);
                all.position(all.position() + size);
                Sent request = sent.get(answer.getInt(0));
                assertThat(request).as("an answer to a request this connection sent").isNotNull();
                ResponseHeader header = ResponseHeader.parse(answer, request.key().responseHeaderVersion(request.version()));
                answers.add(new Answer(header.correlationId(), request.key(),
                        AbstractResponse.parseResponse(request.key(), new ByteBufferAccessor(answer), request.version())));
            }
            assertThat(all.remaining()).as("bytes of a partial answer").isZero();
            return answers;
        }

        private byte[] outbound() {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
                if (out instanceof FileRegion region) {
                    fileRegions++;
                    try {
                        WritableByteChannel sink = Channels.newChannel(all);
                        while (region.transferred() < region.count()) {
                            region.transferTo(sink, region.transferred());
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    region.release();
                    continue;
                }
                ByteBuf buf = (ByteBuf) out;
                byte[] bytes = new byte[buf.readableBytes()];
                buf.readBytes(bytes);
                all.writeBytes(bytes);
                buf.release();
            }
            return all.toByteArray();
        }
    }
}
