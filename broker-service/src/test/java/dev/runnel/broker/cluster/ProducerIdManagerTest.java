package dev.runnel.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.runnel.cluster.AllocateProducerIdsRequest;
import dev.runnel.cluster.AllocateProducerIdsResponse;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.ProducerIdBlock;

class ProducerIdManagerTest {

    private final List<AllocateProducerIdsRequest> asked = new ArrayList<>();
    private long nextBlock = 4000;

    @Test
    void idsComeFromOneBlockUntilItIsUsedUpThenFromTheNext() throws Exception {
        ProducerIdManager manager = new ProducerIdManager(7, () -> 42, this::allocate);

        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < ProducerIdBlock.SIZE + 2; i++) {
            ids.add(manager.nextProducerId());
        }

        assertThat(ids.get(0)).isEqualTo(4000);
        assertThat(ids.get(ProducerIdBlock.SIZE - 1)).isEqualTo(4999);
        assertThat(ids.get(ProducerIdBlock.SIZE)).isEqualTo(5000);
        assertThat(new HashSet<>(ids)).hasSize(ids.size());
        assertThat(asked).containsExactly(new AllocateProducerIdsRequest(7, 42), new AllocateProducerIdsRequest(7, 42));
    }

    @Test
    void aRefusalOrAnUnreachableControllerIsUnavailableAndTheNextCallTriesAgain() throws Exception {
        ProducerIdManager refused = new ProducerIdManager(7, () -> 42,
                request -> new AllocateProducerIdsResponse(ClusterError.STALE_BROKER_EPOCH, null));
        assertThatThrownBy(refused::nextProducerId).isInstanceOf(ProducerIdManager.UnavailableException.class)
                .hasMessageContaining("STALE_BROKER_EPOCH");

        boolean[] down = {true};
        ProducerIdManager flaky = new ProducerIdManager(7, () -> 42, request -> {
            if (down[0]) {
                throw new IOException("connection refused");
            }
            return allocate(request);
        });
        assertThatThrownBy(flaky::nextProducerId).isInstanceOf(ProducerIdManager.UnavailableException.class);
        down[0] = false;
        assertThat(flaky.nextProducerId()).isEqualTo(4000);
    }

    private AllocateProducerIdsResponse allocate(AllocateProducerIdsRequest request) {
        asked.add(request);
        ProducerIdBlock block = new ProducerIdBlock(request.brokerId(), nextBlock, ProducerIdBlock.SIZE);
        nextBlock = block.next();
        return new AllocateProducerIdsResponse(ClusterError.NONE, block);
    }
}
