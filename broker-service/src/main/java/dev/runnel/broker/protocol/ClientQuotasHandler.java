package dev.runnel.broker.protocol;

import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.DescribeClientQuotasResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;

/**
 * DescribeClientQuotas (v0-1): Runnel enforces no client quotas yet, so every filter matches no
 * entity; the answer says so truthfully, which is what {@code kafka-configs --describe
 * --entity-type users} needs before it lists a user's SCRAM credentials. Needs DESCRIBE_CONFIGS on
 * the cluster, as in Kafka.
 */
final class ClientQuotasHandler implements ApiHandler {

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        DescribeClientQuotasResponseData response = new DescribeClientQuotasResponseData();
        if (!request.session().allowed(AclOperation.DESCRIBE_CONFIGS, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME)) {
            return CompletableFuture.completedFuture(response.setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code())
                    .setErrorMessage(Errors.CLUSTER_AUTHORIZATION_FAILED.message()).setEntries(null));
        }
        return CompletableFuture.completedFuture(response);
    }
}
