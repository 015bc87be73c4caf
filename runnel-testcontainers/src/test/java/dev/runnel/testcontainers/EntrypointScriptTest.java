package dev.runnel.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The entrypoint's own paths, run on this host: it starts nothing before its start file is whole,
 * and a node that fails to start (the controller, from a jar that is none) stops the ones already
 * running (ZooKeeper) and ends the script with an error.
 * (The path where everything starts, serves and stops on SIGTERM is {@link NativeServiceConnectionTest}.)
 */
class EntrypointScriptTest {

    @Test
    void nothingStartsBeforeTheStartFileAndANodeThatCannotStartStopsTheOthers(@TempDir Path tmp) throws Exception {
        Path notAJar = tmp.resolve("controller.jar");
        Files.writeString(notAJar, "not a jar");
        NativeRunnelContainer runnel = new NativeRunnelContainer().withScriptEnv("RUNNEL_CONTROLLER_JAR",
                notAJar.toString());
        try {
            runnel.launch();
            await("the script waits for its start file").atMost(Duration.ofSeconds(30))
                    .until(() -> runnel.output().contains("runnel-standalone: waiting for "));
            assertThat(runnel.output()).doesNotContain("starting zookeeper");
            assertThat(runnel.process().isAlive()).isTrue();

            runnel.writeStartFile();
            await("the script gives up").atMost(NativeRunnelContainer.READY_DEADLINE).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        runnel.noteTree();
                        return !runnel.process().isAlive();
                    });
            String output = runnel.output();
            assertThat(runnel.process().exitValue()).as(output).isEqualTo(1);
            assertThat(output).contains("starting zookeeper", "starting controller", "controller exited while starting",
                    "Invalid or corrupt jarfile", "stopping zookeeper")
                    .doesNotContain("starting broker", "Runnel is ready");
            await("no process of the script outlives it").atMost(Duration.ofSeconds(10))
                    .until(() -> runnel.survivors().isEmpty());
        } finally {
            runnel.stop();
        }
    }
}
