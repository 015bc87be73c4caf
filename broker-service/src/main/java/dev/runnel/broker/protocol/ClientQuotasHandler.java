package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterClientQuotasResponseData;
import org.apache.kafka.common.message.DescribeClientQuotasRequestData;
import org.apache.kafka.common.message.DescribeClientQuotasResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.quota.ClientQuotaStore;
import dev.runnel.broker.quota.QuotaEntity;
import dev.runnel.broker.quota.QuotaKey;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;

/**
 * AlterClientQuotas and DescribeClientQuotas (v0-1, KIP-546): the client quotas of users, client
 * ids and users' client ids, each also as a default, in ZooKeeper ({@link ClientQuotaStore}), as
 * {@code kafka-configs --entity-type clients|users --alter --add-config producer_byte_rate=...}
 * manages them. Altering needs ALTER_CONFIGS on the cluster, describing DESCRIBE_CONFIGS, as in
 * Kafka. Bad input (an unknown key, a bad value, an ip entity, a malformed filter) is answered
 * INVALID_REQUEST with a message and changes nothing of that entity. Without a store (tests of
 * other APIs) DescribeClientQuotas answers no entity and AlterClientQuotas is not served. The
 * store's ZooKeeper calls run on {@code blocking}.
 */
final class ClientQuotasHandler implements ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(ClientQuotasHandler.class);

    private final ClientQuotaStore store;
    private final Executor blocking;

    /** @param store the quotas, or null to describe none */
    ClientQuotasHandler(ClientQuotaStore store, Executor blocking) {
        this.store = store;
        this.blocking = blocking;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        if (request.apiKey() == ApiKeys.ALTER_CLIENT_QUOTAS) {
            return alter(request, (AlterClientQuotasRequestData) request.body());
        }
        return CompletableFuture.completedFuture(describe(request, (DescribeClientQuotasRequestData) request.body()));
    }

    private CompletableFuture<ApiMessage> alter(KafkaWire.Request request, AlterClientQuotasRequestData body) {
        if (!request.session().allowed(AclOperation.ALTER_CONFIGS, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME)) {
            AlterClientQuotasResponseData response = new AlterClientQuotasResponseData();
            body.entries().forEach(entry -> response.entries().add(new AlterClientQuotasResponseData.EntryData()
                    .setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code())
                    .setErrorMessage(Errors.CLUSTER_AUTHORIZATION_FAILED.message())
                    .setEntity(entity(components(entry)))));
            return CompletableFuture.completedFuture(response);
        }
        List<ClientQuotaStore.Alteration> alterations = new ArrayList<>();
        for (AlterClientQuotasRequestData.EntryData entry : body.entries()) {
            List<ClientQuotaStore.Op> ops = entry.ops().stream()
                    .map(op -> new ClientQuotaStore.Op(op.key(), op.remove() ? null : op.value())).toList();
            alterations.add(new ClientQuotaStore.Alteration(components(entry), ops));
        }
        return CompletableFuture.supplyAsync(() -> {
            AlterClientQuotasResponseData response = new AlterClientQuotasResponseData();
            List<ClientQuotaStore.Result> results;
            try {
                results = store.alter(alterations, body.validateOnly());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                alterations.forEach(a -> response.entries().add(new AlterClientQuotasResponseData.EntryData()
                        .setErrorCode(Errors.UNKNOWN_SERVER_ERROR.code()).setErrorMessage("interrupted")
                        .setEntity(entity(a.entity()))));
                return response;
            }
            for (ClientQuotaStore.Result result : results) {
                AlterClientQuotasResponseData.EntryData entry = new AlterClientQuotasResponseData.EntryData()
                        .setEntity(entity(result.entity()));
                if (result.failure() != null) {
                    Errors error = result.failure().invalid() ? Errors.INVALID_REQUEST : Errors.UNKNOWN_SERVER_ERROR;
                    entry.setErrorCode(error.code()).setErrorMessage(result.failure().message());
                    log.debug("AlterClientQuotas of {} refused: {}", result.entity(), result.failure().message());
                }
                response.entries().add(entry);
            }
            return response;
        }, blocking);
    }

    private ApiMessage describe(KafkaWire.Request request, DescribeClientQuotasRequestData body) {
        DescribeClientQuotasResponseData response = new DescribeClientQuotasResponseData();
        if (!request.session().allowed(AclOperation.DESCRIBE_CONFIGS, ResourceType.CLUSTER,
                ResourceType.CLUSTER_NAME)) {
            return response.setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code())
                    .setErrorMessage(Errors.CLUSTER_AUTHORIZATION_FAILED.message()).setEntries(null);
        }
        if (store == null) {
            return response;
        }
        List<ClientQuotaStore.Filter> filters = body.components().stream()
                .map(c -> new ClientQuotaStore.Filter(c.entityType(), c.matchType(), c.match())).toList();
        Map<QuotaEntity, Map<QuotaKey, Double>> matched;
        try {
            matched = store.describe(filters, body.strict());
        } catch (IllegalArgumentException e) {
            return response.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage(e.getMessage())
                    .setEntries(null);
        } catch (ClientQuotaStore.UnsupportedEntityTypeException e) {
            return response.setErrorCode(Errors.UNSUPPORTED_VERSION.code()).setErrorMessage(e.getMessage())
                    .setEntries(null);
        }
        matched.forEach((entity, quotas) -> {
            DescribeClientQuotasResponseData.EntryData entry = new DescribeClientQuotasResponseData.EntryData();
            entity.components().forEach((type, name) -> entry.entity().add(
                    new DescribeClientQuotasResponseData.EntityData().setEntityType(type).setEntityName(name)));
            quotas.forEach((key, value) -> entry.values().add(
                    new DescribeClientQuotasResponseData.ValueData().setKey(key.config()).setValue(value)));
            response.entries().add(entry);
        });
        return response;
    }

    private static List<ClientQuotaStore.Component> components(AlterClientQuotasRequestData.EntryData entry) {
        return entry.entity().stream()
                .map(e -> new ClientQuotaStore.Component(e.entityType(), e.entityName())).toList();
    }

    private static List<AlterClientQuotasResponseData.EntityData> entity(List<ClientQuotaStore.Component> components) {
        List<AlterClientQuotasResponseData.EntityData> entity = new ArrayList<>();
        components.forEach(c -> entity.add(new AlterClientQuotasResponseData.EntityData().setEntityType(c.type())
                .setEntityName(c.name())));
        return entity;
    }
}
