package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.group.GroupLog;
import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.group.GroupOffsets;
import dev.runnel.broker.group.GroupSettings;
import dev.runnel.broker.group.TransactionalOffsets;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * TxnOffsetCommit at every version served, through real request bytes: the fields each version
 * carries, the errors older versions are given in their own terms, and OffsetFetch's RequireStable
 * answer for the partitions a transaction has written.
 */
class TxnOffsetCommitHandlerTest {

    static final Executor DIRECT = Runnable::run;
    static final GroupSettings SETTINGS = new GroupSettings(1, 1, Duration.ofSeconds(3), 1_000, 300_000, 100,
            Duration.ofDays(7), Duration.ofMinutes(10), 64, Duration.ofSeconds(5), 100 * 1024 * 1024);
    static final long PRODUCER = 77L;
    static final short EPOCH = 3;

    final ManualClock clock = new ManualClock(1_000_000);
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final InMemoryLog log = new InMemoryLog();
    Errors verification = Errors.NONE;

    /** A coordinator leading the one offsets partition; {@code loader} runs its load. */
    final class Broker {
        final GroupMetadataManager manager;
        final TransactionalOffsets transactions;
        final TxnOffsetCommitHandler txnOffsetCommit;
        final GroupOffsetsHandler groupOffsets;

        Broker(Executor loader) {
            manager = new GroupMetadataManager(log, clock, DIRECT, loader, SETTINGS, () -> 1);
            GroupCoordinator coordinator = new GroupCoordinator(manager, clock, scheduler);
            transactions = new TransactionalOffsets(coordinator, clock,
                    () -> (id, producerId, epoch, partition) -> CompletableFuture.completedFuture(verification));
            txnOffsetCommit = new TxnOffsetCommitHandler(transactions);
            groupOffsets = new GroupOffsetsHandler(new GroupOffsets(coordinator, clock, bytes -> Set.of()));
            manager.becameLeader(0);
        }
    }

    @ParameterizedTest
    @ValueSource(shorts = {0, 1, 2, 3, 4})
    void everyVersionCommitsInTheTransactionAndTheCommitMarkerMakesItVisible(short version) {
        Broker broker = new Broker(DIRECT);

        TxnOffsetCommitResponseData answer = txnOffsetCommit(broker, version, 42);

        assertThat(partitionErrors(answer)).containsExactly(Errors.NONE);
        OffsetFetchResponseData.OffsetFetchResponsePartition pending = offsetFetch(broker, true);
        assertThat(Errors.forCode(pending.errorCode())).isEqualTo(Errors.UNSTABLE_OFFSET_COMMIT);
        assertThat(pending.committedOffset()).isEqualTo(-1);
        assertThat(offsetFetch(broker, false).committedOffset()).as("not committed yet").isEqualTo(-1);

        assertThat(broker.transactions.completeTransaction(0, PRODUCER, EPOCH, 1, true).join()).isEqualTo(Errors.NONE);

        OffsetFetchResponseData.OffsetFetchResponsePartition committed = offsetFetch(broker, true);
        assertThat(Errors.forCode(committed.errorCode())).isEqualTo(Errors.NONE);
        assertThat(committed.committedOffset()).isEqualTo(42);
        assertThat(committed.committedLeaderEpoch()).as("leader epochs from v2").isEqualTo(version >= 2 ? 9 : -1);
        assertThat(committed.metadata()).isEqualTo("meta");
    }

    @Test
    void transactionAbortableIsInvalidTxnStateBeforeVersion4() {
        Broker broker = new Broker(DIRECT);
        verification = Errors.TRANSACTION_ABORTABLE;

        assertThat(partitionErrors(txnOffsetCommit(broker, (short) 4, 1))).containsExactly(Errors.TRANSACTION_ABORTABLE);
        assertThat(partitionErrors(txnOffsetCommit(broker, (short) 3, 1))).containsExactly(Errors.INVALID_TXN_STATE);
        assertThat(partitionErrors(txnOffsetCommit(broker, (short) 0, 1))).containsExactly(Errors.INVALID_TXN_STATE);
    }

    @Test
    void loadInProgressIsCoordinatorNotAvailableBeforeVersion2() {
        List<Runnable> loads = new ArrayList<>();
        Broker loading = new Broker(loads::add);

        assertThat(partitionErrors(txnOffsetCommit(loading, (short) 2, 1)))
                .containsExactly(Errors.COORDINATOR_LOAD_IN_PROGRESS);
        assertThat(partitionErrors(txnOffsetCommit(loading, (short) 1, 1)))
                .containsExactly(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(loading.transactions.completeTransaction(0, PRODUCER, EPOCH, 1, true).join())
                .as("the marker sender retries").isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
    }

    @Test
    void aMemberIsCheckedFromVersion3() {
        Broker broker = new Broker(DIRECT);

        TxnOffsetCommitRequestData body = request(42).setGenerationIdOrMemberEpoch(1).setMemberId("stranger");
        TxnOffsetCommitResponseData answer = (TxnOffsetCommitResponseData) handle(broker.txnOffsetCommit,
                ApiKeys.TXN_OFFSET_COMMIT, (short) 3, body);

        assertThat(partitionErrors(answer)).containsExactly(Errors.ILLEGAL_GENERATION);
    }

    // ---------------------------------------------------------------- helpers

    static TxnOffsetCommitRequestData request(long offset) {
        TxnOffsetCommitRequestData body = new TxnOffsetCommitRequestData().setTransactionalId("tx").setGroupId("group")
                .setProducerId(PRODUCER).setProducerEpoch(EPOCH);
        TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic topic =
                new TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic().setName("orders");
        topic.partitions().add(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition().setPartitionIndex(0)
                .setCommittedOffset(offset).setCommittedMetadata("meta"));
        body.topics().add(topic);
        return body;
    }

    TxnOffsetCommitResponseData txnOffsetCommit(Broker broker, short version, long offset) {
        TxnOffsetCommitRequestData body = request(offset);
        if (version >= 2) {
            body.topics().get(0).partitions().get(0).setCommittedLeaderEpoch(9);
        }
        return (TxnOffsetCommitResponseData) handle(broker.txnOffsetCommit, ApiKeys.TXN_OFFSET_COMMIT, version, body);
    }

    OffsetFetchResponseData.OffsetFetchResponsePartition offsetFetch(Broker broker, boolean requireStable) {
        OffsetFetchRequestData body = new OffsetFetchRequestData().setGroupId("group").setRequireStable(requireStable);
        body.topics().add(new OffsetFetchRequestData.OffsetFetchRequestTopic().setName("orders")
                .setPartitionIndexes(List.of(0)));
        OffsetFetchResponseData answer = (OffsetFetchResponseData) handle(broker.groupOffsets, ApiKeys.OFFSET_FETCH,
                (short) 7, body);
        assertThat(Errors.forCode(answer.errorCode())).isEqualTo(Errors.NONE);
        return answer.topics().get(0).partitions().get(0);
    }

    static List<Errors> partitionErrors(TxnOffsetCommitResponseData answer) {
        return answer.topics().stream().flatMap(t -> t.partitions().stream())
                .map(p -> Errors.forCode(p.errorCode())).toList();
    }

    static ApiMessage handle(ApiHandler handler, ApiKeys api, short version, ApiMessage body) {
        RequestHeader header = new RequestHeader(api, version, "test", 1);
        ByteBuffer frame = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
        return handler.handle(KafkaWire.decode(frame)).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** An offsets partition in memory: appends are taken and acknowledged at once, at increasing offsets. */
    static final class InMemoryLog implements GroupLog {

        private final List<Batch> batches = new ArrayList<>();
        private long next;

        @Override
        public CompletableFuture<Long> append(int partition, List<Entry> entries) {
            return add(NO_PRODUCER_ID, null, entries);
        }

        @Override
        public Object startTransactionVerification(int partition, long producerId, short producerEpoch) {
            return new Object();
        }

        @Override
        public CompletableFuture<Long> appendTransactional(int partition, long producerId, short producerEpoch,
                List<Entry> entries, Object verification) {
            return add(producerId, null, entries);
        }

        @Override
        public CompletableFuture<Long> appendMarker(int partition, long producerId, short producerEpoch,
                int coordinatorEpoch, boolean commit) {
            return add(producerId, commit ? Marker.COMMIT : Marker.ABORT, List.of());
        }

        private synchronized CompletableFuture<Long> add(long producerId, Marker marker, List<Entry> entries) {
            long base = next;
            List<Logged> records = new ArrayList<>();
            for (Entry e : entries) {
                records.add(new Logged(next++, e.key(), e.value()));
            }
            if (marker != null) {
                next++;
            }
            batches.add(new Batch(producerId, marker, records));
            return CompletableFuture.completedFuture(base);
        }

        @Override
        public synchronized void read(int partition, Consumer<Batch> consumer) {
            batches.forEach(consumer);
        }
    }
}
