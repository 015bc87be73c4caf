package dev.runnel.broker.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.runnel.broker.transaction.TransactionCoordinator.InitProducerIdResult;
import dev.runnel.broker.transaction.TransactionCoordinator.ListTransactionsResult;
import dev.runnel.broker.transaction.TransactionCoordinator.TransactionDescription;
import dev.runnel.broker.transaction.TransactionCoordinator.TransactionListing;

@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class DescribeAndListTransactionsTest extends CoordinatorFixture {

    /** Ids on two partitions this broker coordinates. */
    final List<String> ids = new ArrayList<>();

    @BeforeEach
    void leadTwoPartitions() {
        start();
        coordinator.onElection(partition, EPOCH);
        String other = idOfAnotherPartition();
        coordinator.onElection(coordinator.partitionFor(other), EPOCH);
        ids.add(ID);
        ids.add(other);
    }

    InitProducerIdResult init(String id) {
        return coordinator.initProducerId(id, TIMEOUT_MS, -1, (short) -1).join();
    }

    @Test
    void describeReportsEachIdInRequestOrder() {
        InitProducerIdResult producer = ongoing();
        long started = clock.millis();
        String notHere = "not-here";
        while (manager.isActive(coordinator.partitionFor(notHere))) {
            notHere += "x";
        }

        List<TransactionDescription> described = coordinator.describeTransactions(List.of(ID, "unknown-tx", "", notHere)).join();

        assertThat(described.get(0)).isEqualTo(new TransactionDescription(ID, Errors.NONE, "Ongoing", TIMEOUT_MS, started,
                producer.producerId(), producer.producerEpoch(), Set.of(ORDERS_0)));
        assertThat(described.get(1).error()).isIn(Errors.TRANSACTIONAL_ID_NOT_FOUND, Errors.NOT_COORDINATOR);
        assertThat(described.get(2).error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(described.get(3).error()).isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(described).extracting(TransactionDescription::transactionalId).containsExactly(ID, "unknown-tx", "", notHere);
    }

    @Test
    void describeOfAnIdleIdHasNoStartTime() {
        init(ID);

        TransactionDescription d = coordinator.describeTransactions(List.of(ID)).join().get(0);

        assertThat(d.state()).isEqualTo("Empty");
        assertThat(d.startTimeMs()).isEqualTo(-1);
        assertThat(d.partitions()).isEmpty();
    }

    @Test
    void listCoversEveryHostedPartitionAndAppliesItsFilters() {
        InitProducerIdResult first = ongoing(); // ID: Ongoing, producer 1000
        clock.advance(Duration.ofSeconds(30));
        InitProducerIdResult second = init(ids.get(1)); // Empty, producer 1001

        assertThat(listed(Set.of(), Set.of(), -1)).containsExactlyInAnyOrder(
                new TransactionListing(ID, first.producerId(), "Ongoing"),
                new TransactionListing(ids.get(1), second.producerId(), "Empty"));
        assertThat(listed(Set.of("Ongoing"), Set.of(), -1)).extracting(TransactionListing::transactionalId).containsExactly(ID);
        assertThat(listed(Set.of(), Set.of(second.producerId()), -1)).extracting(TransactionListing::transactionalId)
                .containsExactly(ids.get(1));
        assertThat(listed(Set.of("Ongoing", "Empty"), Set.of(first.producerId()), -1)).hasSize(1);
        assertThat(listed(Set.of("Ongoing"), Set.of(), 29_000)).as("open for 30 s").hasSize(1);
        assertThat(listed(Set.of("Ongoing"), Set.of(), 30_000)).as("not longer than 30 s").isEmpty();
    }

    @Test
    void unknownStateNamesAreReturnedAndMatchNothing() {
        ongoing();

        ListTransactionsResult result = coordinator.listTransactions(Set.of("Stable", "ongoing"), Set.of(), -1).join();

        assertThat(result.error()).isEqualTo(Errors.NONE);
        assertThat(result.unknownStateFilters()).containsExactly("Stable", "ongoing");
        assertThat(result.transactions()).as("a state filter was given, none of it known").isEmpty();
    }

    @Test
    void listAndDescribeNeedAStartedCoordinator() {
        coordinator.shutdown();

        assertThat(coordinator.listTransactions(Set.of(), Set.of(), -1).join().error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(coordinator.describeTransactions(List.of(ID)).join().get(0).error())
                .isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
    }

    List<TransactionListing> listed(Set<String> states, Set<Long> producerIds, long durationMs) {
        ListTransactionsResult result = coordinator.listTransactions(states, producerIds, durationMs).join();
        assertThat(result.error()).isEqualTo(Errors.NONE);
        assertThat(result.unknownStateFilters()).isEmpty();
        return result.transactions();
    }
}
