package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.runnel.common.process.ParentWatchdog;
import dev.runnel.testing.TempLogDirs;

/**
 * A test JVM killed with {@code kill -9} runs no shutdown hook and closes no cluster; its nodes
 * must still not outlive it. A JVM standing in for the test JVM ({@link ClusterHarnessMain})
 * starts a controller, a broker and a consumer JVM through the harness, and a second broker that
 * is still starting, then is killed with {@code kill -9}: every one of them must end on its own,
 * by its watchdog of that JVM, the starting broker too (its ZooKeeper went with that JVM, so it
 * would never finish starting).
 */
class NoNodeOutlivesItsTestJvmProcessTest {

    private static final Duration DEADLINE = Duration.ofMinutes(3);

    @Test
    void everyNodeHaltsSoonAfterTheTestJvmThatStartedItIsKilledWithKillNine() throws Exception {
        Path work = TempLogDirs.create("runnel-orphans-");
        Path pidsFile = work.resolve("children.properties");
        List<String> command = List.of(NodeProcess.java(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), ClusterHarnessMain.class.getName(), pidsFile.toString());
        Process harness = ChildProcesses.start(new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("harness.log").toFile()));
        Map<String, ProcessHandle> children = new TreeMap<>();
        Path clusterDir = null;
        try {
            await("the harness JVM's cluster is up").atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        assertThat(harness.isAlive()).as("the harness JVM runs:\n%s",
                                Files.readString(work.resolve("harness.log"))).isTrue();
                        return Files.exists(pidsFile);
                    });
            Properties written = new Properties();
            try (Reader in = Files.newBufferedReader(pidsFile, StandardCharsets.ISO_8859_1)) {
                written.load(in);
            }
            clusterDir = Path.of(written.getProperty("dir"));
            for (String name : written.stringPropertyNames()) {
                if (!name.equals("dir")) {
                    long pid = Long.parseLong(written.getProperty(name));
                    children.put(name, ProcessHandle.of(pid).orElseThrow(() -> new AssertionError(name + " is not running")));
                }
            }
            assertThat(children).containsOnlyKeys("controller-1", "broker-1", "broker-2", "consumer-1");

            harness.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertThat(harness.waitFor(10, TimeUnit.SECONDS)).isTrue();
            long killed = System.nanoTime();

            await("every child of the killed JVM has ended").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(children).allSatisfy((name, child) ->
                            assertThat(child.isAlive()).as("%s (pid %d) alive", name, child.pid()).isFalse()));
            System.out.printf("Children of a JVM killed with kill -9 (%s) all ended within %d ms%n", children.keySet(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
            for (String name : children.keySet()) {
                Path log = clusterDir.resolve(name + ".log");
                assertThat(Files.readString(log)).as("%s halted by its watchdog", name)
                        .contains("is gone; halting (exit status " + ParentWatchdog.EXIT_STATUS + ")");
            }
            assertThat(Files.readString(clusterDir.resolve("broker-2.log"))).as("broker 2 never finished starting")
                    .doesNotContain("Started BrokerApplication");
        } finally {
            harness.destroyForcibly();
            children.values().forEach(ProcessHandle::destroyForcibly); // a handle never kills a later process with its pid
            if (clusterDir != null) {
                TempLogDirs.deleteRecursively(clusterDir);
            }
            TempLogDirs.deleteRecursively(work);
        }
    }
}
