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
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ShareAcknowledgeRequestData;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchRequestData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.requests.ShareAcknowledgeResponse;
import org.apache.kafka.common.requests.ShareFetchResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AccessControlEntry;
import dev.runnel.broker.security.AclBinding;
import dev.runnel.broker.security.AclIndex;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.AclPermissionType;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.PatternType;
import dev.runnel.broker.security.Principal;
import dev.runnel.broker.security.ResourcePattern;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.SecurityProtocol;
import dev.runnel.broker.security.Session;
import dev.runnel.broker.share.InMemorySharePersister;
import dev.runnel.broker.share.ShareFetcher;
import dev.runnel.broker.config.ShareGroupConfigs;
import dev.runnel.broker.share.SharePartitionManager;
import dev.runnel.broker.share.ShareSessionCache;
import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.broker.storage.AppendOrigin;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
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
 * ShareFetch and ShareAcknowledge over the wire: frames built with kafka-clients go through the
 * connection pipeline on {@link EmbeddedChannel}s into the share handler, share partitions over a
 * real {@link ReplicaManager} and logs in a temp directory, and an in-memory persister; time (lock
 * timeouts, long polls) moves only when the test advances the scheduler.
 *
 * <pre>
 *  jobs-0, jobs-1   led here at epoch 5, ISR {1}
 *  jobs-2           led by broker 2
 *  group "g": share.auto.offset.reset=earliest, lock 30 s, delivery count limit 3
 * </pre>
 */
class ShareFetchProtocolTest {

    private static final int SELF = 1;
    private static final int OTHER = 2;
    private static final int CONTROLLER = 3000;
    private static final long BROKER_EPOCH = 100;
    private static final int EPOCH = 5;
    private static final UUID JOBS_ID = UUID.fromString("0b7e4a52-0000-4000-8000-00000000000a");
    private static final Uuid JOBS = new Uuid(JOBS_ID.getMostSignificantBits(), JOBS_ID.getLeastSignificantBits());
    private static final TopicPartition JOBS_0 = new TopicPartition("jobs", 0);
    private static final BrokerInfo SELF_INFO = new BrokerInfo(SELF, "127.0.0.1", 9092, 8081, null, BROKER_EPOCH);
    private static final BrokerInfo OTHER_INFO = new BrokerInfo(OTHER, "10.0.0.2", 9093, 8082, "r2", 200);
    private static final Duration LOCK = Duration.ofSeconds(30);
    private static final String GROUP = "g";
    private static final String A = "member-a";
    private static final String B = "member-b";

    @TempDir
    Path root;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final MetadataCache metadata = new MetadataCache();
    private final InMemorySharePersister persister = new InMemorySharePersister();
    private volatile ShareGroupConfigs.AutoOffsetReset reset = ShareGroupConfigs.AutoOffsetReset.EARLIEST;
    private final ShareGroupConfigs configs = group -> new ShareGroupConfigs.Settings(reset, LOCK, 3, false,
            Duration.ofSeconds(45), Duration.ofSeconds(5));
    private final Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
    private final List<WireClient> clients = new ArrayList<>();
    private LogManager logs;
    private ReplicaManager replicas;
    private SharePartitionManager partitions;

    @BeforeEach
    void startBroker() throws IOException {
        logs = LogManager.open(root.resolve("logs"), LogConfig.DEFAULTS, scheduler.clock(), scheduler,
                LogManager.Settings.DEFAULTS);
        replicas = new ReplicaManager(SELF, List.of(logs), metadata, () -> BROKER_EPOCH, scheduler.clock(),
                (partition, isr) -> { }, scheduler);
        SharePartitionManager partitions = new SharePartitionManager(replicas, persister, configs, scheduler, 100);
        ShareSessionCache sessions = new ShareSessionCache(10, configs, scheduler.clock());
        scheduler.schedulePeriodically("share-session-expiry", () -> partitions.expireIdleSessions(sessions),
                Duration.ofSeconds(10), Duration.ofSeconds(10));
        this.partitions = partitions;
        KafkaApis.Shares shares = new KafkaApis.Shares(partitions, new ShareFetcher(partitions, replicas, scheduler),
                sessions);
        ShareFetchHandler handler = new ShareFetchHandler(shares, metadata);
        handlers.put(ApiKeys.SHARE_FETCH, handler);
        handlers.put(ApiKeys.SHARE_ACKNOWLEDGE, handler);
        handlers.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler());
        assertThat(replicas.updateMetadata(new UpdateMetadataRequest(CONTROLLER, 1, BROKER_EPOCH, 1, true,
                List.of(SELF_INFO, OTHER_INFO), List.of(jobs(EPOCH)), List.of()))).isEqualTo(CommandResponse.ok(List.of()));
        assertThat(leaderAndIsr(EPOCH)).isEqualTo(CommandResponse.ok(List.of()));
    }

    @AfterEach
    void stopBroker() throws IOException {
        for (WireClient c : clients) {
            c.channel.finishAndReleaseAll();
        }
        logs.close();
    }

    private static TopicInfo jobs(int epoch) {
        return new TopicInfo("jobs", JOBS_ID, Map.of(), List.of(
                new PartitionInfo(0, List.of(SELF), new PartitionState(SELF, epoch, List.of(SELF), epoch)),
                new PartitionInfo(1, List.of(SELF), new PartitionState(SELF, epoch, List.of(SELF), epoch)),
                new PartitionInfo(2, List.of(OTHER, SELF), new PartitionState(OTHER, 3, List.of(OTHER, SELF), 3))));
    }

    private CommandResponse leaderAndIsr(int epoch) {
        return replicas.leaderAndIsr(new LeaderAndIsrRequest(CONTROLLER, 1, BROKER_EPOCH, List.of(jobs(epoch)),
                List.of(SELF_INFO, OTHER_INFO)));
    }

    // ---- fetching and acknowledging --------------------------------------------------------

    @ParameterizedTest(name = "v{0}")
    @ValueSource(shorts = {1, 2})
    void membersShareThePartitionAndAcceptedRecordsAreNeverRedelivered(short version) {
        produce(JOBS_0, "j0", "j1");
        produce(JOBS_0, "j2", "j3");
        produce(JOBS_0, "j4", "j5");
        WireClient a = connect();
        WireClient b = connect();

        ShareFetchResponseData first = a.fetch(version, request(A, 0, 3, 0).setTopics(topics(0, null)));
        ShareFetchResponseData.PartitionData aGot = only(first);
        assertThat(first.acquisitionLockTimeoutMs()).isEqualTo((int) LOCK.toMillis());
        assertThat(aGot.errorCode()).isZero();
        assertThat(acquired(aGot)).containsExactly("0-3 x1"); // whole batches: 3 records asked, 4 given
        assertThat(values(aGot)).containsExactly("j0", "j1", "j2", "j3");

        ShareFetchResponseData.PartitionData bGot = only(b.fetch(version, request(B, 0, 10, 0).setTopics(topics(0, null))));
        assertThat(acquired(bGot)).containsExactly("4-5 x1");
        assertThat(values(bGot)).containsExactly("j4", "j5");

        ShareFetchResponseData acked = a.fetch(version, request(A, 1, 10, 0).setTopics(topics(0, ack(0, 3, 1))));
        assertThat(only(acked).acknowledgeErrorCode()).isZero();
        assertThat(only(acked).acquiredRecords()).isEmpty();
        assertThat(persisted(0).startOffset()).isEqualTo(4);

        scheduler.advance(LOCK); // b's lock times out: 4..5 come back, 0..3 do not
        assertThat(acquired(only(a.fetch(version, request(A, 2, 10, 0).setTopics(new ShareFetchRequestData.FetchTopicCollection())))))
                .containsExactly("4-5 x2");
    }

    @Test
    void releasedRecordsGoToTheNextFetchWithTheirDeliveryCount() {
        produce(JOBS_0, "j0", "j1", "j2");
        WireClient a = connect();
        WireClient b = connect();
        a.fetch((short) 1, request(A, 0, 10, 0).setTopics(topics(0, null)));

        ShareAcknowledgeResponseData released = a.acknowledge((short) 1, new ShareAcknowledgeRequestData()
                .setGroupId(GROUP).setMemberId(A).setShareSessionEpoch(1).setTopics(ackTopics(0, ack(1, 2, 2))));
        assertThat(released.errorCode()).isZero();
        assertThat(released.responses().iterator().next().partitions().get(0).errorCode()).isZero();

        ShareFetchResponseData.PartitionData bGot = only(b.fetch((short) 1, request(B, 0, 10, 0).setTopics(topics(0, null))));
        assertThat(acquired(bGot)).containsExactly("1-2 x2");
        assertThat(values(bGot)).as("the batch holding them").containsExactly("j0", "j1", "j2");
    }

    @Test
    void aFetchWithNothingToAcquireWaitsForRecordsWithoutHoldingAThread() {
        WireClient a = connect();
        a.send(ApiKeys.SHARE_FETCH, (short) 1, request(A, 0, 10, 500).setTopics(topics(0, null)));
        assertThat(a.answers()).as("parked in the fetch purgatory").isEmpty();

        produce(JOBS_0, "late");

        List<AbstractResponse> answers = a.answers();
        assertThat(answers).hasSize(1);
        assertThat(acquired(only(((ShareFetchResponse) answers.get(0)).data()))).containsExactly("0-0 x1");

        a.send(ApiKeys.SHARE_FETCH, (short) 1, request(A, 1, 10, 500).setTopics(new ShareFetchRequestData.FetchTopicCollection()));
        assertThat(a.answers()).isEmpty();
        scheduler.advance(Duration.ofMillis(500));
        answers = a.answers();
        assertThat(answers).hasSize(1);
        assertThat(only(((ShareFetchResponse) answers.get(0)).data()).acquiredRecords()).isEmpty();
    }

    @Test
    void aWaitingFetchTakesRecordsAnotherMemberReleasesOrLetsTimeOut() {
        produce(JOBS_0, "j0", "j1");
        WireClient a = connect();
        WireClient b = connect();
        a.fetch((short) 1, request(A, 0, 1, 0).setTopics(topics(0, null)));
        b.send(ApiKeys.SHARE_FETCH, (short) 1, request(B, 0, 10, 500).setTopics(topics(0, null)));
        assertThat(b.answers()).as("nothing acquirable: b waits").isEmpty();

        a.acknowledge((short) 1, new ShareAcknowledgeRequestData().setGroupId(GROUP).setMemberId(A)
                .setShareSessionEpoch(1).setTopics(ackTopics(0, ack(1, 1, 2))));

        List<AbstractResponse> answers = b.answers();
        assertThat(answers).as("woken by the release, before MaxWaitMs").hasSize(1);
        assertThat(acquired(only(((ShareFetchResponse) answers.get(0)).data()))).containsExactly("1-1 x2");

        b.send(ApiKeys.SHARE_FETCH, (short) 1, request(B, 1, 10, (int) LOCK.toMillis() + 1000)
                .setTopics(new ShareFetchRequestData.FetchTopicCollection()));
        assertThat(b.answers()).isEmpty();
        scheduler.advance(LOCK.minusSeconds(1)); // a's lock on offset 0 ends 30 s after its fetch
        scheduler.advance(Duration.ofSeconds(1));
        answers = b.answers();
        assertThat(answers).as("woken by the lock timeout").hasSize(1);
        assertThat(acquired(only(((ShareFetchResponse) answers.get(0)).data()))).containsExactly("0-0 x2");
        scheduler.advance(LOCK);
        assertThat(b.answers()).as("the purgatory's own expiry answers nothing twice").isEmpty();
    }

    @Test
    void theRecordLimitModeAcquiresExactlyMaxRecordsAndRenewKeepsTheLock() {
        produce(JOBS_0, "j0", "j1", "j2", "j3");
        WireClient a = connect();

        ShareFetchResponseData.PartitionData got = only(a.fetch((short) 2, request(A, 0, 3, 0)
                .setShareAcquireMode((byte) 1).setTopics(topics(0, null))));
        assertThat(acquired(got)).containsExactly("0-2 x1");

        scheduler.advance(LOCK.minusSeconds(1));
        ShareFetchResponseData renewed = a.fetch((short) 2, request(A, 1, 10, 0).setIsRenewAck(true)
                .setTopics(topics(0, ack(0, 2, 4))));
        assertThat(only(renewed).acknowledgeErrorCode()).isZero();
        assertThat(only(renewed).acquiredRecords()).as("a renewal fetches nothing").isEmpty();
        scheduler.advance(Duration.ofSeconds(2));

        ShareAcknowledgeResponseData accepted = a.acknowledge((short) 2, new ShareAcknowledgeRequestData()
                .setGroupId(GROUP).setMemberId(A).setShareSessionEpoch(2).setTopics(ackTopics(0, ack(0, 2, 1))));
        assertThat(accepted.responses().iterator().next().partitions().get(0).errorCode()).isZero();
        assertThat(accepted.acquisitionLockTimeoutMs()).isEqualTo((int) LOCK.toMillis());
        assertThat(persisted(0).startOffset()).isEqualTo(3);
    }

    @Test
    void closingTheSessionReleasesWhatTheMemberStillHolds() {
        produce(JOBS_0, "j0", "j1", "j2");
        WireClient a = connect();
        a.fetch((short) 1, request(A, 0, 10, 0).setTopics(topics(0, null)));

        ShareAcknowledgeResponseData closed = a.acknowledge((short) 1, new ShareAcknowledgeRequestData()
                .setGroupId(GROUP).setMemberId(A).setShareSessionEpoch(-1).setTopics(ackTopics(0, ack(0, 0, 1))));
        assertThat(closed.responses().iterator().next().partitions().get(0).errorCode()).isZero();

        assertThat(acquired(only(connect().fetch((short) 1, request(B, 0, 10, 0).setTopics(topics(0, null))))))
                .containsExactly("1-2 x2");
        assertThat(a.fetch((short) 1, request(A, 1, 10, 0)).errorCode())
                .isEqualTo(Errors.SHARE_SESSION_NOT_FOUND.code());
    }

    @Test
    void aNewLeaderEpochRereadsThePersistedStateAndRedeliversOnlyWhatWasNotAccepted() {
        produce(JOBS_0, "j0", "j1", "j2", "j3");
        WireClient a = connect();
        a.fetch((short) 1, request(A, 0, 10, 0).setTopics(topics(0, null)));
        assertThat(only(a.fetch((short) 1, request(A, 1, 10, 0).setTopics(topics(0, ack(0, 1, 1)))))
                .acknowledgeErrorCode()).isZero();

        assertThat(leaderAndIsr(EPOCH + 1)).isEqualTo(CommandResponse.ok(List.of()));

        WireClient b = connect();
        assertThat(acquired(only(b.fetch((short) 1, request(B, 0, 10, 0).setTopics(topics(0, null))))))
                .containsExactly("2-3 x2");
        ShareFetchResponseData late = a.fetch((short) 1, request(A, 2, 10, 0).setTopics(topics(0, ack(2, 3, 1))));
        assertThat(only(late).acknowledgeErrorCode()).isEqualTo(Errors.INVALID_RECORD_STATE.code());
        assertThat(only(b.fetch((short) 1, request(B, 1, 10, 0).setTopics(topics(0, ack(2, 3, 1)))))
                .acknowledgeErrorCode()).isZero();
        assertThat(persisted(0).leaderEpoch()).isEqualTo(EPOCH + 1);
        assertThat(persisted(0).startOffset()).isEqualTo(4);
    }

    @Test
    void aGroupWithoutStateStartsAtTheHighWatermarkWithLatest() {
        produce(JOBS_0, "before0", "before1");
        reset = ShareGroupConfigs.AutoOffsetReset.LATEST;
        WireClient a = connect();

        assertThat(only(a.fetch((short) 1, request(A, 0, 10, 0).setTopics(topics(0, null)))).acquiredRecords()).isEmpty();
        assertThat(persisted(0).startOffset()).as("written before serving").isEqualTo(2);
        produce(JOBS_0, "after");

        ShareFetchResponseData.PartitionData got = only(a.fetch((short) 1, request(A, 1, 10, 0)
                .setTopics(new ShareFetchRequestData.FetchTopicCollection())));
        assertThat(acquired(got)).containsExactly("2-2 x1");
        assertThat(values(got)).containsExactly("after");
    }

    @Test
    void aForgottenPartitionIsNoLongerFetched() {
        produce(JOBS_0, "j0");
        WireClient a = connect();
        a.fetch((short) 1, request(A, 0, 0, 0).setTopics(topics(0, null)));

        ShareFetchRequestData forget = request(A, 1, 10, 0).setTopics(new ShareFetchRequestData.FetchTopicCollection())
                .setForgottenTopicsData(List.of(new ShareFetchRequestData.ForgottenTopic().setTopicId(JOBS)
                        .setPartitions(List.of(0))));
        assertThat(a.fetch((short) 1, forget).responses()).isEmpty();
        assertThat(acquired(only(a.fetch((short) 1, request(A, 2, 10, 0).setTopics(topics(0, null))))))
                .containsExactly("0-0 x1");
    }

    @Test
    void aFailedStateWriteFailsTheAcknowledgementAndTheNextRequestReadsThePersistedStateAgain() {
        produce(JOBS_0, "j0", "j1");
        WireClient a = connect();
        a.fetch((short) 1, request(A, 0, 10, 0).setTopics(topics(0, null)));
        persister.failNextWrite(Errors.COORDINATOR_NOT_AVAILABLE);

        ShareFetchResponseData failed = a.fetch((short) 1, request(A, 1, 10, 0).setTopics(topics(0, ack(0, 1, 1))));
        assertThat(only(failed).acknowledgeErrorCode()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE.code());
        // The fetch of the same request finds the partition reloaded from what was persisted (nothing
        // acknowledged, acquisitions never written): both records go out again, as first deliveries.
        assertThat(acquired(only(failed))).containsExactly("0-1 x1");
        assertThat(persisted(0).startOffset()).isZero();

        assertThat(only(a.fetch((short) 1, request(A, 2, 10, 0).setTopics(topics(0, ack(0, 1, 1)))))
                .acknowledgeErrorCode()).isZero();
        assertThat(persisted(0).startOffset()).isEqualTo(2);
    }

    @Test
    void aSessionIdlePastTheGroupSessionTimeoutIsClosed() {
        produce(JOBS_0, "j0");
        WireClient a = connect();
        a.fetch((short) 1, request(A, 0, 10, 0).setTopics(topics(0, null)));
        WireClient b = connect();
        b.fetch((short) 1, request(B, 0, 10, 0).setTopics(topics(0, null)));
        // b keeps its session alive; a goes quiet past the 45 s session timeout.
        for (int epoch = 1; epoch <= 10; epoch++) {
            scheduler.advance(Duration.ofSeconds(5));
            b.fetch((short) 1, request(B, epoch, 10, 0).setTopics(new ShareFetchRequestData.FetchTopicCollection()));
        }
        scheduler.advance(Duration.ofSeconds(5));

        assertThat(a.fetch((short) 1, request(A, 1, 10, 0)).errorCode()).isEqualTo(Errors.SHARE_SESSION_NOT_FOUND.code());
        assertThat(b.fetch((short) 1, request(B, 11, 10, 0)).errorCode()).isZero();
    }

    @Test
    void aDroppedGroupWritesNothingMoreAndIsReadAgain() {
        produce(JOBS_0, "j0", "j1");
        WireClient a = connect();
        a.fetch((short) 1, request(A, 0, 10, 0).setTopics(topics(0, null)));
        int writes = persister.writes().size();

        partitions.dropGroup(GROUP);
        scheduler.advance(LOCK);

        assertThat(persister.writes()).as("the dropped partition's lock timeout wrote nothing").hasSize(writes);
        ShareFetchResponseData late = a.fetch((short) 1, request(A, 1, 10, 0).setTopics(topics(0, ack(0, 1, 1))));
        assertThat(only(late).acknowledgeErrorCode()).isEqualTo(Errors.INVALID_RECORD_STATE.code());
        assertThat(acquired(only(late))).containsExactly("0-1 x1");
    }

    @Test
    void aWaitingFetchIsAnsweredWhenTheLeadershipMovesAway() {
        produce(JOBS_0, "j0");
        WireClient a = connect();
        a.fetch((short) 1, request(A, 0, 10, 0).setTopics(topics(0, null)));
        a.send(ApiKeys.SHARE_FETCH, (short) 1, request(A, 1, 10, 500)
                .setTopics(new ShareFetchRequestData.FetchTopicCollection()));
        assertThat(a.answers()).isEmpty();

        TopicInfo moved = new TopicInfo("jobs", JOBS_ID, Map.of(), List.of(
                new PartitionInfo(0, List.of(OTHER, SELF), new PartitionState(OTHER, EPOCH + 1, List.of(OTHER, SELF),
                        EPOCH + 1))));
        // The metadata first, so the answer's leader hint names the new leader.
        assertThat(replicas.updateMetadata(new UpdateMetadataRequest(CONTROLLER, 1, BROKER_EPOCH, 2, true,
                List.of(SELF_INFO, OTHER_INFO), List.of(moved), List.of()))).isEqualTo(CommandResponse.ok(List.of()));
        assertThat(a.answers()).isEmpty();
        assertThat(replicas.leaderAndIsr(new LeaderAndIsrRequest(CONTROLLER, 1, BROKER_EPOCH, List.of(moved),
                List.of(SELF_INFO, OTHER_INFO)))).isEqualTo(CommandResponse.ok(List.of()));

        List<AbstractResponse> answers = a.answers();
        assertThat(answers).as("answered at once, not after MaxWaitMs").hasSize(1);
        ShareFetchResponseData.PartitionData partition = only(((ShareFetchResponse) answers.get(0)).data());
        assertThat(partition.errorCode()).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER.code());
        assertThat(partition.currentLeader().leaderId()).isEqualTo(OTHER);
        assertThat(partition.currentLeader().leaderEpoch()).isEqualTo(EPOCH + 1);
    }

    // ---- refusals ---------------------------------------------------------------------------

    @Test
    void badAcknowledgementsAreRefusedPerPartitionAndChangeNothing() {
        produce(JOBS_0, "j0", "j1", "j2", "j3");
        WireClient a = connect();
        WireClient b = connect();
        a.fetch((short) 1, request(A, 0, 2, 0).setTopics(topics(0, null)));
        b.fetch((short) 1, request(B, 0, 10, 0).setTopics(topics(0, null))); // nothing left: 0..3 is one batch

        List<ShareFetchRequestData.AcknowledgementBatch> overlapping = new ArrayList<>(ack(0, 2, 1));
        overlapping.addAll(ack(2, 3, 1));
        assertThat(only(a.fetch((short) 1, request(A, 1, 10, 0).setTopics(topics(0, overlapping))))
                .acknowledgeErrorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
        assertThat(only(b.fetch((short) 1, request(B, 1, 10, 0).setTopics(topics(0, ack(0, 0, 1)))))
                .acknowledgeErrorCode()).isEqualTo(Errors.INVALID_RECORD_STATE.code());
        assertThat(only(a.fetch((short) 1, request(A, 2, 10, 0).setTopics(topics(0, ack(3, 9, 1)))))
                .acknowledgeErrorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
        assertThat(only(a.fetch((short) 1, request(A, 3, 10, 0).setTopics(topics(0, ack(0, 0, 9)))))
                .acknowledgeErrorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
        assertThat(only(a.fetch((short) 1, request(A, 4, 10, 0).setTopics(topics(0, ack(0, 0, 4)))))
                .acknowledgeErrorCode()).as("Renew needs v2").isEqualTo(Errors.INVALID_REQUEST.code());
        assertThat(persister.state(key(0)).orElseThrow().startOffset()).isZero();

        assertThat(only(a.fetch((short) 1, request(A, 5, 10, 0).setTopics(topics(0, ack(0, 3, 1)))))
                .acknowledgeErrorCode()).isZero();
        assertThat(persisted(0).startOffset()).isEqualTo(4);
    }

    @Test
    void sessionEpochsAreCheckedBeforeAnythingElse() {
        produce(JOBS_0, "j0");
        WireClient a = connect();

        assertThat(a.fetch((short) 1, request(A, 3, 10, 0).setTopics(topics(0, null))).errorCode())
                .isEqualTo(Errors.SHARE_SESSION_NOT_FOUND.code());
        assertThat(a.fetch((short) 1, request(A, 0, 10, 0).setTopics(topics(0, ack(0, 0, 1)))).errorCode())
                .isEqualTo(Errors.INVALID_REQUEST.code());
        assertThat(a.acknowledge((short) 1, new ShareAcknowledgeRequestData().setGroupId(GROUP).setMemberId(A)
                .setShareSessionEpoch(0)).errorCode()).isEqualTo(Errors.INVALID_SHARE_SESSION_EPOCH.code());
        a.fetch((short) 1, request(A, 0, 10, 0).setTopics(topics(0, null)));
        ShareFetchResponseData stale = a.fetch((short) 1, request(A, 5, 10, 0).setTopics(topics(0, ack(0, 0, 1))));
        assertThat(stale.errorCode()).isEqualTo(Errors.INVALID_SHARE_SESSION_EPOCH.code());
        assertThat(stale.responses()).isEmpty();
        assertThat(a.fetch((short) 1, request("", 1, 10, 0)).errorCode()).isEqualTo(Errors.INVALID_REQUEST.code());
        assertThat(persisted(0).startOffset()).as("the refused acknowledgement changed nothing").isZero();
    }

    @Test
    void unknownTopicIdsAndPartitionsLedElsewhereAreRefusedWithTheLeader() {
        WireClient a = connect();
        ShareFetchResponseData answer = a.fetch((short) 1, request(A, 0, 10, 0).setTopics(new ShareFetchRequestData.FetchTopicCollection(List.of(
                new ShareFetchRequestData.FetchTopic().setTopicId(new Uuid(9, 9)).setPartitions(
                        new ShareFetchRequestData.FetchPartitionCollection(List.of(
                                new ShareFetchRequestData.FetchPartition().setPartitionIndex(0)).iterator())),
                new ShareFetchRequestData.FetchTopic().setTopicId(JOBS).setPartitions(
                        new ShareFetchRequestData.FetchPartitionCollection(List.of(
                                new ShareFetchRequestData.FetchPartition().setPartitionIndex(2)).iterator()))).iterator())));

        Map<String, ShareFetchResponseData.PartitionData> byPartition = new HashMap<>();
        answer.responses().forEach(t -> t.partitions().forEach(p -> byPartition.put(t.topicId() + "-" + p.partitionIndex(), p)));
        assertThat(byPartition.get(new Uuid(9, 9) + "-0").errorCode()).isEqualTo(Errors.UNKNOWN_TOPIC_ID.code());
        ShareFetchResponseData.PartitionData elsewhere = byPartition.get(JOBS + "-2");
        assertThat(elsewhere.errorCode()).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER.code());
        assertThat(elsewhere.currentLeader().leaderId()).isEqualTo(OTHER);
        assertThat(elsewhere.currentLeader().leaderEpoch()).isEqualTo(3);
        assertThat(answer.nodeEndpoints()).extracting(ShareFetchResponseData.NodeEndpoint::host).containsExactly("10.0.0.2");
    }

    @Test
    void withoutReadOnTheGroupOrOnTheTopicNothingIsFetchedOrAcknowledged() {
        produce(JOBS_0, "j0");
        Authorizer authorizer = new Authorizer(Set.of(), false);
        Session alice = Session.on("PLAINTEXT", SecurityProtocol.PLAINTEXT, Principal.user("alice"), "127.0.0.1",
                authorizer);
        authorizer.load(AclIndex.of(List.of(allowAlice(ResourceType.TOPIC, "jobs"))));

        ShareFetchResponseData noGroup = (ShareFetchResponseData) handle(alice, ApiKeys.SHARE_FETCH,
                request(A, 0, 10, 0).setTopics(topics(0, null)));
        assertThat(noGroup.errorCode()).isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED.code());
        ShareAcknowledgeResponseData noGroupAck = (ShareAcknowledgeResponseData) handle(alice,
                ApiKeys.SHARE_ACKNOWLEDGE, new ShareAcknowledgeRequestData().setGroupId(GROUP).setMemberId(A)
                        .setShareSessionEpoch(1).setTopics(ackTopics(0, ack(0, 0, 1))));
        assertThat(noGroupAck.errorCode()).isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED.code());

        authorizer.load(AclIndex.of(List.of(allowAlice(ResourceType.GROUP, GROUP))));
        ShareFetchResponseData noTopic = (ShareFetchResponseData) handle(alice, ApiKeys.SHARE_FETCH,
                request(A, 0, 10, 0).setTopics(topics(0, null)));
        assertThat(only(noTopic).errorCode()).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED.code());
        assertThat(persister.state(key(0))).as("the share partition was not even loaded").isEmpty();

        authorizer.load(AclIndex.of(List.of(allowAlice(ResourceType.GROUP, GROUP),
                allowAlice(ResourceType.TOPIC, "jobs"))));
        ShareFetchResponseData allowed = (ShareFetchResponseData) handle(alice, ApiKeys.SHARE_FETCH,
                request(A, 1, 10, 0).setTopics(topics(0, null)));
        assertThat(acquired(only(allowed))).containsExactly("0-0 x1");
    }

    // ---- fixtures ---------------------------------------------------------------------------

    private static AclBinding allowAlice(ResourceType type, String name) {
        return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL), new AccessControlEntry(
                Principal.user("alice").toString(), AccessControlEntry.WILDCARD_HOST, AclOperation.READ,
                AclPermissionType.ALLOW));
    }

    /** The share handler's answer to a request on a connection of {@code session}, without the pipeline. */
    private ApiMessage handle(Session session, ApiKeys key, Message body) {
        RequestHeader header = new RequestHeader(key, key.latestVersion(), "share-test", 1);
        KafkaWire.Request request = KafkaWire.decode(RequestUtils.serialize(header.data(), header.headerVersion(),
                body, key.latestVersion())).withSession(session);
        return handlers.get(key).handle(request).join();
    }

    private void produce(TopicPartition tp, String... values) {
        List<KafkaRecordBatches.SimpleRecord> records = new ArrayList<>();
        for (String v : values) {
            records.add(new KafkaRecordBatches.SimpleRecord(scheduler.clock().millis(), null,
                    v.getBytes(StandardCharsets.UTF_8)));
        }
        ByteBuffer batch = KafkaRecordBatches.batch(RecordCodec.NONE, KafkaRecordBatches.ProducerInfo.NONE, records);
        assertThat(replicas.appendRecords(Map.of(tp, batch), (short) 1, Duration.ofSeconds(1), AppendOrigin.CLIENT)
                .join().get(tp).failure()).isNull();
    }

    private static ShareStatePersister.Key key(int partition) {
        return new ShareStatePersister.Key(GROUP, JOBS, partition);
    }

    private ShareStatePersister.ShareState persisted(int partition) {
        return persister.state(key(partition)).orElseThrow();
    }

    private static ShareFetchRequestData request(String member, int epoch, int maxRecords, int maxWaitMs) {
        return new ShareFetchRequestData().setGroupId(GROUP).setMemberId(member).setShareSessionEpoch(epoch)
                .setMaxWaitMs(maxWaitMs).setMinBytes(1).setMaxBytes(1 << 20).setMaxRecords(maxRecords).setBatchSize(500);
    }

    private static ShareFetchRequestData.FetchTopicCollection topics(int partition,
            List<ShareFetchRequestData.AcknowledgementBatch> acks) {
        ShareFetchRequestData.FetchPartition p = new ShareFetchRequestData.FetchPartition().setPartitionIndex(partition);
        if (acks != null) {
            p.setAcknowledgementBatches(acks);
        }
        return new ShareFetchRequestData.FetchTopicCollection(List.of(new ShareFetchRequestData.FetchTopic()
                .setTopicId(JOBS).setPartitions(new ShareFetchRequestData.FetchPartitionCollection(List.of(p).iterator())))
                .iterator());
    }

    private static List<ShareFetchRequestData.AcknowledgementBatch> ack(long first, long last, int type) {
        return List.of(new ShareFetchRequestData.AcknowledgementBatch().setFirstOffset(first).setLastOffset(last)
                .setAcknowledgeTypes(List.of((byte) type)));
    }

    private static ShareAcknowledgeRequestData.AcknowledgeTopicCollection ackTopics(int partition,
            List<ShareFetchRequestData.AcknowledgementBatch> acks) {
        List<ShareAcknowledgeRequestData.AcknowledgementBatch> batches = new ArrayList<>();
        acks.forEach(b -> batches.add(new ShareAcknowledgeRequestData.AcknowledgementBatch()
                .setFirstOffset(b.firstOffset()).setLastOffset(b.lastOffset()).setAcknowledgeTypes(b.acknowledgeTypes())));
        return new ShareAcknowledgeRequestData.AcknowledgeTopicCollection(List.of(
                new ShareAcknowledgeRequestData.AcknowledgeTopic().setTopicId(JOBS).setPartitions(
                        new ShareAcknowledgeRequestData.AcknowledgePartitionCollection(List.of(
                                new ShareAcknowledgeRequestData.AcknowledgePartition().setPartitionIndex(partition)
                                        .setAcknowledgementBatches(batches)).iterator()))).iterator());
    }

    private static ShareFetchResponseData.PartitionData only(ShareFetchResponseData response) {
        assertThat(response.errorCode()).as("top-level error %s", response.errorMessage()).isZero();
        assertThat(response.responses()).hasSize(1);
        assertThat(response.responses().iterator().next().partitions()).hasSize(1);
        return response.responses().iterator().next().partitions().get(0);
    }

    private static List<String> acquired(ShareFetchResponseData.PartitionData partition) {
        return partition.acquiredRecords().stream()
                .map(r -> r.firstOffset() + "-" + r.lastOffset() + " x" + r.deliveryCount()).toList();
    }

    private static List<String> values(ShareFetchResponseData.PartitionData partition) {
        List<String> values = new ArrayList<>();
        for (RecordBatch batch : ((MemoryRecords) partition.records()).batches()) {
            for (Record r : batch) {
                values.add(StandardCharsets.UTF_8.decode(r.value()).toString());
            }
        }
        return values;
    }

    private WireClient connect() {
        WireClient c = new WireClient();
        clients.add(c);
        return c;
    }

    /** One client connection on an {@link EmbeddedChannel}; answers are read back as kafka-clients parses them. */
    private final class WireClient {

        final EmbeddedChannel channel = new EmbeddedChannel();
        private final Map<Integer, short[]> sent = new HashMap<>();
        private int correlation = 1000 * (clients.size() + 1);

        WireClient() {
            KafkaServer.initPipeline(channel, 1 << 20, handlers);
        }

        void send(ApiKeys key, short version, Message body) {
            RequestHeader header = new RequestHeader(key, version, "share-test", ++correlation);
            sent.put(correlation, new short[] {key.id, version});
            ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
            ByteBuffer frame = ByteBuffer.allocate(4 + request.remaining());
            frame.putInt(request.remaining()).put(request).flip();
            ByteBuf bytes = Unpooled.wrappedBuffer(frame);
            channel.writeInbound(bytes);
            channel.runPendingTasks();
        }

        ShareFetchResponseData fetch(short version, ShareFetchRequestData body) {
            send(ApiKeys.SHARE_FETCH, version, body);
            List<AbstractResponse> answers = answers();
            assertThat(answers).hasSize(1);
            return ((ShareFetchResponse) answers.get(0)).data();
        }

        ShareAcknowledgeResponseData acknowledge(short version, ShareAcknowledgeRequestData body) {
            send(ApiKeys.SHARE_ACKNOWLEDGE, version, body);
            List<AbstractResponse> answers = answers();
            assertThat(answers).hasSize(1);
            return ((ShareAcknowledgeResponse) answers.get(0)).data();
        }

        List<AbstractResponse> answers() {
            channel.runPendingTasks();
            ByteBuffer all = ByteBuffer.wrap(outbound());
            List<AbstractResponse> answers = new ArrayList<>();
            while (all.remaining() >= 4) {
                int size = all.getInt();
                ByteBuffer answer = all.slice();
                answer.limit(size);
                all.position(all.position() + size);
                short[] request = sent.get(answer.getInt(0));
                ApiKeys key = ApiKeys.forId(request[0]);
                ResponseHeader.parse(answer, key.responseHeaderVersion(request[1]));
                answers.add(AbstractResponse.parseResponse(key, new ByteBufferAccessor(answer), request[1]));
            }
            return answers;
        }

        private byte[] outbound() {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
                if (out instanceof FileRegion region) {
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
                buf.release();
                all.writeBytes(bytes);
            }
            return all.toByteArray();
        }
    }
}
