package dev.runnel.broker.cluster;

import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.StopReplicaRequest;
import dev.runnel.cluster.UpdateMetadataRequest;

/** The controller's commands to this broker, over the internal API (cluster secret required). */
@RestController
class ControllerCommandsController {

    private final ReplicaManager replicas;

    ControllerCommandsController(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @PostMapping(InternalApi.LEADER_AND_ISR)
    CommandResponse leaderAndIsr(@RequestBody LeaderAndIsrRequest request) {
        return replicas.leaderAndIsr(request);
    }

    @PostMapping(InternalApi.UPDATE_METADATA)
    CommandResponse updateMetadata(@RequestBody UpdateMetadataRequest request) {
        return replicas.updateMetadata(request);
    }

    @PostMapping(InternalApi.STOP_REPLICA)
    CommandResponse stopReplica(@RequestBody StopReplicaRequest request) {
        return replicas.stopReplica(request);
    }
}
