package dev.runnel.broker.transaction;

import static dev.runnel.broker.transaction.TransactionState.COMPLETE_ABORT;
import static dev.runnel.broker.transaction.TransactionState.EMPTY;
import static dev.runnel.broker.transaction.TransactionState.ONGOING;
import static dev.runnel.broker.transaction.TransactionState.PREPARE_ABORT;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.runnel.broker.transaction.TransactionCoordinator.InitProducerIdResult;

/** The coordinator's timers: aborting transactions open past their timeout, and expiring idle ids. */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TransactionTimeoutsTest extends CoordinatorFixture {

    static final Duration CHECK = TransactionSettings.DEFAULTS.abortTimedOutTransactionsInterval();
    static final Duration EXPIRATION = TransactionSettings.DEFAULTS.transactionalIdExpiration();

    @BeforeEach
    void leadTheIdsPartition() {
        start();
        coordinator.onElection(partition, EPOCH);
    }

    @Test
    void aTransactionOpenPastItsTimeoutIsAbortedAndItsProducerFenced() {
        InitProducerIdResult producer = ongoing();

        advance(Duration.ofMillis(TIMEOUT_MS).minus(CHECK));
        assertThat(metadata().state()).as("not yet timed out").isEqualTo(ONGOING);
        advance(CHECK.multipliedBy(2));

        assertThat(writtenStates()).containsExactly(EMPTY, ONGOING, PREPARE_ABORT, COMPLETE_ABORT);
        assertThat(metadata().producerEpoch()).isEqualTo((short) 1);
        assertThat(markers.last()).isEqualTo(new TransactionMarkerSender.Markers(partition, ID, 1000, (short) 1, EPOCH,
                TransactionResult.ABORT, Set.of(ORDERS_0)));
        assertThat(end(producer, TransactionResult.COMMIT)).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(add(producer, ORDERS_0)).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(init(1000, 0).error()).as("the zombie cannot pass for a retry").isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(init()).as("a new instance").isEqualTo(producer(1000, 2));
    }

    @Test
    void theTimeoutCountsFromTheFirstPartitionNotTheLast() {
        InitProducerIdResult producer = ongoing();
        advance(Duration.ofMillis(TIMEOUT_MS / 2));
        assertThat(add(producer, ORDERS_1)).isEqualTo(Errors.NONE);

        advance(Duration.ofMillis(TIMEOUT_MS / 2).plus(CHECK));

        assertThat(metadata().state()).isEqualTo(COMPLETE_ABORT);
    }

    @Test
    void aTransactionWithAPendingTransitionIsLeftAlone() {
        InitProducerIdResult producer = ongoing();
        log.hold = true;
        coordinator.addPartitionsToTxn(ID, producer.producerId(), producer.producerEpoch(), Set.of(ORDERS_1));

        advance(Duration.ofMillis(TIMEOUT_MS).plus(CHECK));

        assertThat(metadata().pendingState()).isEqualTo(ONGOING);
        log.hold = false;
        log.release();
        advance(CHECK);
        assertThat(metadata().state()).isEqualTo(COMPLETE_ABORT);
    }

    @Test
    void aLoadedTransactionKeepsItsStartTimeSoItsTimeoutStillFires() {
        ongoing();
        advance(Duration.ofMillis(TIMEOUT_MS - 1_000));
        coordinator.onResignation(partition, EPOCH);
        coordinator.onElection(partition, EPOCH + 1);

        advance(CHECK.multipliedBy(2)); // at 60 s it is not yet past its timeout, at 70 s it is

        assertThat(metadata().state()).isEqualTo(COMPLETE_ABORT);
        assertThat(markers.last().coordinatorEpoch()).isEqualTo(EPOCH + 1);
    }

    @Test
    void anIdIdleForTheExpirationTimeIsTombstonedAndForgotten() {
        init();

        advance(EXPIRATION.minus(Duration.ofHours(1)));
        assertThat(metadata()).as("not idle long enough").isNotNull();
        advance(Duration.ofHours(1));

        assertThat(metadata()).isNull();
        assertThat(log.last(partition)).isEqualTo(new TransactionLogCodec.Decoded(ID, null));
        assertThat(coordinator.describeTransactions(List.of(ID)).join().get(0).error())
                .isEqualTo(Errors.TRANSACTIONAL_ID_NOT_FOUND);
        assertThat(init()).as("a new life with a new producer id").isEqualTo(producer(1001, 0));
        coordinator.onResignation(partition, EPOCH);
        coordinator.onElection(partition, EPOCH + 1);
        assertThat(metadata().producerId()).as("the tombstone hid the old record on load").isEqualTo(1001);
    }

    @Test
    void openTransactionsAndRecentlyUsedIdsDoNotExpire() {
        ongoing();
        String recent = anotherIdOfThisPartition();
        clock.advance(EXPIRATION.plusHours(1)); // the clock alone: no timer runs
        assertThat(coordinator.initProducerId(recent, TIMEOUT_MS, -1, (short) -1).join().error()).isEqualTo(Errors.NONE);
        TransactionExpiry expiry = new TransactionExpiry(manager,
                new EndTransactions(manager, markers, clock, scheduler, Duration.ZERO), clock, EXPIRATION);

        expiry.expireTransactionalIds();

        assertThat(log.records(partition).stream().filter(d -> d.value() == null)).isEmpty();
        assertThat(metadata().state()).isEqualTo(ONGOING);
        assertThat(manager.hostedFor(recent).ids).containsKey(recent);
    }

    String anotherIdOfThisPartition() {
        for (int i = 0; ; i++) {
            if (!(ID + i).equals(ID) && coordinator.partitionFor(ID + i) == partition) {
                return ID + i;
            }
        }
    }

    @Test
    void aFailedTombstoneWriteKeepsTheId() {
        init();
        log.failWith = Errors.NOT_ENOUGH_REPLICAS;

        advance(EXPIRATION.plusHours(1));

        assertThat(metadata()).isNotNull();
        assertThat(metadata().hasPendingTransition()).isFalse();
        log.failWith = null;
        advance(TransactionSettings.DEFAULTS.removeExpiredTransactionalIdsInterval());
        assertThat(metadata()).isNull();
    }

    @Test
    void theTimersStopAtShutdown() {
        assertThat(scheduler.pendingTaskNames()).containsExactlyInAnyOrder("transaction-abort", "transactional-id-expiration");
        coordinator.shutdown();
        assertThat(scheduler.pendingTaskNames()).isEmpty();
        assertThat(coordinator.describeTransactions(List.of(ID)).join().get(0).error())
                .isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
    }
}
