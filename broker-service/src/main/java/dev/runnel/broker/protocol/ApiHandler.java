package dev.runnel.broker.protocol;

import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.ApiMessage;

import dev.runnel.broker.kafka.KafkaWire;

/**
 * Serves one Kafka API family. A handler may answer later (a long-poll fetch, acks=all); the
 * connection still sends answers in request order. A null response means none is sent (acks=0).
 */
public interface ApiHandler {

    CompletableFuture<ApiMessage> handle(KafkaWire.Request request);
}
