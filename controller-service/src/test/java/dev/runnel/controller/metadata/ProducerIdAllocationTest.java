package dev.runnel.controller.metadata;

import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.runnel.cluster.AllocateProducerIdsRequest;
import dev.runnel.cluster.AllocateProducerIdsResponse;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.ProducerIdBlock;

class ProducerIdAllocationTest {

    @Test
    void blocksFollowEachOtherFromZeroAndEachIsWrittenBeforeItIsHandedOut() {
        ControllerStateMachine machine = cluster().brokers(1, 2).machine();

        Decision first = machine.handle(allocate(1, ClusterFixture.broker(1).epoch()));
        Decision second = machine.handle(allocate(2, ClusterFixture.broker(2).epoch()));

        assertThat(((AllocateProducerIdsResponse) first.reply()).block()).isEqualTo(new ProducerIdBlock(1, 0, 1000));
        assertThat(((AllocateProducerIdsResponse) second.reply()).block()).isEqualTo(new ProducerIdBlock(2, 1000, 1000));
        assertThat(first.writes()).containsExactly(new ZkWrite.SetProducerIdBlock(new ProducerIdBlock(1, 0, 1000), true));
        assertThat(second.writes()).containsExactly(
                new ZkWrite.SetProducerIdBlock(new ProducerIdBlock(2, 1000, 1000), false));
    }

    @Test
    void aNewControllerContinuesAfterTheLastBlockInZooKeeper() {
        ControllerStateMachine machine = new ControllerStateMachine(1, 2, new LoadedMetadata(
                List.of(ClusterFixture.broker(1)), Map.of(), Map.of(), new ProducerIdBlock(3, 5000, 1000)),
                new java.util.Random(1));

        Decision decision = machine.handle(allocate(1, ClusterFixture.broker(1).epoch()));

        assertThat(((AllocateProducerIdsResponse) decision.reply()).block().first()).isEqualTo(6000);
    }

    @Test
    void aBrokerWithAStaleEpochGetsNoBlock() {
        ControllerStateMachine machine = cluster().brokers(1).machine();

        Decision decision = machine.handle(allocate(1, ClusterFixture.broker(1).epoch() + 1));

        assertThat(((AllocateProducerIdsResponse) decision.reply()).error()).isEqualTo(ClusterError.STALE_BROKER_EPOCH);
        assertThat(decision.writes()).isEmpty();
        assertThat(((AllocateProducerIdsResponse) machine.handle(allocate(1, ClusterFixture.broker(1).epoch())).reply())
                .block().first()).isZero();
    }

    private static ControllerEvent allocate(int brokerId, long epoch) {
        return new ControllerEvent.AllocateProducerIds(new AllocateProducerIdsRequest(brokerId, epoch));
    }
}
