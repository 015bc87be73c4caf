package dev.runnel.testcontainers;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

/**
 * A {@link RunnelContainer} whose "container" is the image's entrypoint script run on this host:
 * {@code src/main/docker/runnel-standalone} with the jars the build made, every port 0 and only
 * 127.0.0.1. What Docker would do is done the same way here: the script waits for the start file,
 * which {@link #start()} writes with {@link RunnelContainer#startFile} and
 * {@link RunnelContainer#brokerConfig()}, as {@code containerIsStarting} copies them in; the
 * advertised port is 0, which the broker replaces with the one it bound. So everything but Docker
 * itself (the image build, the port mapping) is the real thing, on a machine without Docker.
 *
 * <p>The script and the nodes it starts are stopped on every exit path: {@link #stop()} (SIGTERM,
 * then SIGKILL of whatever is left), a failed start, and a JVM exit through a shutdown hook; the
 * controller and broker also halt if this JVM dies ({@code RUNNEL_PARENT_PID}).
 */
final class NativeRunnelContainer extends RunnelContainer {

    static final Duration READY_DEADLINE = Duration.ofMinutes(3);

    private static final Pattern READY = Pattern.compile(Pattern.quote(READY_LINE) + ", bootstrap servers 127\\.0\\.0\\.1:(\\d+)");
    private static final Set<Process> ALIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ALIVE.forEach(NativeRunnelContainer::killTree),
                "kill-native-runnel"));
    }

    private final Map<String, String> environment = new ConcurrentHashMap<>();
    private Path dir;
    private Process process;
    private int kafkaPort;
    /** Every process of the tree seen while it ran: what must all be gone after a stop. */
    private final Set<ProcessHandle> seen = ConcurrentHashMap.newKeySet();

    /** The script's environment beyond the defaults here ({@code RUNNEL_BROKER_JAR}, say). */
    NativeRunnelContainer withScriptEnv(String name, String value) {
        environment.put(name, value);
        return this;
    }

    static Path script() {
        return Path.of("src/main/docker/runnel-standalone").toAbsolutePath();
    }

    static Path execJar(String module) {
        return Path.of("..", module, "target", module + "-" + projectVersion() + "-exec.jar").toAbsolutePath().normalize();
    }

    /** Skips the calling test unless the three executable jars are built. */
    static void assumeJarsBuilt() {
        for (String module : List.of("local-zookeeper", "controller-service", "broker-service")) {
            Assumptions.assumeTrue(Files.exists(execJar(module)),
                    "needs " + execJar(module) + ": ./mvnw -DskipTests package first (verify builds it before this module)");
        }
    }

    /** Starts the script, without the start file yet: it waits for it. */
    synchronized void launch() {
        if (process != null) {
            return;
        }
        assumeJarsBuilt();
        try {
            dir = Files.createTempDirectory("runnel-standalone-");
            ProcessBuilder builder = new ProcessBuilder("bash", script().toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("runnel-standalone.log").toFile());
            Map<String, String> env = builder.environment();
            env.put("RUNNEL_DATA", dir.resolve("data").toString());
            env.put("RUNNEL_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
            env.put("RUNNEL_JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
            env.put("RUNNEL_ZOOKEEPER_JAR", execJar("local-zookeeper").toString());
            env.put("RUNNEL_CONTROLLER_JAR", execJar("controller-service").toString());
            env.put("RUNNEL_BROKER_JAR", execJar("broker-service").toString());
            env.put("RUNNEL_LISTEN_HOST", "127.0.0.1");
            for (String port : List.of("RUNNEL_KAFKA_PORT", "RUNNEL_INTERNAL_PORT", "RUNNEL_ZOOKEEPER_PORT",
                    "RUNNEL_CONTROLLER_HTTP_PORT", "RUNNEL_BROKER_HTTP_PORT")) {
                env.put(port, "0");
            }
            env.put("RUNNEL_START_FILE", dir.resolve("start.env").toString());
            env.put("RUNNEL_PARENT_PID", Long.toString(ProcessHandle.current().pid()));
            env.remove("RUNNEL_CLUSTER_SECRET");
            env.putAll(environment);
            process = builder.start();
            ALIVE.add(process);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What containerIsStarting copies in: the broker properties, then the start file (advertising port 0). */
    synchronized void writeStartFile() throws IOException {
        String config = brokerConfig();
        Path configFile = null;
        if (config != null) {
            configFile = dir.resolve("broker.properties");
            Files.writeString(configFile, config);
        }
        String file = startFile("127.0.0.1:0", "127.0.0.1:0", configFile == null ? null : configFile.toString());
        Path temporary = dir.resolve("start.env.tmp");
        Files.writeString(temporary, file);
        Files.move(temporary, dir.resolve("start.env"));
    }

    /** Waits for the ready line; a script that exits first fails the wait with its output. */
    void awaitReady() {
        long began = System.nanoTime();
        await("runnel-standalone is ready").atMost(READY_DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> {
            noteTree();
            // The line RunnelContainer's wait strategy waits for in Docker, found the same way.
            for (String line : output().split("\n")) {
                if ((line + "\n").matches(READY_LOG_REGEX)) {
                    Matcher ready = READY.matcher(line);
                    if (!ready.find()) {
                        throw new IllegalStateException("a ready line without the bootstrap servers: " + line);
                    }
                    kafkaPort = Integer.parseInt(ready.group(1));
                    return true;
                }
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("runnel-standalone exited (status " + process.exitValue()
                        + ") before it was ready:\n" + output());
            }
            return false;
        });
        System.out.printf("runnel-standalone ready after %.1f s, bootstrap servers 127.0.0.1:%d%n",
                (System.nanoTime() - began) / 1e9, kafkaPort);
    }

    @Override
    public synchronized void start() {
        if (isRunning()) {
            return;
        }
        try {
            launch();
            writeStartFile();
            awaitReady();
        } catch (IOException | RuntimeException e) {
            stop();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** The script's output so far. */
    String output() {
        try {
            return Files.readString(dir.resolve("runnel-standalone.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    Path dataDir() {
        return dir.resolve("data");
    }

    Process process() {
        return process;
    }

    /** Records the processes of the tree now, so {@link #survivors()} can tell whether any outlived a stop. */
    void noteTree() {
        if (process != null) {
            seen.add(process.toHandle());
            process.descendants().forEach(seen::add);
        }
    }

    /** Processes of the tree seen while it ran that are still alive. */
    List<ProcessHandle> survivors() {
        return seen.stream().filter(ProcessHandle::isAlive).toList();
    }

    /** The image it stands in for, named without asking Docker (Boot names the service connection by it). */
    @Override
    public String getDockerImageName() {
        return defaultImageName().asCanonicalNameString();
    }

    @Override
    public String getHost() {
        return "127.0.0.1";
    }

    @Override
    public Integer getMappedPort(int originalPort) {
        if (originalPort != KAFKA_PORT || kafkaPort == 0) {
            throw new IllegalStateException("only the Kafka port of a started runnel-standalone is known, not " + originalPort);
        }
        return kafkaPort;
    }

    @Override
    public boolean isRunning() {
        return process != null && process.isAlive() && kafkaPort != 0;
    }

    /**
     * SIGTERM to the script, which stops its nodes (the broker first) and exits; waits up to
     * {@code timeout} for that, killing nothing.
     *
     * @return whether the script exited in time
     */
    synchronized boolean terminate(Duration timeout) throws InterruptedException {
        noteTree();
        process.destroy();
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The JVMs of the tree seen so far that are still alive: ZooKeeper, the controller, the broker. */
    List<ProcessHandle> liveJvms() {
        return survivors().stream()
                .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false)).toList();
    }

    /** {@link #terminate} within 90 s, then SIGKILL of anything left of the tree; deletes the directory. */
    @Override
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        try {
            if (!terminate(Duration.ofSeconds(90))) {
                killTree(process);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killTree(process);
        }
        seen.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        ALIVE.remove(process);
        deleteRecursively(dir);
    }

    private static void killTree(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        List<Path> paths = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(paths::add);
        } catch (IOException e) {
            return;
        }
        for (Path path : paths) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // a file a dying node still writes: the temporary directory keeps it
            }
        }
    }
}
