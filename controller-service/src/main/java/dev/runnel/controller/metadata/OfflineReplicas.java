package dev.runnel.controller.metadata;

import java.util.ArrayList;
import java.util.List;

import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.ReplicasOfflineRequest;
import dev.runnel.cluster.ReplicasOfflineResponse;
import dev.runnel.cluster.TopicConfigs;

/**
 * The controller's answer to a broker whose log directory failed (Kafka's log dir event, which
 * moves the broker's replicas there to OfflineReplica): for each partition named, the broker's
 * replica is treated as gone, as if that broker had died for this partition alone. It leaves the
 * ISR, and if it led, the first usable in-sync replica of the others leads at a new leader epoch
 * (none: the partition is offline and keeps its last ISR, as {@link LeaderElection#reconcile}
 * does). The broker's other partitions are untouched. Nothing is remembered beyond the new states:
 * the broker refuses to host these partitions until it restarts, so it cannot rejoin their ISR.
 */
final class OfflineReplicas {

    private OfflineReplicas() {
    }

    static Decision decide(ClusterModel model, ReplicasOfflineRequest request) {
        if (request.partitions() == null) {
            return new Decision(List.of(), List.of(), new ReplicasOfflineResponse(ClusterError.INVALID_REQUEST));
        }
        var broker = model.broker(request.brokerId());
        if (broker == null || broker.epoch() != request.brokerEpoch()) {
            return new Decision(List.of(), List.of(), new ReplicasOfflineResponse(ClusterError.STALE_BROKER_EPOCH));
        }
        int failed = request.brokerId();
        CommandPlan plan = new CommandPlan(model);
        List<ZkWrite> writes = new ArrayList<>();
        for (PartitionRef tp : request.partitions()) {
            if (tp == null || !model.hasTopic(tp.topic()) || tp.partition() < 0
                    || tp.partition() >= model.topic(tp.topic()).partitionCount()
                    || !model.replicas(tp).contains(failed)) {
                continue; // deleted or moved meanwhile: nothing of it is on that broker any more
            }
            PartitionState before = model.state(tp);
            boolean unclean = TopicConfigs.uncleanLeaderElection(model.topic(tp.topic()).configs());
            PartitionState after = LeaderElection.reconcile(model.replicas(tp), before,
                    id -> id == failed || !model.isLive(id), id -> id != failed && model.isUsable(id), unclean);
            if (after != before) {
                model.setState(tp, after);
                writes.add(new ZkWrite.SetPartitionState(tp.topic(), tp.partition(), after));
                plan.partitionChanged(tp);
            }
        }
        return new Decision(writes, plan.commands(), new ReplicasOfflineResponse(ClusterError.NONE));
    }
}
