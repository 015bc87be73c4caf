package dev.runnel.clustertest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Runnel service running as its own JVM from the executable jar the build produced, with its
 * output in a log file. {@link #kill()} is a real {@code kill -9}.
 */
final class NodeProcess implements AutoCloseable {

    private final String name;
    private final Path log;
    private final long logStart;
    private final Process process;

    private NodeProcess(String name, Path log, long logStart, Process process) {
        this.name = name;
        this.log = log;
        this.logStart = logStart;
        this.process = process;
    }

    /** Starts {@code java -jar <module's exec jar> args...}, logging to {@code logDir/name.log}. */
    static NodeProcess start(String name, String module, Path logDir, List<String> args) throws IOException {
        return start(name, module, logDir, List.of(), args);
    }

    /** As {@link #start(String, String, Path, List)} with JVM options after the defaults (a later -Xmx wins). */
    static NodeProcess start(String name, String module, Path logDir, List<String> jvmOptions, List<String> args)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", execJar(module).toString()));
        command.addAll(args);
        return start(name, command, logDir.resolve(name + ".log"));
    }

    /**
     * Starts any {@code command} (an Apache Kafka node, say), its output appended to {@code log}:
     * the same kill, signals and stop as a Runnel service.
     */
    static NodeProcess start(String name, List<String> command, Path log) throws IOException {
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return new NodeProcess(name, log, logStart, process);
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
    boolean terminate(java.time.Duration timeout) throws InterruptedException {
        process.destroy();
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
