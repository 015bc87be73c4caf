package dev.runnel.broker.cluster;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.apache.curator.framework.CuratorFramework;

import dev.runnel.cluster.AllocateProducerIdsRequest;
import dev.runnel.cluster.AllocateProducerIdsResponse;
import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.AlterPartitionResponse;
import dev.runnel.cluster.ControlledShutdownRequest;
import dev.runnel.cluster.ControlledShutdownResponse;
import dev.runnel.cluster.ControllerInfo;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.cluster.ReplicasOfflineRequest;
import dev.runnel.cluster.ReplicasOfflineResponse;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.cluster.ZkReads;

/**
 * The broker's calls to the active controller (found in ZooKeeper at {@link ZkPaths#CONTROLLER}):
 * AlterPartition, ControlledShutdown, AllocateProducerIds and the offline replicas of a failed log
 * directory. A standby that receives one forwards it.
 */
public final class ControllerClient {

    private final CuratorFramework zk;
    private final InternalHttpClient http;

    public ControllerClient(CuratorFramework zk, InternalHttpClient http) {
        this.zk = zk;
        this.http = http;
    }

    public AlterPartitionResponse alterPartition(AlterPartitionRequest request) throws IOException {
        return http.post(activeUrl(), InternalApi.ALTER_PARTITION, request, AlterPartitionResponse.class);
    }

    public AllocateProducerIdsResponse allocateProducerIds(AllocateProducerIdsRequest request) throws IOException {
        return http.post(activeUrl(), InternalApi.ALLOCATE_PRODUCER_IDS, request, AllocateProducerIdsResponse.class);
    }

    public ControlledShutdownResponse controlledShutdown(ControlledShutdownRequest request) throws IOException {
        return http.post(activeUrl(), InternalApi.CONTROLLED_SHUTDOWN, request, ControlledShutdownResponse.class);
    }

    /** Reports this broker's replicas on a failed log directory as offline. */
    public ReplicasOfflineResponse replicasOffline(ReplicasOfflineRequest request) throws IOException {
        return http.post(activeUrl(), InternalApi.REPLICAS_OFFLINE, request, ReplicasOfflineResponse.class);
    }

    /**
     * Sends {@code request} to the controller's admin API with the cluster secret, which it takes
     * from brokers, over the internal API's HTTP or HTTPS.
     */
    public CompletableFuture<HttpResponse<byte[]>> sendAuthenticated(HttpRequest.Builder request) {
        return http.sendAsync(http.authenticate(request).build());
    }

    private String activeUrl() throws IOException {
        return activeController().map(ControllerInfo::url)
                .orElseThrow(() -> new IOException("no controller has been active yet"));
    }

    /** The active controller as recorded in ZooKeeper. */
    public Optional<ControllerInfo> activeController() throws IOException {
        try {
            return ZkReads.activeController(zk);
        } catch (Exception e) {
            throw new IOException("cannot read the active controller from ZooKeeper", e);
        }
    }
}
