package dev.runnel.client.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class CommitRetryingProducerTest {

    /** A producer whose commits first fail with the given errors, then succeed; counts the calls. */
    private static final class FailingCommits extends MockProducer<String, String> {
        final Deque<RuntimeException> failures;
        int commits;

        FailingCommits(RuntimeException... failures) {
            super(true, null, new StringSerializer(), new StringSerializer());
            this.failures = new ArrayDeque<>(List.of(failures));
            initTransactions();
            beginTransaction();
        }

        @Override
        public void commitTransaction() {
            commits++;
            if (!failures.isEmpty()) {
                throw failures.poll();
            }
            super.commitTransaction();
        }
    }

    @Test
    void aTimedOutCommitIsCalledAgainUntilItsOutcomeIsKnown() {
        FailingCommits delegate = new FailingCommits(new TimeoutException("EndTxn"), new TimeoutException("EndTxn"));
        new CommitRetryingProducer<>(delegate, Duration.ofMinutes(1)).commitTransaction();
        assertThat(delegate.commits).isEqualTo(3);
        assertThat(delegate.transactionCommitted()).isTrue();
    }

    @Test
    void anyOtherErrorIsTheCallersAtOnce() {
        FailingCommits delegate = new FailingCommits(new ProducerFencedException("fenced"));
        assertThatThrownBy(() -> new CommitRetryingProducer<>(delegate, Duration.ofMinutes(1)).commitTransaction())
                .isInstanceOf(ProducerFencedException.class);
        assertThat(delegate.commits).isEqualTo(1);
    }

    @Test
    void aTimeoutPastThePatienceIsTheCallers() {
        FailingCommits delegate = new FailingCommits(new TimeoutException("EndTxn"));
        assertThatThrownBy(() -> new CommitRetryingProducer<>(delegate, Duration.ZERO).commitTransaction())
                .isInstanceOf(TimeoutException.class);
        assertThat(delegate.commits).isEqualTo(1);
    }
}
