package dev.runnel.clustertest;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import dev.runnel.examples.streams.StreamsJoinsApplication;

/**
 * An instance of {@code examples/streams-joins} ({@link StreamsJoinsApplication}'s own main) as a
 * JVM of its own on this test run's classpath, so that a test can {@code kill -9} it; it answers
 * interactive queries over HTTP on a port of its choosing, which it writes to {@code
 * <name>.port}. It runs under a watchdog of the test JVM ({@link ChildProcesses#watchedMain}), so
 * it ends with it.
 */
final class StreamsJoinsProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path log;
    private final Path portFile;
    private final Process process;
    private volatile Integer port;

    private StreamsJoinsProcess(String name, Path log, Path portFile, Process process) {
        this.name = name;
        this.log = log;
        this.portFile = portFile;
        this.process = process;
    }

    /** Starts instance {@code name} with {@code settings} (Kafka Streams settings, {@code name=value}), state in {@code dir/name}. */
    static StreamsJoinsProcess start(String name, Path dir, Map<String, String> settings) throws IOException {
        Path log = dir.resolve(name + ".log");
        Path portFile = dir.resolve(name + ".port");
        Files.deleteIfExists(portFile);
        String logback;
        try {
            logback = Path.of(StreamsJoinsProcess.class.getResource("/streams-instance-logback.xml").toURI())
                    .toString();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        List<String> command = new ArrayList<>(List.of(NodeProcess.java(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Dlogback.configurationFile=" + logback));
        command.addAll(ChildProcesses.watchedMain(System.getProperty("java.class.path"),
                StreamsJoinsApplication.class.getName()));
        settings.forEach((key, value) -> command.add(key + "=" + value));
        command.addAll(List.of("query.port=0", "query.port.file=" + portFile, "create.topics=false"));
        Process process = ChildProcesses.start(new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()));
        return new StreamsJoinsProcess(name, log, portFile, process);
    }

    String name() {
        return name;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Its query port, waiting until it has written it (it does once started). */
    int port() {
        if (port == null) {
            await(name + " reports its query port").atMost(StreamsJoinsScenario.DEADLINE)
                    .pollInterval(Duration.ofMillis(100)).until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException(name + " exited (status " + process.exitValue()
                                    + ")\n" + logTail());
                        }
                        if (!Files.exists(portFile)) {
                            return false;
                        }
                        Properties properties = new Properties();
                        try (var in = Files.newBufferedReader(portFile)) {
                            properties.load(in);
                        }
                        port = Integer.valueOf(properties.getProperty("port"));
                        return true;
                    });
        }
        return port;
    }

    /** {@code GET /state}: its KafkaStreams state and active tasks ({@code state=...}, {@code active=...}). */
    Map<String, String> state() throws IOException {
        return StreamsJoinsClusterTest.parse(get("/state").orElseThrow());
    }

    /** {@code GET /stores/<store>}: what it holds of the store; empty while the store is not queryable (503). */
    Optional<Map<String, String>> store(String store) throws IOException {
        return get("/stores/" + store).map(StreamsJoinsClusterTest::parse);
    }

    private Optional<String> get(String path) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (response.statusCode() == 503) {
                return Optional.empty();
            }
            if (response.statusCode() != 200) {
                throw new IOException(name + " answered " + response.statusCode() + " to " + path + ": "
                        + response.body());
            }
            return Optional.of(response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** {@code kill -9}: no commit, no LeaveGroup, no state flush; the group notices when its session expires. */
    void kill() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(process.pid())).inheritIO().start();
        kill.waitFor(10, TimeUnit.SECONDS);
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** What it logged: the application's state transitions and the clients' warnings. */
    String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    String logTail() {
        List<String> lines = logText().lines().toList();
        return "--- " + name + " log:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    /** SIGTERM: its shutdown hook closes Kafka Streams (a clean leave); kill -9 if it has not exited within 40 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(40, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
