package dev.runnel.broker.protocol;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.apache.kafka.common.message.ShareAcknowledgeRequestData;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchRequestData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.broker.share.AcknowledgeType;
import dev.runnel.broker.share.AcknowledgementBatch;
import dev.runnel.broker.share.ShareException;
import dev.runnel.broker.share.ShareFetcher;
import dev.runnel.broker.share.ShareSessionCache;
import dev.runnel.broker.share.ShareSessionCache.SessionKey;
import dev.runnel.broker.share.ShareSessionCache.TopicIdPartition;
import dev.runnel.common.TopicPartition;

/**
 * ShareFetch and ShareAcknowledge (KIP-932), v1-2: a share consumer's session on this broker, the
 * acknowledgements of records it acquired here, and new acquisitions from the share partitions
 * this broker leads ({@link dev.runnel.broker.share}).
 *
 * <p>A request first passes the group's READ permission (else GROUP_AUTHORIZATION_FAILED) and its
 * share session's epoch (see {@link ShareSessionCache}); failing either answers with the top-level
 * error and changes nothing. Then, per partition, as Kafka: TOPIC_AUTHORIZATION_FAILED without
 * READ on the topic, UNKNOWN_TOPIC_ID for an id the metadata does not know, NOT_LEADER_OR_FOLLOWER
 * with the leader's id, epoch and endpoint. Acknowledgements are applied and persisted before the
 * fetch acquires (so what they release may be fetched at once); a ShareFetch with IsRenewAck only
 * acknowledges. At epoch -1 the session closes after the acknowledgements and the member's other
 * acquired records are released.
 */
final class ShareFetchHandler implements ApiHandler {

    private static final byte RECORD_LIMIT = 1;

    private final KafkaApis.Shares shares;
    private final MetadataCache metadata;
    private final ShareResponses responses;

    ShareFetchHandler(KafkaApis.Shares shares, MetadataCache metadata) {
        this.shares = shares;
        this.metadata = metadata;
        this.responses = new ShareResponses(new LeaderHints(metadata));
    }

    /** A partition of a request: its topic's name, or why it is refused. */
    private record Resolved(TopicIdPartition id, TopicPartition tp, Errors refusal) {
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        return request.apiKey() == ApiKeys.SHARE_FETCH ? fetch(request) : acknowledge(request);
    }

    private CompletableFuture<ApiMessage> fetch(KafkaWire.Request request) {
        ShareFetchRequestData data = (ShareFetchRequestData) request.body();
        short version = request.version();
        ShareResponses.Outcome refused = refuseGroup(request.session(), data.groupId(), data.memberId());
        if (refused != null) {
            return CompletableFuture.completedFuture(ShareResponses.fetchError(refused));
        }
        SessionKey key = new SessionKey(data.groupId(), data.memberId());
        List<TopicIdPartition> requested = new ArrayList<>();
        Map<TopicIdPartition, List<AcknowledgementBatch>> acks = new LinkedHashMap<>();
        for (ShareFetchRequestData.FetchTopic topic : data.topics()) {
            for (ShareFetchRequestData.FetchPartition partition : topic.partitions()) {
                TopicIdPartition id = ShareResponses.id(topic.topicId(), partition.partitionIndex());
                requested.add(id);
                if (!partition.acknowledgementBatches().isEmpty()) {
                    List<AcknowledgementBatch> batches = new ArrayList<>();
                    partition.acknowledgementBatches().forEach(b -> batches.add(new AcknowledgementBatch(
                            b.firstOffset(), b.lastOffset(), types(b.acknowledgeTypes()))));
                    acks.put(id, batches);
                }
            }
        }
        List<TopicIdPartition> forgotten = new ArrayList<>();
        data.forgottenTopicsData().forEach(t -> t.partitions().forEach(p -> forgotten.add(ShareResponses.id(t.topicId(), p))));
        int epoch = data.shareSessionEpoch();
        List<TopicIdPartition> sessionPartitions;
        try {
            if (epoch == 0) {
                if (!acks.isEmpty()) {
                    return CompletableFuture.completedFuture(ShareResponses.fetchError(new ShareResponses.Outcome(
                            Errors.INVALID_REQUEST, "the request opening a share session cannot acknowledge")));
                }
                sessionPartitions = shares.sessions().open(key, requested);
            } else if (epoch == -1) {
                shares.sessions().exists(key);
                sessionPartitions = List.of();
            } else {
                sessionPartitions = shares.sessions().next(key, epoch, requested, forgotten);
            }
        } catch (ShareException e) {
            return CompletableFuture.completedFuture(ShareResponses.fetchError(ShareResponses.Outcome.of(e)));
        }
        Predicate<String> mayRead = request.session().allowedNames(AclOperation.READ, ResourceType.TOPIC,
                Authorizer.Audit.EXPLICIT);
        boolean renew = version >= 2 && data.isRenewAck();
        CompletableFuture<Map<TopicIdPartition, ShareResponses.Outcome>> acknowledged = applyAcknowledgements(
                data.groupId(), data.memberId(), acks, mayRead, renew);
        boolean fetches = epoch != -1 && !renew;
        List<Resolved> toFetch = fetches ? sessionPartitions.stream().map(id -> resolve(id, mayRead)).toList() : List.of();
        String listener = request.session().listener();
        return acknowledged.thenCompose(ackOutcomes -> {
            ShareFetchResponseData response = new ShareFetchResponseData().setAcquisitionLockTimeoutMs(
                    lockTimeoutMs(data.groupId()));
            List<ShareFetcher.Target> targets = new ArrayList<>();
            List<TopicIdPartition> targetIds = new ArrayList<>();
            for (Resolved r : toFetch) {
                if (r.refusal() != null) {
                    responses.fetchRefused(response, r.id(), null, ShareResponses.Outcome.of(r.refusal()), listener);
                } else {
                    targets.add(new ShareFetcher.Target(r.id().topicId(), r.tp()));
                    targetIds.add(r.id());
                }
            }
            CompletableFuture<List<ShareFetcher.Fetched>> fetched = targets.isEmpty()
                    ? CompletableFuture.completedFuture(List.of())
                    : shares.fetcher().fetch(new ShareFetcher.Request(data.groupId(), data.memberId(),
                            Duration.ofMillis(Math.max(0, data.maxWaitMs())), data.minBytes(), data.maxBytes(),
                            data.maxRecords(), version >= 2 && data.shareAcquireMode() == RECORD_LIMIT), targets);
            return fetched.thenCompose(results -> {
                for (int i = 0; i < results.size(); i++) {
                    responses.fetched(response, targetIds.get(i), results.get(i), listener);
                }
                ShareResponses.acknowledged(response, ackOutcomes);
                return epoch == -1 ? closeSession(key).thenApply(closed -> (ApiMessage) response)
                        : CompletableFuture.completedFuture((ApiMessage) response);
            });
        });
    }

    private CompletableFuture<ApiMessage> acknowledge(KafkaWire.Request request) {
        ShareAcknowledgeRequestData data = (ShareAcknowledgeRequestData) request.body();
        ShareResponses.Outcome refused = refuseGroup(request.session(), data.groupId(), data.memberId());
        if (refused != null) {
            return CompletableFuture.completedFuture(ShareResponses.acknowledgeError(refused));
        }
        SessionKey key = new SessionKey(data.groupId(), data.memberId());
        try {
            shares.sessions().acknowledge(key, data.shareSessionEpoch());
        } catch (ShareException e) {
            return CompletableFuture.completedFuture(ShareResponses.acknowledgeError(ShareResponses.Outcome.of(e)));
        }
        Map<TopicIdPartition, List<AcknowledgementBatch>> acks = new LinkedHashMap<>();
        for (ShareAcknowledgeRequestData.AcknowledgeTopic topic : data.topics()) {
            for (ShareAcknowledgeRequestData.AcknowledgePartition partition : topic.partitions()) {
                List<AcknowledgementBatch> batches = new ArrayList<>();
                partition.acknowledgementBatches().forEach(b -> batches.add(new AcknowledgementBatch(
                        b.firstOffset(), b.lastOffset(), types(b.acknowledgeTypes()))));
                acks.put(ShareResponses.id(topic.topicId(), partition.partitionIndex()), batches);
            }
        }
        Predicate<String> mayRead = request.session().allowedNames(AclOperation.READ, ResourceType.TOPIC,
                Authorizer.Audit.EXPLICIT);
        Map<TopicIdPartition, TopicPartition> names = new LinkedHashMap<>();
        acks.keySet().forEach(id -> names.put(id, resolve(id, mayRead).tp()));
        boolean renew = request.version() >= 2 && data.isRenewAck();
        String listener = request.session().listener();
        return applyAcknowledgements(data.groupId(), data.memberId(), acks, mayRead, renew).thenCompose(outcomes -> {
            ShareAcknowledgeResponseData response = responses.acknowledgeAnswer(outcomes, names, listener);
            if (request.version() >= 2) {
                response.setAcquisitionLockTimeoutMs(lockTimeoutMs(data.groupId()));
            }
            return data.shareSessionEpoch() == -1 ? closeSession(key).thenApply(closed -> (ApiMessage) response)
                    : CompletableFuture.completedFuture((ApiMessage) response);
        });
    }

    /** Why a request of this group and member is refused as a whole, or null. */
    private static ShareResponses.Outcome refuseGroup(Session session, String groupId, String memberId) {
        if (groupId == null || groupId.isEmpty()) {
            return new ShareResponses.Outcome(Errors.INVALID_GROUP_ID, "a share request needs a group id");
        }
        if (!session.allowed(AclOperation.READ, ResourceType.GROUP, groupId)) {
            return ShareResponses.Outcome.of(Errors.GROUP_AUTHORIZATION_FAILED);
        }
        if (memberId == null || memberId.isEmpty()) {
            return new ShareResponses.Outcome(Errors.INVALID_REQUEST, "a share request needs a member id");
        }
        return null;
    }

    /** Applies each partition's acknowledgements; the outcomes complete once every write is done. */
    private CompletableFuture<Map<TopicIdPartition, ShareResponses.Outcome>> applyAcknowledgements(String groupId,
            String memberId, Map<TopicIdPartition, List<AcknowledgementBatch>> acks, Predicate<String> mayRead,
            boolean renew) {
        Map<TopicIdPartition, CompletableFuture<ShareResponses.Outcome>> pending = new LinkedHashMap<>();
        acks.forEach((id, batches) -> {
            Resolved r = resolve(id, mayRead);
            if (r.refusal() != null) {
                pending.put(id, CompletableFuture.completedFuture(ShareResponses.Outcome.of(r.refusal())));
                return;
            }
            pending.put(id, shares.partitions().partition(groupId, id.topicId(), r.tp())
                    .thenCompose(partition -> partition.acknowledge(memberId, batches, renew))
                    .handle((done, failure) -> failure == null ? ShareResponses.Outcome.NONE
                            : ShareResponses.Outcome.of(failure)));
        });
        return CompletableFuture.allOf(pending.values().toArray(CompletableFuture[]::new)).thenApply(all -> {
            Map<TopicIdPartition, ShareResponses.Outcome> outcomes = new LinkedHashMap<>();
            pending.forEach((id, outcome) -> outcomes.put(id, outcome.join()));
            return outcomes;
        });
    }

    /** Closes the member's session and releases what it still holds here. */
    private CompletableFuture<Void> closeSession(SessionKey key) {
        return shares.partitions().memberLeft(shares.sessions(), key.groupId(), key.memberId())
                .exceptionally(failure -> null); // a failed write drops the partition: the records come back anyway
    }

    private Resolved resolve(TopicIdPartition id, Predicate<String> mayRead) {
        String name = TopicIds.nameOf(metadata, id.topicId()).orElse(null);
        if (name == null) {
            return new Resolved(id, null, Errors.UNKNOWN_TOPIC_ID);
        }
        if (!mayRead.test(name)) {
            return new Resolved(id, null, Errors.TOPIC_AUTHORIZATION_FAILED);
        }
        if (id.partition() < 0) {
            return new Resolved(id, null, Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        return new Resolved(id, new TopicPartition(name, id.partition()), null);
    }

    private int lockTimeoutMs(String groupId) {
        return (int) Math.min(Integer.MAX_VALUE,
                shares.partitions().configs().settings(groupId).recordLockDuration().toMillis());
    }

    private static List<AcknowledgeType> types(List<Byte> ids) {
        List<AcknowledgeType> types = new ArrayList<>(ids.size());
        ids.forEach(id -> types.add(AcknowledgeType.of(id)));
        return types;
    }
}
