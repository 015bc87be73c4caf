package dev.runnel.broker.protocol;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.cluster.ProducerIdManager;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.broker.transaction.TransactionCoordinator;

/**
 * InitProducerId. Without a transactional id (idempotent producers): a new producer id at epoch 0
 * every time, as Kafka gives non-transactional producers (a producer bumping its epoch after an
 * error gets a fresh id too); ids come from the controller's blocks, and while none can be had the
 * answer is the retriable COORDINATOR_NOT_AVAILABLE. With one: the transaction coordinator's
 * answer (the id's producer id with its epoch bumped, the previous producer fenced), PRODUCER_FENCED
 * being INVALID_PRODUCER_EPOCH below v4; an empty transactional id is INVALID_REQUEST, as in Kafka.
 *
 * <p>Authorization, as Kafka's, before anything else: a transactional id needs WRITE on it (else
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an idempotent producer needs IDEMPOTENT_WRITE on the
 * cluster or, failing that, WRITE on at least one topic (KIP-679), else CLUSTER_AUTHORIZATION_FAILED.
 */
final class InitProducerIdHandler implements ApiHandler {

    private final ProducerIdManager producerIds;
    private final Executor blocking;
    private final TransactionCoordinator transactions;

    /**
     * @param blocking     where to wait for the controller when a new block is needed (never a network thread)
     * @param transactions the transaction coordinator, or null where transactions are not served
     */
    InitProducerIdHandler(ProducerIdManager producerIds, Executor blocking, TransactionCoordinator transactions) {
        this.producerIds = producerIds;
        this.blocking = blocking;
        this.transactions = transactions;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        InitProducerIdRequestData body = (InitProducerIdRequestData) request.body();
        String transactionalId = body.transactionalId();
        Session session = request.session();
        if (transactionalId != null
                && !session.allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)) {
            return CompletableFuture.completedFuture(error(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
        }
        if (transactionalId == null && !session.allowed(AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER,
                ResourceType.CLUSTER_NAME, Authorizer.Audit.FILTER)
                && !session.allowedOnAny(AclOperation.WRITE, ResourceType.TOPIC)) {
            return CompletableFuture.completedFuture(error(Errors.CLUSTER_AUTHORIZATION_FAILED));
        }
        if (transactionalId != null) {
            if (transactionalId.isEmpty() || transactions == null) {
                return CompletableFuture.completedFuture(error(Errors.INVALID_REQUEST));
            }
            long expectedProducerId = request.version() >= 3 ? body.producerId() : -1;
            short expectedEpoch = request.version() >= 3 ? body.producerEpoch() : -1;
            return transactions.initProducerId(transactionalId, body.transactionTimeoutMs(), expectedProducerId,
                    expectedEpoch).thenApply(result -> {
                        Errors error = TransactionHandler.downgraded(result.error(), request.version(), 4);
                        return error != Errors.NONE ? error(error) : new InitProducerIdResponseData()
                                .setProducerId(result.producerId()).setProducerEpoch(result.producerEpoch());
                    });
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new InitProducerIdResponseData().setProducerId(producerIds.nextProducerId())
                        .setProducerEpoch((short) 0);
            } catch (ProducerIdManager.UnavailableException e) {
                return error(Errors.COORDINATOR_NOT_AVAILABLE);
            }
        }, blocking);
    }

    private static InitProducerIdResponseData error(Errors error) {
        return new InitProducerIdResponseData().setErrorCode(error.code()).setProducerId(-1)
                .setProducerEpoch((short) -1);
    }
}
