package dev.runnel.clustertest;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.runnel.common.process.PortFile;

/**
 * A Runnel service running as its own JVM from the executable jar the build produced, with its
 * output in a log file. {@link #kill()} is a real {@code kill -9}.
 *
 * <p>A service binds the ports it is told to (0 for any) and, once ready, writes the ones it got
 * to {@code <name>.ports} next to its log ({@code runnel.process.port-file}); {@link #port} waits
 * for that file. The service also watches this JVM ({@code runnel.process.parent-pid}) and halts
 * when it is gone, so a test JVM killed with {@code kill -9} leaves no node behind.
 */
final class NodeProcess implements AutoCloseable {

    /** How long a node may take to report its ports: a restarted broker first waits out its old session. */
    static final Duration READY_DEADLINE = Duration.ofMinutes(3);

    private final String name;
    private final Path log;
    private final long logStart;
    private final Process process;
    private final Path portFile;
    private volatile PortFile ports;

    private NodeProcess(String name, Path log, long logStart, Process process, Path portFile) {
        this.name = name;
        this.log = log;
        this.logStart = logStart;
        this.process = process;
        this.portFile = portFile;
    }

    /** Starts {@code java -jar <module's exec jar> args...}, logging to {@code logDir/name.log}. */
    static NodeProcess start(String name, String module, Path logDir, List<String> args) throws IOException {
        return start(name, module, logDir, List.of(), args);
    }

    /** As {@link #start(String, String, Path, List)} with JVM options after the defaults (a later -Xmx wins). */
    static NodeProcess start(String name, String module, Path logDir, List<String> jvmOptions, List<String> args)
            throws IOException {
        return start(name, module, logDir, List.of(), jvmOptions, args);
    }

    /**
     * As {@link #start(String, String, Path, List, List)}, the java command run by {@code launcher}
     * ({@code ip netns exec <namespace>}, which runs it in place, under the same pid).
     */
    static NodeProcess start(String name, String module, Path logDir, List<String> launcher, List<String> jvmOptions,
            List<String> args) throws IOException {
        Path portFile = logDir.resolve(name + ".ports");
        Files.deleteIfExists(portFile); // an earlier process's: this one reports anew
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(java(), "-Xmx256m", "-XX:TieredStopAtLevel=1"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", execJar(module).toString()));
        command.addAll(args);
        command.addAll(List.of("--runnel.process.port-file=" + portFile, ChildProcesses.parentPidArgument()));
        return start(name, command, logDir.resolve(name + ".log"), portFile);
    }

    /**
     * Starts any {@code command} (an Apache Kafka node, say), its output appended to {@code log}:
     * the same kill, signals and stop as a Runnel service, but no port file.
     */
    static NodeProcess start(String name, List<String> command, Path log) throws IOException {
        return start(name, command, log, null);
    }

    private static NodeProcess start(String name, List<String> command, Path log, Path portFile) throws IOException {
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        Process process = ChildProcesses.start(new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())));
        return new NodeProcess(name, log, logStart, process, portFile);
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The {@code *-exec.jar} that {@code mvn package} built in {@code ../module/target}. */
    static Path execJar(String module) throws IOException {
        Path target = Path.of("..", module, "target").toAbsolutePath().normalize();
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(p -> p.getFileName().toString().endsWith("-exec.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no executable jar in " + target
                            + "; run ./mvnw package (or verify) from the repository root first"));
        }
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * The port of {@code listener} ({@code http}, {@code kafka}), waiting up to {@link
     * #READY_DEADLINE} for the node to report it: it does once ready. A node that exits first fails
     * the wait at once. After the node has died its last report stays readable.
     */
    int port(String listener) {
        PortFile reported = ports;
        if (reported == null) {
            await(name + " reports its ports").atMost(READY_DEADLINE).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        if (reportedPorts().isPresent()) {
                            return true;
                        }
                        if (!process.isAlive()) {
                            throw new IllegalStateException(name + " exited (status " + process.exitValue()
                                    + ") before reporting its ports\n" + logTail());
                        }
                        return false;
                    });
            reported = ports;
        }
        return reported.port(listener);
    }

    /** The ports the node has reported so far, without waiting: empty while it is starting (or never will). */
    Optional<PortFile> reportedPorts() throws IOException {
        if (ports == null && portFile != null) {
            Optional<PortFile> read = PortFile.read(portFile);
            if (read.isPresent() && read.get().pid() == process.pid()) {
                ports = read.get();
            }
        }
        return Optional.ofNullable(ports);
    }

    /** {@code kill -9}: no shutdown hook, no controlled shutdown, no ZooKeeper goodbye. */
    void kill() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(process.pid())).inheritIO().start();
        kill.waitFor(10, TimeUnit.SECONDS);
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Sends {@code signal} ({@code STOP}, {@code CONT}, {@code TERM}, ...) with {@code kill -<signal>}. */
    void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    /**
     * SIGTERM ({@link Process#destroy()}): the service's shutdown hooks run (a broker's controlled
     * shutdown). Waits up to {@code timeout} for the exit.
     *
     * @return whether the process exited in time
     */
    boolean terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits up to {@code timeout} for the process to exit on its own; whether it has. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    Path logFile() {
        return log;
    }

    /** What this process (not an earlier one of the same node, which appended to the same file) has logged so far. */
    String logSinceStart() throws IOException {
        byte[] all = Files.readAllBytes(log);
        int from = (int) Math.min(logStart, all.length);
        return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    }

    /** The tail of the node's log, for assertion messages. */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return name + " log:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return name + " log unreadable: " + e;
        }
    }

    /**
     * {@link #close()} of every node at once: SIGTERM to all, then up to 30 seconds for them all to
     * exit, then {@code kill -9} of any left.
     */
    static void closeAll(Collection<NodeProcess> nodes) throws InterruptedException {
        List<NodeProcess> alive = nodes.stream().filter(NodeProcess::isAlive).toList();
        for (NodeProcess node : alive) {
            try {
                node.signal("CONT");
            } catch (IOException e) {
                // gone meanwhile
            }
            node.process.destroy();
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (NodeProcess node : alive) {
            if (!node.process.waitFor(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                node.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            try {
                signal("CONT"); // a SIGSTOPped JVM would not act on SIGTERM
            } catch (IOException e) {
                // gone meanwhile
            }
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
