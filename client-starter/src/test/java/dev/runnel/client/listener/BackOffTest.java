package dev.runnel.client.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class BackOffTest {

    @Test
    void waitsGrowByTheMultiplierUpToTheMaximumAndStopAfterTheLastAttempt() {
        BackOff backOff = new BackOff(5, Duration.ofMillis(100), 3.0, Duration.ofMillis(500));

        assertThat(backOff.after(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(backOff.after(2)).isEqualTo(Duration.ofMillis(300));
        assertThat(backOff.after(3)).isEqualTo(Duration.ofMillis(500));
        assertThat(backOff.after(4)).isEqualTo(Duration.ofMillis(500));
        assertThat(backOff.after(5)).as("five deliveries in all").isNull();
    }

    @Test
    void oneAttemptMeansNoRetryAndNonsenseIsRefused() {
        assertThat(new BackOff(1, Duration.ofSeconds(1), 2, Duration.ofSeconds(1)).after(1)).isNull();
        assertThatThrownBy(() -> new BackOff(0, Duration.ofSeconds(1), 2, Duration.ofSeconds(1)))
                .hasMessageContaining("maxAttempts");
        assertThatThrownBy(() -> new BackOff(3, Duration.ofSeconds(1), 0.5, Duration.ofSeconds(1)))
                .hasMessageContaining("multiplier");
    }
}
