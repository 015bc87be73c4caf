package dev.runnel.broker.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.transaction.TransactionCoordinator.InitProducerIdResult;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * A coordinator over an in-memory {@code __transaction_state} and marker sender, with a fake clock
 * and scheduler and direct executors: every call completes before it returns unless the test
 * holds the log, the markers or a load.
 */
abstract class CoordinatorFixture {

    static final String ID = "payments-tx";
    static final int PARTITIONS = 50;
    static final int EPOCH = 7;
    static final int TIMEOUT_MS = 60_000;
    static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);
    static final Executor DIRECT = Runnable::run;

    final ManualClock clock = new ManualClock(1_000_000);
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final FakeTransactionLog log = new FakeTransactionLog();
    final FakeMarkerSender markers = new FakeMarkerSender();
    final AtomicLong producerIds = new AtomicLong(1000);
    /** Loads waiting for the test when {@link #holdLoads} is set. */
    final List<Runnable> loads = new ArrayList<>();
    boolean holdLoads;
    TransactionStateManager manager;
    TransactionCoordinator coordinator;
    int partition;

    void start() {
        Executor loader = task -> {
            if (holdLoads) {
                loads.add(task);
            } else {
                task.run();
            }
        };
        manager = new TransactionStateManager(log, clock, DIRECT, loader, () -> PARTITIONS);
        coordinator = new TransactionCoordinator(manager, markers, clock, scheduler, TransactionSettings.DEFAULTS,
                producerIds::getAndIncrement, group -> new TopicPartition("__consumer_offsets", Math.abs(group.hashCode()) % 50));
        coordinator.startup();
        partition = coordinator.partitionFor(ID);
    }

    void runLoads() {
        List<Runnable> waiting = List.copyOf(loads);
        loads.clear();
        waiting.forEach(Runnable::run);
    }

    /** An id that belongs to another partition than {@link #ID}. */
    String idOfAnotherPartition() {
        for (int i = 0; ; i++) {
            if (coordinator.partitionFor("other-" + i) != partition) {
                return "other-" + i;
            }
        }
    }

    InitProducerIdResult init() {
        return coordinator.initProducerId(ID, TIMEOUT_MS, -1, (short) -1).join();
    }

    InitProducerIdResult init(long expectedProducerId, int expectedEpoch) {
        return coordinator.initProducerId(ID, TIMEOUT_MS, expectedProducerId, (short) expectedEpoch).join();
    }

    Errors add(InitProducerIdResult producer, TopicPartition... partitions) {
        Map<TopicPartition, Errors> errors = coordinator.addPartitionsToTxn(ID, producer.producerId(),
                producer.producerEpoch(), Set.of(partitions)).join();
        assertThat(errors.keySet()).containsExactlyInAnyOrder(partitions);
        assertThat(Set.copyOf(errors.values())).as("one error for every partition").hasSize(1);
        return errors.values().iterator().next();
    }

    Errors end(InitProducerIdResult producer, TransactionResult result) {
        return coordinator.endTxn(ID, producer.producerId(), producer.producerEpoch(), result).join();
    }

    /** A producer with an open transaction on orders-0. */
    InitProducerIdResult ongoing() {
        InitProducerIdResult producer = init();
        assertThat(producer.error()).isEqualTo(Errors.NONE);
        assertThat(add(producer, ORDERS_0)).isEqualTo(Errors.NONE);
        return producer;
    }

    TransactionMetadata metadata() {
        return manager.hostedFor(ID).ids.get(ID);
    }

    TransactionTransition lastWritten() {
        TransactionLogCodec.Decoded last = log.last(partition);
        assertThat(last.transactionalId()).isEqualTo(ID);
        return last.value();
    }

    List<TransactionState> writtenStates() {
        return log.records(partition).stream().filter(d -> d.transactionalId().equals(ID))
                .map(d -> d.value() == null ? null : d.value().state()).toList();
    }

    static InitProducerIdResult producer(long producerId, int epoch) {
        return new InitProducerIdResult(producerId, (short) epoch, Errors.NONE);
    }

    void advance(Duration duration) {
        scheduler.advance(duration);
    }
}
