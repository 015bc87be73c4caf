package dev.runnel.broker.cluster;

import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.StopReplicaRequest;
import dev.runnel.cluster.UpdateMetadataRequest;

/**
 * The controller's commands to this broker, over the internal API (cluster secret required). Each is
 * handed to {@link ControllerCommands}, which applies them in order on its own thread.
 */
@RestController
class ControllerCommandsController {

    private final ControllerCommands commands;

    ControllerCommandsController(ControllerCommands commands) {
        this.commands = commands;
    }

    @PostMapping(InternalApi.LEADER_AND_ISR)
    CommandResponse leaderAndIsr(@RequestBody LeaderAndIsrRequest request,
            @RequestHeader(name = InternalApi.COMMAND_ID_HEADER, defaultValue = "-1") long commandId) {
        return commands.leaderAndIsr(request, commandId);
    }

    @PostMapping(InternalApi.UPDATE_METADATA)
    CommandResponse updateMetadata(@RequestBody UpdateMetadataRequest request,
            @RequestHeader(name = InternalApi.COMMAND_ID_HEADER, defaultValue = "-1") long commandId) {
        return commands.updateMetadata(request, commandId);
    }

    @PostMapping(InternalApi.STOP_REPLICA)
    CommandResponse stopReplica(@RequestBody StopReplicaRequest request,
            @RequestHeader(name = InternalApi.COMMAND_ID_HEADER, defaultValue = "-1") long commandId) {
        return commands.stopReplica(request, commandId);
    }

    @PostMapping(InternalApi.COMMAND_STATUS)
    CommandResponse status() {
        return commands.status();
    }
}
