package dev.runnel.broker.protocol;

import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.BrokerInfo;

/**
 * DescribeCluster: the cluster id, the live brokers and the node clients treat as the controller,
 * as Metadata gives them. Brokers describe brokers only: asking one for the controllers' endpoints
 * is MISMATCHED_ENDPOINT_TYPE, as in Kafka. No broker is fenced (an unregistered one is not listed).
 * Anyone may ask; the cluster's authorized operations are filled in when asked for, as by Metadata.
 */
final class DescribeClusterHandler implements ApiHandler {

    /** KIP-919 endpoint types. */
    private static final byte BROKER_ENDPOINTS = 1;

    private final MetadataCache metadata;
    private final Supplier<String> clusterId;

    DescribeClusterHandler(MetadataCache metadata, Supplier<String> clusterId) {
        this.metadata = metadata;
        this.clusterId = clusterId;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        DescribeClusterRequestData body = (DescribeClusterRequestData) request.body();
        DescribeClusterResponseData response = new DescribeClusterResponseData();
        if (request.version() >= 1) {
            response.setEndpointType(BROKER_ENDPOINTS);
            if (body.endpointType() != BROKER_ENDPOINTS) {
                return CompletableFuture.completedFuture(response
                        .setErrorCode(Errors.MISMATCHED_ENDPOINT_TYPE.code())
                        .setErrorMessage("A broker describes broker endpoints only; ask with endpoint type 1"));
            }
        }
        MetadataCache.Snapshot view = metadata.snapshot();
        response.setClusterId(clusterId.get()).setControllerId(MetadataHandler.controllerIdForClients(view));
        if (body.includeClusterAuthorizedOperations()) {
            response.setClusterAuthorizedOperations(MetadataHandler.clusterAuthorizedOperations(request.session()));
        }
        String listener = request.session().listener();
        view.brokers().values().stream().sorted(Comparator.comparingInt(BrokerInfo::id)).forEach(b ->
                b.endpoint(listener).ifPresent(e -> response.brokers().add(new DescribeClusterResponseData.DescribeClusterBroker()
                        .setBrokerId(b.id()).setHost(e.host()).setPort(e.port()).setRack(b.rack()))));
        return CompletableFuture.completedFuture(response);
    }
}
