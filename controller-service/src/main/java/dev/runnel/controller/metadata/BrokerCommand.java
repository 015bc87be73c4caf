package dev.runnel.controller.metadata;

import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.StopReplicaRequest;
import dev.runnel.cluster.UpdateMetadataRequest;

/** A command for one broker, sent after the decision's writes are committed. */
public sealed interface BrokerCommand {

    int brokerId();

    record LeaderAndIsr(int brokerId, LeaderAndIsrRequest request) implements BrokerCommand {
    }

    record UpdateMetadata(int brokerId, UpdateMetadataRequest request) implements BrokerCommand {
    }

    record StopReplica(int brokerId, StopReplicaRequest request) implements BrokerCommand {
    }
}
