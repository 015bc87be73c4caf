package dev.runnel.controller.metadata;

import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.runnel.cluster.TopicInfo;

/** Replica lists an operator gives (Kafka's {@code --replica-assignment}), for new topics and new partitions. */
class ManualAssignmentTest {

    private static ControllerEvent.CreateTopic assigned(String name, List<List<Integer>> assignments) {
        return new ControllerEvent.CreateTopic(name, -1, -1, Map.of(), false, assignments);
    }

    @Test
    void aTopicTakesTheGivenReplicasWithTheFirstOfEachAsLeader() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3).machine(7);

        TopicInfo topic = (TopicInfo) machine.handle(assigned("placed", List.of(List.of(3, 1), List.of(2, 3),
                List.of(1, 2)))).reply();

        assertThat(topic.partitions()).extracting(p -> p.replicas())
                .containsExactly(List.of(3, 1), List.of(2, 3), List.of(1, 2));
        assertThat(topic.partitions()).extracting(p -> p.state().leader()).containsExactly(3, 2, 1);
        assertThat(topic.partitions()).extracting(p -> p.state().isr())
                .containsExactly(List.of(3, 1), List.of(2, 3), List.of(1, 2));
    }

    @Test
    void newPartitionsTakeTheGivenReplicas() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3).machine(7);
        machine.handle(new ControllerEvent.CreateTopic("growing", 2, 2, Map.of()));

        TopicInfo grown = (TopicInfo) machine.handle(new ControllerEvent.CreatePartitions("growing", 4,
                List.of(List.of(3, 2), List.of(1, 3)))).reply();

        assertThat(grown.partitions()).hasSize(4);
        assertThat(grown.partitions().get(2).replicas()).containsExactly(3, 2);
        assertThat(grown.partitions().get(3).replicas()).containsExactly(1, 3);
    }

    @Test
    void badAssignmentsAreRefusedAndChangeNothing() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3).machine(7);
        machine.handle(new ControllerEvent.CreateTopic("growing", 2, 2, Map.of()));

        assertRefused(machine, assigned("t1", List.of(List.of(1, 2), List.of(3))), "every partition needs 2");
        assertRefused(machine, assigned("t2", List.of(List.of(1, 1))), "names a broker twice");
        assertRefused(machine, assigned("t3", List.of(List.of(1, 9))), "broker 9, which is not registered");
        assertRefused(machine, assigned("t4", List.of(List.of())), "lists no replicas");
        assertRefused(machine, new ControllerEvent.CreatePartitions("growing", 4, List.of(List.of(1, 2))),
                "needs 2 assignments, not 1");
        assertRefused(machine, new ControllerEvent.CreatePartitions("growing", 3, List.of(List.of(1, 2, 3))),
                "every partition needs 2");
        assertThat(machine.view().topic("t1")).isEmpty();
        assertThat(machine.view().topic("growing").orElseThrow().partitions()).hasSize(2);
    }

    private static void assertRefused(ControllerStateMachine machine, ControllerEvent event, String message) {
        assertThatThrownBy(() -> machine.handle(event)).isInstanceOfSatisfying(AdminException.class,
                e -> assertThat(e.reason()).isEqualTo(AdminException.Reason.INVALID_REPLICA_ASSIGNMENT))
                .hasMessageContaining(message);
    }
}
