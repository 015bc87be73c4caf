package dev.runnel.controller.api;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.cluster.AllocateProducerIdsRequest;
import dev.runnel.cluster.AllocateProducerIdsResponse;
import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.AlterPartitionResponse;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.ControlledShutdownRequest;
import dev.runnel.cluster.ControlledShutdownResponse;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.ReplicasOfflineRequest;
import dev.runnel.cluster.ReplicasOfflineResponse;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.controller.metadata.ControllerEvent;

/**
 * Broker-to-controller calls: AlterPartition, ControlledShutdown, AllocateProducerIds and the
 * offline replicas of a failed log directory. Protected by the cluster
 * secret; standbys forward them like admin calls. Errors travel as {@link ClusterError} codes.
 */
@RestController
class InternalApiController {

    private final ActiveController controller;

    InternalApiController(ActiveController controller) {
        this.controller = controller;
    }

    @PostMapping(InternalApi.ALTER_PARTITION)
    AlterPartitionResponse alterPartition(@RequestBody AlterPartitionRequest request) {
        Object reply = decide(new ControllerEvent.AlterPartition(request));
        return reply == null ? new AlterPartitionResponse(ClusterError.NOT_CONTROLLER, List.of())
                : (AlterPartitionResponse) reply;
    }

    @PostMapping(InternalApi.CONTROLLED_SHUTDOWN)
    ControlledShutdownResponse controlledShutdown(@RequestBody ControlledShutdownRequest request) {
        Object reply = decide(new ControllerEvent.ControlledShutdown(request));
        return reply == null ? new ControlledShutdownResponse(ClusterError.NOT_CONTROLLER, List.of())
                : (ControlledShutdownResponse) reply;
    }

    @PostMapping(InternalApi.ALLOCATE_PRODUCER_IDS)
    AllocateProducerIdsResponse allocateProducerIds(@RequestBody AllocateProducerIdsRequest request) {
        Object reply = decide(new ControllerEvent.AllocateProducerIds(request));
        return reply == null ? new AllocateProducerIdsResponse(ClusterError.NOT_CONTROLLER, null)
                : (AllocateProducerIdsResponse) reply;
    }

    @PostMapping(InternalApi.REPLICAS_OFFLINE)
    ReplicasOfflineResponse replicasOffline(@RequestBody ReplicasOfflineRequest request) {
        Object reply = decide(new ControllerEvent.ReplicasOffline(request));
        return reply == null ? new ReplicasOfflineResponse(ClusterError.NOT_CONTROLLER) : (ReplicasOfflineResponse) reply;
    }

    private Object decide(ControllerEvent event) {
        try {
            return controller.submit(event).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
