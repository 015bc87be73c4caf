package dev.runnel.broker.transaction;

import static dev.runnel.broker.transaction.TransactionState.COMPLETE_ABORT;
import static dev.runnel.broker.transaction.TransactionState.COMPLETE_COMMIT;
import static dev.runnel.broker.transaction.TransactionState.DEAD;
import static dev.runnel.broker.transaction.TransactionState.EMPTY;
import static dev.runnel.broker.transaction.TransactionState.ONGOING;
import static dev.runnel.broker.transaction.TransactionState.PREPARE_ABORT;
import static dev.runnel.broker.transaction.TransactionState.PREPARE_COMMIT;
import static dev.runnel.broker.transaction.TransactionState.PREPARE_EPOCH_FENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

class TransactionStateTest {

    @Test
    void idsAndNamesAreKafkas() {
        assertThat(TransactionState.values()).extracting(TransactionState::id)
                .containsExactly((byte) 0, (byte) 1, (byte) 2, (byte) 3, (byte) 4, (byte) 5, (byte) 6, (byte) 7);
        assertThat(TransactionState.values()).extracting(TransactionState::stateName).containsExactly("Empty", "Ongoing",
                "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence");
        for (TransactionState state : TransactionState.values()) {
            assertThat(TransactionState.fromId(state.id())).isSameAs(state);
            assertThat(TransactionState.fromName(state.stateName())).isSameAs(state);
        }
        assertThat(TransactionState.fromName("ongoing")).as("names are matched exactly, as Kafka does").isNull();
        assertThat(TransactionState.fromName("Stable")).isNull();
        assertThatThrownBy(() -> TransactionState.fromId((byte) 8)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyStateFollowsExactlyTheStatesOfKafkasTableAtTransactionVersionOne() {
        Map<TransactionState, Set<TransactionState>> legal = Map.of(
                EMPTY, EnumSet.of(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT),
                ONGOING, EnumSet.of(EMPTY, ONGOING, COMPLETE_COMMIT, COMPLETE_ABORT),
                PREPARE_COMMIT, EnumSet.of(ONGOING),
                PREPARE_ABORT, EnumSet.of(ONGOING, PREPARE_EPOCH_FENCE),
                COMPLETE_COMMIT, EnumSet.of(PREPARE_COMMIT),
                COMPLETE_ABORT, EnumSet.of(PREPARE_ABORT),
                DEAD, EnumSet.of(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT),
                PREPARE_EPOCH_FENCE, EnumSet.of(ONGOING));
        for (TransactionState to : TransactionState.values()) {
            assertThat(to.validPreviousStates()).as("before %s", to).isEqualTo(legal.get(to));
            for (TransactionState from : TransactionState.values()) {
                assertThat(to.canFollow(from)).as("%s -> %s", from, to).isEqualTo(legal.get(to).contains(from));
            }
        }
    }

    @Test
    void onlyIdleStatesExpire() {
        assertThat(EnumSet.allOf(TransactionState.class).stream().filter(TransactionState::isExpirationAllowed))
                .containsExactlyInAnyOrder(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
        assertThat(EnumSet.allOf(TransactionState.class).stream().filter(TransactionState::isPrepare))
                .containsExactlyInAnyOrder(PREPARE_COMMIT, PREPARE_ABORT);
    }
}
