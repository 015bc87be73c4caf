package dev.runnel.broker.protocol;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.purgatory.DelayedOperation;
import dev.runnel.broker.purgatory.DelayedOperationPurgatory;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.common.TopicPartition;

/**
 * Fetch, for consumers and followers: reads each partition from its leader (consumers up to the
 * high watermark, followers up to the log end) and sends the record bytes zero-copy from the
 * segment files. A follower's fetch offset is its log end offset: the leader records it, which
 * may move the high watermark and add the follower to the ISR.
 *
 * <p>A fetch that finds fewer than {@code min.bytes} waits up to {@code max.wait.ms} in the fetch
 * purgatory, woken by appends to its partitions; an error on any partition answers at once.
 * Sessions (KIP-227) are not kept: every answer carries session id 0, so clients send full
 * fetches. {@code read_committed} reads to the same bound as {@code read_uncommitted} (the
 * high watermark), since there are no transactions.
 */
final class FetchHandler implements ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(FetchHandler.class);
    private static final long REFUSAL_LOG_INTERVAL_SECONDS = 10;
    private static final long REFUSAL_LOG_INTERVAL_NANOS = Duration.ofSeconds(REFUSAL_LOG_INTERVAL_SECONDS).toNanos();

    private volatile long lastRefusalLogged = System.nanoTime() - REFUSAL_LOG_INTERVAL_NANOS - 1;

    private final ReplicaManager replicas;
    private final MetadataCache metadata;
    private final LeaderHints leaders;
    private final DelayedOperationPurgatory<TopicPartition> fetchPurgatory;

    FetchHandler(ReplicaManager replicas, MetadataCache metadata,
            DelayedOperationPurgatory<TopicPartition> fetchPurgatory) {
        this.replicas = replicas;
        this.metadata = metadata;
        this.leaders = new LeaderHints(metadata);
        this.fetchPurgatory = fetchPurgatory;
    }

    /** One requested partition; {@code tp} is null when the topic is unknown or its name invalid. */
    private record Wanted(FetchRequestData.FetchTopic topic, FetchRequestData.FetchPartition partition,
            TopicPartition tp, Errors refusal) {
    }

    /** The answer to one read of every wanted partition. */
    private record Read(FetchResponseData response, int bytes, boolean anyError) {
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        FetchRequestData data = (FetchRequestData) request.body();
        short version = request.version();
        List<Wanted> wanted = resolve(data, version, replicaRefusal(request, data, version));
        Read first = read(data, wanted, version);
        if (data.maxWaitMs() <= 0 || first.bytes() >= data.minBytes() || first.anyError() || wanted.isEmpty()) {
            return CompletableFuture.completedFuture(first.response());
        }
        CompletableFuture<ApiMessage> answer = new CompletableFuture<>();
        List<TopicPartition> keys = wanted.stream().map(Wanted::tp).toList();
        fetchPurgatory.tryCompleteElseWatch(new DelayedOperation(Duration.ofMillis(data.maxWaitMs())) {
            private Read latest;

            @Override
            public boolean tryComplete() {
                Read now = read(data, wanted, version);
                if (now.bytes() >= data.minBytes() || now.anyError()) {
                    latest = now;
                    return forceComplete();
                }
                return false;
            }

            @Override
            protected void onComplete() {
                answer.complete(latest != null ? latest.response() : read(data, wanted, version).response());
            }
        }, keys);
        return answer;
    }

    /**
     * Why a fetch as replica may not be served: only a registered broker, on a connection that
     * proved it is that broker (SASL {@code RUNNEL-BROKER}), moves high watermarks and joins ISRs.
     * Anyone else gets TOPIC_AUTHORIZATION_FAILED for every partition, as Kafka answers a follower
     * fetch without the CLUSTER_ACTION permission; null when it may be served.
     */
    private Errors replicaRefusal(KafkaWire.Request request, FetchRequestData data, short version) {
        int replicaId = replicaId(data, version);
        if (replicaId < 0) {
            return null;
        }
        if (!request.session().isBroker(replicaId)) {
            long now = System.nanoTime();
            if (now - lastRefusalLogged > REFUSAL_LOG_INTERVAL_NANOS) {
                lastRefusalLogged = now;
                log.warn("Refused a fetch as replica {} from {}: the connection has not authenticated as that broker"
                        + " (logged at most every {} s)", replicaId, request.clientHost(), REFUSAL_LOG_INTERVAL_SECONDS);
            }
            return Errors.TOPIC_AUTHORIZATION_FAILED;
        }
        if (!metadata.snapshot().brokers().containsKey(replicaId)) {
            // Authenticated but not registered (its ZooKeeper session is gone): it may not count yet.
            return Errors.NOT_LEADER_OR_FOLLOWER;
        }
        return null;
    }

    private List<Wanted> resolve(FetchRequestData data, short version, Errors refusal) {
        List<Wanted> wanted = new ArrayList<>();
        for (FetchRequestData.FetchTopic topic : data.topics()) {
            Optional<String> name = version >= 13 ? TopicIds.nameOf(metadata, topic.topicId()) : Optional.of(topic.topic());
            for (FetchRequestData.FetchPartition partition : topic.partitions()) {
                if (refusal != null || name.isEmpty()) {
                    wanted.add(new Wanted(topic, partition, null, refusal != null ? refusal : Errors.UNKNOWN_TOPIC_ID));
                    continue;
                }
                try {
                    wanted.add(new Wanted(topic, partition, new TopicPartition(name.get(), partition.partition()), null));
                } catch (IllegalArgumentException e) {
                    wanted.add(new Wanted(topic, partition, null, Errors.UNKNOWN_TOPIC_OR_PARTITION));
                }
            }
        }
        return wanted;
    }

    /** The fetching broker's id for a follower's fetch, or -1 for a consumer's. */
    private static int replicaId(FetchRequestData data, short version) {
        return version >= 15 ? data.replicaState().replicaId() : data.replicaId();
    }

    /** Reads every wanted partition once, within the request's byte limits. */
    private Read read(FetchRequestData data, List<Wanted> wanted, short version) {
        int replicaId = replicaId(data, version);
        FetchResponseData response = new FetchResponseData().setSessionId(0);
        FetchResponseData.FetchableTopicResponse topicResponse = null;
        FetchRequestData.FetchTopic currentTopic = null;
        int bytes = 0;
        boolean anyError = false;
        for (Wanted w : wanted) {
            if (w.topic() != currentTopic) {
                currentTopic = w.topic();
                topicResponse = new FetchResponseData.FetchableTopicResponse();
                if (version >= 13) {
                    topicResponse.setTopicId(currentTopic.topicId());
                } else {
                    topicResponse.setTopic(currentTopic.topic());
                }
                response.responses().add(topicResponse);
            }
            FetchResponseData.PartitionData out = new FetchResponseData.PartitionData()
                    .setPartitionIndex(w.partition().partition()).setRecords(KafkaWire.noRecords());
            topicResponse.partitions().add(out);
            if (w.refusal() != null) {
                refuse(out, w.refusal(), null, version, response);
                anyError = true;
                continue;
            }
            try {
                Partition partition = replicas.leaderPartition(w.tp());
                int epoch = w.partition().currentLeaderEpoch();
                partition.checkEpoch(epoch < 0 ? OptionalInt.empty() : OptionalInt.of(epoch), true);
                int limit = Math.min(w.partition().partitionMaxBytes(), Math.max(0, data.maxBytes() - bytes));
                PartitionLog.ReadResult result;
                if (replicaId >= 0) {
                    // A follower: its fetch offset is its log end, which may move the high watermark.
                    if (partition.updateFollowerFetchState(replicaId, w.partition().fetchOffset())) {
                        replicas.highWatermarkMoved(w.tp());
                    }
                    result = partition.read(w.partition().fetchOffset(), limit, bytes == 0, Partition.ReadBound.LOG_END);
                } else {
                    result = partition.read(w.partition().fetchOffset(), limit, bytes == 0,
                            Partition.ReadBound.HIGH_WATERMARK);
                }
                out.setHighWatermark(result.highWatermark()).setLastStableOffset(result.highWatermark())
                        .setLogStartOffset(result.logStartOffset());
                if (!result.isEmpty()) {
                    out.setRecords(KafkaWire.fileRecords(result.slice()));
                    bytes += result.slice().size();
                }
            } catch (ReplicaException | LogException e) {
                refuse(out, KafkaErrors.of(e), w.tp(), version, response);
                anyError = true;
            }
        }
        return new Read(response, bytes, anyError);
    }

    private void refuse(FetchResponseData.PartitionData out, Errors error, TopicPartition tp, short version,
            FetchResponseData response) {
        out.setErrorCode(error.code()).setHighWatermark(-1).setLastStableOffset(-1).setLogStartOffset(-1);
        if (tp != null && version >= 12 && (error == Errors.NOT_LEADER_OR_FOLLOWER || error == Errors.FENCED_LEADER_EPOCH)) {
            leaders.leaderOf(tp).ifPresent(leader -> {
                out.setCurrentLeader(new FetchResponseData.LeaderIdAndEpoch().setLeaderId(leader.id())
                        .setLeaderEpoch(leader.epoch()));
                if (version >= 16 && response.nodeEndpoints().find(leader.id()) == null) {
                    leader.broker().ifPresent(b -> response.nodeEndpoints().add(new FetchResponseData.NodeEndpoint()
                            .setNodeId(b.id()).setHost(b.host()).setPort(b.kafkaPort()).setRack(b.rack())));
                }
            });
        }
    }
}
