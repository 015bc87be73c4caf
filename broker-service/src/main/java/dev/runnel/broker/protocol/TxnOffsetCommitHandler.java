package dev.runnel.broker.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.group.TransactionalOffsets;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.common.TopicPartition;

/**
 * TxnOffsetCommit 0-4, translated to and from {@link TransactionalOffsets}: v2 adds each offset's
 * leader epoch, v3 the member (generation, member id, instance id), v4 only the promise that the
 * client takes TRANSACTION_ABORTABLE (KIP-890). Errors older clients do not know are answered as
 * Kafka answers them: TRANSACTION_ABORTABLE as INVALID_TXN_STATE below v4, and
 * COORDINATOR_LOAD_IN_PROGRESS as COORDINATOR_NOT_AVAILABLE below v2.
 *
 * <p>Authorization, as Kafka's: WRITE on the transactional id, then READ on the group (else every
 * partition TRANSACTIONAL_ID_AUTHORIZATION_FAILED, or GROUP_AUTHORIZATION_FAILED), and READ on
 * each topic (else TOPIC_AUTHORIZATION_FAILED for its partitions, nothing committed for them).
 */
final class TxnOffsetCommitHandler implements ApiHandler {

    private final TransactionalOffsets offsets;

    TxnOffsetCommitHandler(TransactionalOffsets offsets) {
        this.offsets = offsets;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        TxnOffsetCommitRequestData data = (TxnOffsetCommitRequestData) request.body();
        short version = request.version();
        Session session = request.session();
        if (!session.allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, data.transactionalId())) {
            return CompletableFuture.completedFuture(KafkaWire.errorResponse(request,
                    Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
        }
        if (!session.allowed(AclOperation.READ, ResourceType.GROUP, data.groupId())) {
            return CompletableFuture.completedFuture(KafkaWire.errorResponse(request, Errors.GROUP_AUTHORIZATION_FAILED));
        }
        Predicate<String> mayRead = session.allowedNames(AclOperation.READ, ResourceType.TOPIC, Authorizer.Audit.EXPLICIT);
        boolean refusedAny = false;
        Map<TopicPartition, TransactionalOffsets.Commit> commits = new LinkedHashMap<>();
        TxnOffsetCommitResponseData response = new TxnOffsetCommitResponseData();
        Map<TopicPartition, TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition> answers = new LinkedHashMap<>();
        for (TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic topic : data.topics()) {
            TxnOffsetCommitResponseData.TxnOffsetCommitResponseTopic topicAnswer =
                    new TxnOffsetCommitResponseData.TxnOffsetCommitResponseTopic().setName(topic.name());
            response.topics().add(topicAnswer);
            for (TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition p : topic.partitions()) {
                TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition answer =
                        new TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition()
                                .setPartitionIndex(p.partitionIndex());
                topicAnswer.partitions().add(answer);
                if (!mayRead.test(topic.name())) {
                    answer.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
                    refusedAny = true;
                    continue;
                }
                TopicPartition tp;
                try {
                    tp = new TopicPartition(topic.name(), p.partitionIndex());
                } catch (IllegalArgumentException e) {
                    answer.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                    continue;
                }
                answers.put(tp, answer);
                commits.put(tp, new TransactionalOffsets.Commit(p.committedOffset(),
                        version >= 2 ? p.committedLeaderEpoch() : -1, p.committedMetadata()));
            }
        }
        if (commits.isEmpty() && refusedAny) {
            return CompletableFuture.completedFuture(response); // nothing the connection may commit
        }
        TransactionalOffsets.Request commit = new TransactionalOffsets.Request(data.transactionalId(),
                data.producerId(), data.producerEpoch(), data.groupId(),
                version >= 3 ? data.generationIdOrMemberEpoch() : -1, version >= 3 ? data.memberId() : "",
                version >= 3 ? data.groupInstanceId() : null, commits);
        return offsets.commit(commit).thenApply(result -> {
            answers.forEach((tp, answer) -> answer.setErrorCode(answerable(result.error() != Errors.NONE
                    ? result.error() : result.partitions().getOrDefault(tp, Errors.UNKNOWN_SERVER_ERROR), version).code()));
            return response;
        });
    }

    /** {@code error} as a client of {@code version} understands it. */
    static Errors answerable(Errors error, short version) {
        if (error == Errors.TRANSACTION_ABORTABLE && version < 4) {
            return Errors.INVALID_TXN_STATE;
        }
        if (error == Errors.COORDINATOR_LOAD_IN_PROGRESS && version < 2) {
            return Errors.COORDINATOR_NOT_AVAILABLE;
        }
        return error;
    }
}
