package dev.runnel.broker.protocol;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.cluster.ProducerIdManager;
import dev.runnel.broker.kafka.KafkaWire;

/**
 * InitProducerId for idempotent producers: a new producer id at epoch 0 every time, as Kafka gives
 * non-transactional producers (a producer bumping its epoch after an error gets a fresh id too).
 * Ids come from the controller's blocks; while none can be had the answer is the retriable
 * COORDINATOR_NOT_AVAILABLE. Transactions are not supported: a transactional id is INVALID_REQUEST.
 */
final class InitProducerIdHandler implements ApiHandler {

    private final ProducerIdManager producerIds;
    private final Executor blocking;

    /** @param blocking where to wait for the controller when a new block is needed (never a network thread) */
    InitProducerIdHandler(ProducerIdManager producerIds, Executor blocking) {
        this.producerIds = producerIds;
        this.blocking = blocking;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        InitProducerIdRequestData body = (InitProducerIdRequestData) request.body();
        if (body.transactionalId() != null) {
            return CompletableFuture.completedFuture(new InitProducerIdResponseData()
                    .setErrorCode(Errors.INVALID_REQUEST.code()).setProducerId(-1).setProducerEpoch((short) -1));
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new InitProducerIdResponseData().setProducerId(producerIds.nextProducerId())
                        .setProducerEpoch((short) 0);
            } catch (ProducerIdManager.UnavailableException e) {
                return new InitProducerIdResponseData().setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code())
                        .setProducerId(-1).setProducerEpoch((short) -1);
            }
        }, blocking);
    }
}
