package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.runnel.clustertest.ScaleScenario.Layout;

/**
 * Real processes, 2 controllers and 3 brokers, with 3,000 partitions (30 topics of 100, RF 3):
 * after {@code kill -9} of the active controller, the standby takes over with the whole cluster's
 * state to hand to the brokers, and within {@value #DEADLINE_MINUTES} minutes a topic created
 * afterwards is led in every broker's Metadata and every one of the 3,000 partitions takes a
 * record with acks=all. The times are printed, not asserted ({@link ScaleBenchmarkTest} measures
 * the same at larger scale, against Kafka too).
 */
class ControllerFailoverScaleProcessTest {

    private static final int DEADLINE_MINUTES = 3;
    private static final Duration DEADLINE = Duration.ofMinutes(DEADLINE_MINUTES);

    @Test
    void aTopicCreatedAfterKillNineOfTheActiveControllerIsLedEverywhereAndAll3000PartitionsTakeWrites() throws Exception {
        long start = System.nanoTime();
        Layout layout = new Layout(30, 100, (short) 3);
        try (RunnelScaleSystem runnel = new RunnelScaleSystem("failover-3000", List.of("-Xmx512m"),
                List.of("-Xmx1g"))) {
            StepResult started = ScaleScenario.start(runnel, Duration.ofMinutes(2));
            assertThat(started.finished()).as("%s%n%s", started, runnel.logTails()).isTrue();
            StepResult created = ScaleScenario.create(runnel, layout, DEADLINE);
            System.out.printf("Runnel, %s partitions: %s%n", layout, created);
            assertThat(created.finished()).as("%s%n%s", created, runnel.logTails()).isTrue();

            StepResult failover = ScaleScenario.failover(runnel, layout, DEADLINE);
            System.out.printf("Runnel, %s partitions, kill -9 of the active controller: %s%n", layout, failover);
            assertThat(failover.finished()).as("%s%n%s", failover, runnel.logTails()).isTrue();
        } finally {
            System.out.printf("ControllerFailoverScaleProcessTest took %s in all%n",
                    StepResult.format(Duration.ofNanos(System.nanoTime() - start)));
        }
    }
}
