package dev.runnel.controller.metadata;

import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrPartitions;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static dev.runnel.controller.metadata.ClusterFixture.tp;
import static dev.runnel.controller.metadata.ClusterFixture.updateMetadataFor;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.TopicInfo;

/**
 * A controller with tens of thousands of partitions: what it builds once per event or per broker is
 * shared, not rebuilt from every partition each time.
 */
class LargeClusterTest {

    private static final int BROKERS = 10;
    private static final int TOPICS = 200;
    private static final int PARTITIONS = 100;

    /** 20,000 partitions of three replicas each over ten brokers. */
    private static ClusterFixture largeCluster() {
        ClusterFixture fixture = cluster();
        for (int b = 1; b <= BROKERS; b++) {
            fixture.brokers(b);
        }
        for (int t = 0; t < TOPICS; t++) {
            for (int p = 0; p < PARTITIONS; p++) {
                List<Integer> replicas = List.of(1 + (t + p) % BROKERS, 1 + (t + p + 1) % BROKERS,
                        1 + (t + p + 2) % BROKERS);
                fixture.partition("topic-" + t, replicas, state(replicas.get(0), 0, replicas, 0));
            }
        }
        return fixture;
    }

    @Test
    void activationSendsEveryBrokerItsPartitionsAndOneSharedFullView() {
        ControllerStateMachine machine = largeCluster().machine();

        Decision activation = machine.activate();

        Map<Integer, Set<PartitionRef>> expected = new HashMap<>();
        for (int t = 0; t < TOPICS; t++) {
            for (int p = 0; p < PARTITIONS; p++) {
                for (int r = 0; r < 3; r++) {
                    expected.computeIfAbsent(1 + (t + p + r) % BROKERS, b -> new HashSet<>()).add(tp("topic-" + t, p));
                }
            }
        }
        Map<Integer, Set<PartitionRef>> sent = leaderAndIsrPartitions(activation);
        assertThat(sent).containsOnlyKeys(expected.keySet());
        expected.forEach((broker, partitions) -> assertThat(Set.copyOf(sent.get(broker))).isEqualTo(partitions));
        List<TopicInfo> full = updateMetadataFor(activation, 1).topics();
        assertThat(full).hasSize(TOPICS);
        for (int b = 2; b <= BROKERS; b++) {
            List<TopicInfo> other = updateMetadataFor(activation, b).topics();
            for (int t = 0; t < TOPICS; t++) {
                assertThat(other.get(t) == full.get(t)).as("broker %d's full view shares topic %d", b, t).isTrue();
            }
        }
    }

    @Test
    void theViewAfterAnEventRebuildsOnlyTheTopicsItChanged() {
        ControllerStateMachine machine = largeCluster().machine();
        machine.activate();
        ClusterView before = machine.view();
        TopicInfo changed = before.topic("topic-7").orElseThrow();
        List<Integer> isr = changed.partitions().get(0).state().isr();
        int leader = isr.get(0);

        machine.handle(new ControllerEvent.AlterPartition(new AlterPartitionRequest(leader, 1000L + leader,
                List.of(new AlterPartitionRequest.Change("topic-7", 0, 0, 0, List.of(leader))))));

        ClusterView after = machine.view();
        assertThat(after.state("topic-7", 0).orElseThrow().isr()).containsExactly(leader);
        assertThat(after.topic("topic-7").orElseThrow()).isNotEqualTo(changed);
        for (int t = 0; t < TOPICS; t++) {
            if (t != 7) {
                assertThat(after.topic("topic-" + t).orElseThrow() == before.topic("topic-" + t).orElseThrow())
                        .as("topic-%d is the same instance", t).isTrue();
            }
        }
    }
}
