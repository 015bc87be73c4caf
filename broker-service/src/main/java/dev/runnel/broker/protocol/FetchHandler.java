package dev.runnel.broker.protocol;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.FetchParams;
import dev.runnel.broker.replication.FetchResult;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.storage.AbortedTransaction;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.common.TopicPartition;

/**
 * Fetch, for consumers and followers: reads each partition from its leader (consumers up to the
 * high watermark, followers up to the log end) and sends the record bytes zero-copy from the
 * segment files. A follower's fetch offset is its log end offset: the leader records it, which
 * may move the high watermark and add the follower to the ISR.
 *
 * <p>This handler translates; the reads, the follower's state and the wait for {@code min.bytes}
 * (up to {@code max.wait.ms}, answered at once on an error in any partition) are
 * {@link ReplicaManager#fetchMessages}'s.
 * Sessions (KIP-227) are not kept: every answer carries session id 0, so clients send full
 * fetches. {@code read_committed} reads to the same bound as {@code read_uncommitted} (the
 * high watermark), since there are no transactions.
 *
 * <p>Authorization, as Kafka's: a consumer needs READ on each topic, else its partitions are
 * TOPIC_AUTHORIZATION_FAILED (before the topic's existence is looked at); a follower needs to be
 * the broker it names (Kafka's CLUSTER_ACTION, see {@link #replicaRefusal}).
 */
final class FetchHandler implements ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(FetchHandler.class);
    /** The isolation level of Fetch v4+ and ListOffsets v2+ that reads only committed records (0 reads all). */
    static final byte READ_COMMITTED = 1;
    private static final long REFUSAL_LOG_INTERVAL_SECONDS = 10;
    private static final long REFUSAL_LOG_INTERVAL_MS = Duration.ofSeconds(REFUSAL_LOG_INTERVAL_SECONDS).toMillis();

    private final ReplicaManager replicas;
    private final MetadataCache metadata;
    private final LeaderHints leaders;
    private final Clock clock;
    private volatile long lastRefusalLogged = Long.MIN_VALUE;

    FetchHandler(ReplicaManager replicas, MetadataCache metadata, Clock clock) {
        this.replicas = replicas;
        this.metadata = metadata;
        this.leaders = new LeaderHints(metadata);
        this.clock = clock;
    }

    /** One requested partition; {@code tp} is null when the topic is unknown or its name invalid. */
    private record Wanted(FetchRequestData.FetchTopic topic, FetchRequestData.FetchPartition partition,
            TopicPartition tp, Errors refusal) {
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        FetchRequestData data = (FetchRequestData) request.body();
        short version = request.version();
        int replicaId = replicaId(data, version);
        Predicate<String> mayRead = replicaId >= 0 ? name -> true
                : request.session().allowedNames(AclOperation.READ, ResourceType.TOPIC, Authorizer.Audit.EXPLICIT);
        List<Wanted> wanted = resolve(data, version, replicaRefusal(request, data, version), mayRead);
        List<FetchParams.PartitionRequest> reads = new ArrayList<>();
        for (Wanted w : wanted) {
            if (w.refusal() == null) {
                int epoch = w.partition().currentLeaderEpoch();
                reads.add(new FetchParams.PartitionRequest(w.tp(), w.partition().fetchOffset(),
                        epoch < 0 ? OptionalInt.empty() : OptionalInt.of(epoch), w.partition().partitionMaxBytes()));
            }
        }
        // A partition refused here is an error: the answer goes at once, as for an error in a read.
        boolean refusedAny = reads.size() < wanted.size();
        Duration maxWait = refusedAny ? Duration.ZERO : Duration.ofMillis(Math.max(0, data.maxWaitMs()));
        FetchParams params = replicaId >= 0 ? FetchParams.follower(replicaId, maxWait, data.minBytes(), data.maxBytes())
                : FetchParams.consumer(maxWait, data.minBytes(), data.maxBytes(),
                        version >= 4 && data.isolationLevel() == READ_COMMITTED);
        return replicas.fetchMessages(params, reads).thenApply(results -> answer(wanted, results, version, request.session().listener()));
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
            long now = clock.millis();
            if (lastRefusalLogged == Long.MIN_VALUE || now - lastRefusalLogged > REFUSAL_LOG_INTERVAL_MS) {
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

    private List<Wanted> resolve(FetchRequestData data, short version, Errors refusal, Predicate<String> mayRead) {
        List<Wanted> wanted = new ArrayList<>();
        for (FetchRequestData.FetchTopic topic : data.topics()) {
            Optional<String> name = version >= 13 ? TopicIds.nameOf(metadata, topic.topicId()) : Optional.of(topic.topic());
            for (FetchRequestData.FetchPartition partition : topic.partitions()) {
                if (refusal != null || name.isEmpty()) {
                    wanted.add(new Wanted(topic, partition, null, refusal != null ? refusal : Errors.UNKNOWN_TOPIC_ID));
                    continue;
                }
                if (!mayRead.test(name.get())) {
                    wanted.add(new Wanted(topic, partition, null, Errors.TOPIC_AUTHORIZATION_FAILED));
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

    /** The answer: every wanted partition in request order, with what was read or why not. */
    private FetchResponseData answer(List<Wanted> wanted, List<FetchResult> results, short version, String listener) {
        FetchResponseData response = new FetchResponseData().setSessionId(0);
        FetchResponseData.FetchableTopicResponse topicResponse = null;
        FetchRequestData.FetchTopic currentTopic = null;
        Iterator<FetchResult> read = results.iterator();
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
                refuse(out, w.refusal(), null, version, response, listener);
                continue;
            }
            FetchResult result = read.next();
            if (result.failed()) {
                refuse(out, KafkaErrors.of(result.failure()), w.tp(), version, response, listener);
                continue;
            }
            PartitionLog.ReadResult r = result.read();
            out.setHighWatermark(r.highWatermark()).setLastStableOffset(r.lastStableOffset())
                    .setLogStartOffset(r.logStartOffset());
            if (result.abortedTransactions() == null) {
                out.setAbortedTransactions(null); // as Kafka answers a read_uncommitted fetch
            } else {
                List<FetchResponseData.AbortedTransaction> aborted = new ArrayList<>(result.abortedTransactions().size());
                for (AbortedTransaction txn : result.abortedTransactions()) {
                    aborted.add(new FetchResponseData.AbortedTransaction().setProducerId(txn.producerId())
                            .setFirstOffset(txn.firstOffset()));
                }
                out.setAbortedTransactions(aborted);
            }
            if (!r.isEmpty()) {
                out.setRecords(KafkaWire.fileRecords(r.slice()));
            }
        }
        return response;
    }

    private void refuse(FetchResponseData.PartitionData out, Errors error, TopicPartition tp, short version,
            FetchResponseData response, String listener) {
        out.setErrorCode(error.code()).setHighWatermark(-1).setLastStableOffset(-1).setLogStartOffset(-1);
        if (tp != null && version >= 12 && (error == Errors.NOT_LEADER_OR_FOLLOWER || error == Errors.FENCED_LEADER_EPOCH)) {
            leaders.leaderOf(tp).ifPresent(leader -> {
                out.setCurrentLeader(new FetchResponseData.LeaderIdAndEpoch().setLeaderId(leader.id())
                        .setLeaderEpoch(leader.epoch()));
                if (version >= 16 && response.nodeEndpoints().find(leader.id()) == null) {
                    leader.broker().ifPresent(b -> b.endpoint(listener).ifPresent(e -> response.nodeEndpoints().add(
                            new FetchResponseData.NodeEndpoint().setNodeId(b.id()).setHost(e.host()).setPort(e.port())
                                    .setRack(b.rack()))));
                }
            });
        }
    }
}
