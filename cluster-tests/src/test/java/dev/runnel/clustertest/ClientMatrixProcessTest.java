package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.opentest4j.TestAbortedException;


/**
 * The client matrix: real Kafka clients of several languages and ages (see {@link MatrixClient})
 * against a Runnel cluster of real processes (ZooKeeper in this JVM, one controller and three
 * brokers from the built jars). Each client's driver runs as a child process with a deadline and
 * prints one {@code MATRIX <client> <scenario> PASS|FAIL produced=<n> consumed=<n> <detail>} line
 * per scenario; a client passes when every scenario it supports printed PASS.
 *
 * <p>Which clients run: {@code -Drunnel.matrix.clients=kafka-clients} (the default: the Java
 * clients 4.4, 3.9, 3.0 and 2.8), {@code all} (what {@code -Pclients} sets), or names separated by
 * commas. The table goes to {@code target/client-matrix.md} and to the test's output.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientMatrixProcessTest {

    private static final int BROKERS = 3;
    private static final Duration STARTUP = Duration.ofSeconds(90);
    /** One driver's whole run; each scenario inside it has its own, shorter deadline. */
    private static final Duration DRIVER_DEADLINE = Duration.ofMinutes(4);
    private static final Pattern LINE = Pattern.compile(
            "^MATRIX (\\S+) (\\S+) (PASS|FAIL) produced=(\\d+) consumed=(\\d+) ?(.*)$");

    /** One scenario's line. */
    record Outcome(String scenario, boolean pass, long produced, long consumed, String detail) {
    }

    /** What became of one client: its outcomes, or why it did not run; evidence is for assertion messages. */
    record ClientRun(MatrixClient client, String version, Map<String, Outcome> outcomes, String skipped, String error,
            String evidence) {
    }

    private final Map<String, ClientRun> runs = new ConcurrentHashMap<>();
    private ProcessCluster cluster;
    private Path workDir;

    @BeforeAll
    void startCluster() throws Exception {
        workDir = Files.createDirectories(Path.of("target", "client-matrix").toAbsolutePath());
        cluster = new ProcessCluster("client-matrix");
        try {
            cluster.startController(1);
            for (int id = 1; id <= BROKERS; id++) {
                cluster.startBroker(id);
            }
            cluster.awaitBrokersReady(BROKERS, STARTUP);
        } catch (Exception | AssertionError e) {
            String tails = cluster.logTails();
            cluster.close();
            cluster = null;
            throw new AssertionError("the cluster did not start: " + e.getMessage() + "\n" + tails, e);
        }
    }

    /** The clients that {@code runnel.matrix.clients} selects. */
    static Stream<MatrixClient> selectedClients() {
        String selection = System.getProperty("runnel.matrix.clients", MatrixClient.FAMILY_JAVA).trim();
        List<String> names = List.of(selection.split("\\s*,\\s*"));
        return MatrixClient.all().stream().filter(c -> selection.equals("all") || names.contains(c.family())
                || names.contains(c.name()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("selectedClients")
    void clientPassesEveryScenarioItSupports(MatrixClient client) throws Exception {
        ClientRun run;
        try {
            run = runDriver(client);
        } catch (TestAbortedException e) {
            runs.put(client.name(), new ClientRun(client, null, Map.of(), e.getMessage(), null, ""));
            throw e;
        } catch (Exception | AssertionError e) {
            runs.put(client.name(), new ClientRun(client, null, Map.of(), null,
                    "did not run: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), ""));
            throw e;
        }
        runs.put(client.name(), run);
        assertThat(run.error()).as(run.evidence()).isNull();
        assertThat(run.outcomes().keySet()).as("one line per scenario the client supports\n" + run.evidence())
                .containsExactlyInAnyOrderElementsOf(client.scenarios());
        assertThat(run.outcomes().values().stream().filter(o -> !o.pass()).map(o -> o.scenario() + ": " + o.detail()))
                .as("failed scenarios\n" + run.evidence()).isEmpty();
    }

    /** Prepares the client's driver, makes its topics, runs it with a deadline and reads its MATRIX lines. */
    private ClientRun runDriver(MatrixClient client) throws Exception {
        List<String> command = new ArrayList<>(client.prepare(workDir));
        String prefix = "m" + client.name().replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT)
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        createScenarioTopics(client, prefix);

        command.add(cluster.bootstrap());
        command.add(prefix);
        Path out = workDir.resolve(client.name() + ".out");
        Path err = workDir.resolve(client.name() + ".err");
        Process process = ChildProcesses.start(new ProcessBuilder(command).directory(workDir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()));
        boolean finished;
        try {
            finished = process.waitFor(DRIVER_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        String version = null;
        for (String line : stdout.lines().toList()) {
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                version = m.group(1);
                outcomes.put(m.group(2), new Outcome(m.group(2), m.group(3).equals("PASS"), Long.parseLong(m.group(4)),
                        Long.parseLong(m.group(5)), m.group(6)));
            }
        }
        String error = !finished ? "killed after " + DRIVER_DEADLINE : process.exitValue() != 0 ? "exit code " + process.exitValue() : null;
        String evidence = "driver " + String.join(" ", command) + "\n--- stdout (" + out + "):\n" + stdout
                + "--- stderr tail (" + err + "):\n" + tail(err, 40);
        return new ClientRun(client, version, outcomes, null, error, evidence);
    }

    /**
     * The topics every scenario but admin-topics uses ({@code <prefix>.<scenario>}), made here with
     * the project's kafka-clients so that clients without an admin API run the same scenarios;
     * each is used only once every broker has leaders for all its partitions.
     */
    private void createScenarioTopics(MatrixClient client, String prefix) throws Exception {
        List<NewTopic> topics = client.scenarios().stream().filter(s -> !s.equals("admin-topics"))
                .map(s -> new NewTopic(prefix + "." + s, s.equals("group-rebalance") ? 6 : 3, (short) BROKERS)).toList();
        try (Admin admin = KafkaClients.admin(cluster.bootstrap())) {
            admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
        }
        List<String> names = topics.stream().map(NewTopic::name).toList();
        try {
            for (int id = 1; id <= BROKERS; id++) {
                String broker = "127.0.0.1:" + cluster.kafkaPort(id);
                try (Admin admin = KafkaClients.admin(broker)) {
                    await("leaders of " + client.name() + "'s topics at " + broker).atMost(Duration.ofSeconds(60))
                            .pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
                                Map<String, TopicDescription> d = admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
                                return topics.stream().allMatch(t -> d.get(t.name()).partitions().size() == t.numPartitions()
                                        && d.get(t.name()).partitions().stream().allMatch(p -> p.leader() != null));
                            });
                }
            }
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "\n" + cluster.logTails(), e);
        }
    }

    @AfterAll
    void writeTableAndStopCluster() throws Exception {
        try {
            if (!runs.isEmpty()) {
                String table = table();
                Path file = Path.of("target", "client-matrix.md");
                Files.writeString(file, table, StandardCharsets.UTF_8);
                System.out.println(table);
            }
        } finally {
            if (cluster != null) {
                keepNodeLogs();
                cluster.close();
            }
        }
    }

    /**
     * The Markdown table: a row per client, a column per scenario; then every failure's detail and
     * every skip; then why each client that ran has a — where it has.
     */
    private String table() {
        StringBuilder s = new StringBuilder("# Client matrix\n\nEach cell: PASS or FAIL, records produced/consumed "
                + "(— where the client has no such feature). Against Runnel: 1 controller and " + BROKERS
                + " brokers as processes, topics with replication factor " + BROKERS + ".\n\n| client | version |");
        MatrixClient.ALL_SCENARIOS.forEach(sc -> s.append(' ').append(sc).append(" |"));
        s.append("\n|---|---|").append("---|".repeat(MatrixClient.ALL_SCENARIOS.size())).append('\n');
        List<String> notes = new ArrayList<>();
        List<String> lacking = new ArrayList<>();
        for (MatrixClient client : MatrixClient.all()) {
            ClientRun run = runs.get(client.name());
            if (run == null) {
                continue;
            }
            if (run.skipped() != null) {
                notes.add("- " + client.name() + ": skipped: " + run.skipped());
                continue;
            }
            s.append("| ").append(client.name()).append(" | ").append(run.version() == null ? "?" : run.version()).append(" |");
            for (String sc : MatrixClient.ALL_SCENARIOS) {
                Outcome o = run.outcomes().get(sc);
                if (!client.scenarios().contains(sc)) {
                    s.append(" — |");
                } else if (o == null) {
                    s.append(" MISSING |");
                } else {
                    s.append(' ').append(o.pass() ? "PASS" : "**FAIL**").append(' ').append(o.produced()).append('/')
                            .append(o.consumed()).append(" |");
                    if (!o.pass()) {
                        notes.add("- " + client.name() + " " + sc + ": " + o.detail());
                    }
                }
            }
            s.append('\n');
            if (run.error() != null) {
                notes.add("- " + client.name() + ": driver " + run.error());
            }
            client.lacks().forEach((sc, why) -> lacking.add("- " + client.name() + " " + sc + ": " + why));
        }
        Set<String> notRun = new TreeSet<>();
        MatrixClient.all().stream().filter(c -> !runs.containsKey(c.name())).forEach(c -> notRun.add(c.name()));
        if (!notRun.isEmpty()) {
            notes.add("- not selected in this run: " + String.join(", ", notRun) + " (-Pclients runs every client)");
        }
        if (!notes.isEmpty()) {
            s.append('\n').append(String.join("\n", notes)).append('\n');
        }
        if (!lacking.isEmpty()) {
            s.append("\nNot run (—), because the client lacks it:\n\n").append(String.join("\n", lacking)).append('\n');
        }
        return s.toString();
    }

    /** The nodes' logs, to target/client-matrix/node-logs: what a broker said about a failed scenario's requests. */
    private void keepNodeLogs() throws IOException {
        Path logs = Files.createDirectories(workDir.resolve("node-logs"));
        try (Stream<Path> files = Files.list(cluster.dir())) {
            for (Path log : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                Files.copy(log, logs.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "unreadable: " + e;
        }
    }
}
