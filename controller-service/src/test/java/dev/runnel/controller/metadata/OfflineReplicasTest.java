package dev.runnel.controller.metadata;

import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrPartitions;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static dev.runnel.controller.metadata.ClusterFixture.stateOf;
import static dev.runnel.controller.metadata.ClusterFixture.tp;
import static dev.runnel.controller.metadata.ClusterFixture.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.ReplicasOfflineRequest;
import dev.runnel.cluster.ReplicasOfflineResponse;

/** A broker's log directory failed: its replicas there go offline, its other partitions stay as they are. */
class OfflineReplicasTest {

    /**
     * Brokers 1-3. Broker 1 leads t-0 and t-1 and follows t-2; t-0 and t-2 were on its failed
     * directory, t-1 on a healthy one. t-3 has broker 1 as its only in-sync replica.
     */
    private static ControllerStateMachine cluster3() {
        return cluster().brokers(1, 2, 3)
                .partition("t", List.of(1, 2, 3), state(1, 4, List.of(1, 2, 3), 6))
                .partition("t", List.of(1, 3), state(1, 2, List.of(1, 3), 3))
                .partition("t", List.of(2, 1), state(2, 1, List.of(2, 1), 2))
                .partition("t", List.of(1, 2), state(1, 0, List.of(1), 5))
                .machine();
    }

    private static Decision offline(ControllerStateMachine machine, int brokerId, long epoch, PartitionRef... partitions) {
        return machine.handle(new ControllerEvent.ReplicasOffline(new ReplicasOfflineRequest(brokerId, epoch,
                List.of(partitions))));
    }

    private static long epochOf(ControllerStateMachine machine, int brokerId) {
        return machine.view().brokers().get(brokerId).epoch();
    }

    @Test
    void theReplicasLeaveTheIsrAndTheirLeadershipMovesToAnotherInSyncReplica() {
        ControllerStateMachine machine = cluster3();

        Decision decision = offline(machine, 1, epochOf(machine, 1), tp("t", 0), tp("t", 2));

        assertThat(((ReplicasOfflineResponse) decision.reply()).error()).isEqualTo(ClusterError.NONE);
        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(2, 5, List.of(2, 3), 7));
        assertThat(stateOf(machine, "t", 2)).isEqualTo(state(2, 1, List.of(2), 3));
        // The healthy directory's partition is untouched.
        assertThat(stateOf(machine, "t", 1)).isEqualTo(state(1, 2, List.of(1, 3), 3));
        assertThat(decision.writes()).containsExactlyInAnyOrder(write("t", 0, state(2, 5, List.of(2, 3), 7)),
                write("t", 2, state(2, 1, List.of(2), 3)));
        assertThat(leaderAndIsrPartitions(decision).get(2)).contains(tp("t", 0), tp("t", 2));
    }

    @Test
    void aPartitionWithNoOtherInSyncReplicaGoesOffline() {
        ControllerStateMachine machine = cluster3();

        offline(machine, 1, epochOf(machine, 1), tp("t", 3));

        assertThat(stateOf(machine, "t", 3).leader()).isEqualTo(-1);
    }

    @Test
    void aStaleBrokerEpochOrAnUnknownPartitionChangesNothing() {
        ControllerStateMachine machine = cluster3();

        Decision stale = offline(machine, 1, epochOf(machine, 1) - 1, tp("t", 0));
        Decision unknown = offline(machine, 1, epochOf(machine, 1), tp("nope", 0), tp("t", 9));
        Decision notAReplica = offline(machine, 3, epochOf(machine, 3), tp("t", 2));

        assertThat(((ReplicasOfflineResponse) stale.reply()).error()).isEqualTo(ClusterError.STALE_BROKER_EPOCH);
        assertThat(((ReplicasOfflineResponse) unknown.reply()).error()).isEqualTo(ClusterError.NONE);
        assertThat(stale.writes()).isEmpty();
        assertThat(unknown.writes()).isEmpty();
        assertThat(notAReplica.writes()).isEmpty();
        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(1, 4, List.of(1, 2, 3), 6));
    }
}
