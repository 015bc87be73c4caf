package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A controller killed with {@code kill -9} and started again at once, on a new port: its previous
 * life is still registered in the election under the same id until ZooKeeper expires that session.
 * The new process waits for that registration to go instead of refusing to start (as it must for
 * a live controller with its id), as a restarted pod with a new address needs.
 */
class ControllerRestartProcessTest {

    private static final Duration START = Duration.ofSeconds(90);

    private FaultCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aControllerRestartedRightAfterKillNineOnANewPortWaitsOutItsPreviousLifeAndTakesOver() throws Exception {
        cluster = new FaultCluster("controller-restart", Duration.ofSeconds(6)).start(1, 1, START);
        await("controller-1 active").atMost(START).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> "ACTIVE".equals(cluster.controllerStatus(1).role()));

        cluster.kill(FaultCluster.controllerName(1));
        cluster.restart(FaultCluster.controllerName(1)); // at once: the old session is still alive

        await("controller-1 back and active").atMost(START).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> "ACTIVE".equals(cluster.controllerStatus(1).role()));
        NodeProcess restarted = cluster.node(FaultCluster.controllerName(1));
        assertThat(restarted.isAlive()).isTrue();
        assertThat(restarted.logSinceStart()).doesNotContain("is already taken");
    }
}
