package dev.runnel.clustertest;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.Assumptions;

/**
 * One real Kafka client of the matrix: the scenarios its driver runs and how to start that driver
 * ({@code src/test/clients/<client>/}, whose README states what every scenario does), and for each
 * scenario it does not run, why ({@code lacks}: what the client, at the version tested, does not
 * have). A client that is not installed on this machine makes {@link #prepare} abort the test with
 * what to install; it never passes by default.
 */
record MatrixClient(String name, String family, List<String> scenarios, Map<String, String> lacks, Preparer preparer) {

    /** Every scenario of the matrix, in the order of the table's columns. */
    static final List<String> ALL_SCENARIOS = List.of("produce-acks0", "produce-acks1", "produce-acksall",
            "produce-idempotent", "produce-gzip", "produce-snappy", "produce-lz4", "produce-zstd", "consume-earliest",
            "consume-latest", "group-rebalance", "commit-lag", "admin-topics", "transactions", "transactional-copy");

    /** The Java clients, which run in every build. */
    static final String FAMILY_JAVA = "kafka-clients";
    /** Clients of other languages, which need Debian or npm packages: {@code -Pclients}. */
    static final String FAMILY_OTHER = "other";

    /** Builds (if needed) the driver's command line; may abort the test through {@link Assumptions}. */
    interface Preparer {
        List<String> prepare(Path workDir) throws Exception;
    }

    List<String> prepare(Path workDir) throws Exception {
        return preparer.prepare(workDir);
    }

    @Override
    public String toString() {
        return name;
    }

    /** Every client of the matrix. */
    static List<MatrixClient> all() {
        List<MatrixClient> clients = new ArrayList<>();
        for (String[] v : new String[][] {{"4.4", "4.4.0"}, {"3.9", "3.9.1"}, {"3.0", "3.0.2"}, {"2.8", "2.8.2"}}) {
            clients.add(client("kafka-clients-" + v[1], FAMILY_JAVA, Map.of(), work -> javaDriver(work, v[0])));
        }
        clients.add(client("confluent-kafka-python", FAMILY_OTHER, Map.of(),
                work -> python("confluent_kafka", "python3-confluent-kafka", "confluent-kafka-python")));
        clients.add(client("kcat", FAMILY_OTHER, lacking(
                "commit-lag", "kcat cannot commit chosen offsets nor read committed offsets back",
                "admin-topics", "kcat has no admin API",
                "transactional-copy", "kcat's transactional producer (-X transactional.id) commits what one -P run read "
                        + "from its input; it cannot add a consumer's offsets to the transaction"),
                work -> kcat()));
        clients.add(client("kafka-python", FAMILY_OTHER, lacking(
                "produce-idempotent", "kafka-python 2.0.2 has no idempotent producer",
                "transactions", "kafka-python 2.0.2 has no transactional producer (no transactional_id) and its "
                        + "consumer always reads uncommitted",
                "transactional-copy", "kafka-python 2.0.2 has no transactional producer"),
                work -> python("kafka", "python3-kafka", "kafka-python")));
        clients.add(client("kafkajs", FAMILY_OTHER, lacking(
                "produce-lz4", "KafkaJS's lz4 codec is a native add-on, not installed",
                "produce-zstd", "KafkaJS's zstd codec is a native add-on, not installed"), MatrixClient::kafkajs));
        clients.add(client("sarama", FAMILY_OTHER, lacking(
                "transactions", SARAMA_NO_TRANSACTIONS,
                "transactional-copy", SARAMA_NO_TRANSACTIONS), MatrixClient::sarama));
        return clients;
    }

    /**
     * Sarama has a transactional producer from 1.37 on; Debian 12 has only 1.22.1, and no module
     * proxy is reachable from the machines that run the matrix (README, "Compatible clients").
     */
    static final String SARAMA_NO_TRANSACTIONS = "Sarama 1.22.1 (Debian 12's golang-github-shopify-sarama-dev, the only "
            + "Sarama packaged for Debian 12) has no transactional producer; Sarama has one from 1.37, which no Debian 12 "
            + "package provides";

    private static MatrixClient client(String name, String family, Map<String, String> lacks, Preparer preparer) {
        List<String> scenarios = ALL_SCENARIOS.stream().filter(s -> !lacks.containsKey(s)).toList();
        return new MatrixClient(name, family, scenarios, lacks, preparer);
    }

    /** Scenario, reason, scenario, reason, ...: the scenarios a client does not run and why. */
    private static Map<String, String> lacking(String... scenarioAndReason) {
        Map<String, String> lacks = new LinkedHashMap<>();
        for (int i = 0; i < scenarioAndReason.length; i += 2) {
            if (!ALL_SCENARIOS.contains(scenarioAndReason[i])) {
                throw new IllegalArgumentException("no such scenario: " + scenarioAndReason[i]);
            }
            lacks.put(scenarioAndReason[i], scenarioAndReason[i + 1]);
        }
        return lacks;
    }

    // --- drivers ---

    private static Path clientsSource() {
        return Path.of("src", "test", "clients").toAbsolutePath();
    }

    /**
     * The one Java driver, compiled against the oldest kafka-clients (2.8) into the work directory,
     * run in a child JVM with the jars {@code kafka-reference/clients/<version>} gathered.
     */
    private static List<String> javaDriver(Path workDir, String version) throws IOException {
        Path jars = Path.of("..", "kafka-reference", "clients", version, "target", "kafka-clients").toAbsolutePath().normalize();
        Path oldest = Path.of("..", "kafka-reference", "clients", "2.8", "target", "kafka-clients").toAbsolutePath().normalize();
        for (Path dir : List.of(jars, oldest)) {
            if (!Files.isDirectory(dir)) {
                throw new IllegalStateException("no kafka-clients jars in " + dir
                        + "; build them with ./mvnw -pl cluster-tests -am test (or verify) first");
            }
        }
        Path classes = workDir.resolve("kafka-clients-driver");
        synchronized (MatrixClient.class) {
            if (!Files.exists(classes.resolve("KafkaClientsDriver.class"))) {
                compile(clientsSource().resolve("kafka-clients").resolve("KafkaClientsDriver.java"), oldest, classes);
            }
        }
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", jars.resolve("*") + File.pathSeparator + classes, "KafkaClientsDriver");
    }

    private static void compile(Path source, Path jars, Path classes) throws IOException {
        Files.createDirectories(classes);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter messages = new StringWriter();
        String classpath; // a wildcard is the java launcher's, not the compiler's: every jar by name
        try (Stream<Path> files = Files.list(jars)) {
            classpath = files.map(Path::toString).filter(f -> f.endsWith(".jar")).sorted()
                    .collect(Collectors.joining(File.pathSeparator));
        }
        boolean ok = javac.getTask(messages, null, null, List.of("--release", "17", "-d", classes.toString(), "-cp",
                classpath), null, javac.getStandardFileManager(null, null, null)
                .getJavaFileObjects(source.toFile())).call();
        if (!ok) {
            throw new IllegalStateException("the Java driver does not compile against " + jars + ":\n" + messages);
        }
    }

    /** Debian's Python 3 (not a pyenv one) with {@code module}, from the Debian package {@code pkg}. */
    private static List<String> python(String module, String pkg, String driverDir) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python), "/usr/bin/python3 is missing: apt-get install " + pkg);
        Run check = run(List.of(python.toString(), "-c", "import " + module), Path.of("."), Map.of(), Duration.ofSeconds(30));
        Assumptions.assumeTrue(check.exitCode == 0, "Python module " + module + " is not installed (apt-get install " + pkg
                + "; .ci/run does): " + check.output.strip());
        return List.of(python.toString(), "-u", clientsSource().resolve(driverDir).resolve("driver.py").toString());
    }

    private static List<String> kcat() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/kcat")), "kcat is not installed (apt-get install kcat; .ci/run does)");
        return List.of("/usr/bin/python3", "-u", clientsSource().resolve("kcat").resolve("driver.py").toString());
    }

    /**
     * KafkaJS from the npm registry at the version package-lock.json pins, installed with
     * {@code npm ci} into the work directory (never globally).
     */
    private static List<String> kafkajs(Path workDir) throws Exception {
        Assumptions.assumeTrue(onPath("node") && onPath("npm"), "node or npm is not installed (apt-get install nodejs npm; .ci/run does)");
        Path source = clientsSource().resolve("kafkajs");
        Path dir = Files.createDirectories(workDir.resolve("kafkajs"));
        for (String file : List.of("package.json", "package-lock.json", "driver.js")) {
            Files.copy(source.resolve(file), dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(dir.resolve("node_modules").resolve("kafkajs"))) {
            Run install = run(List.of("npm", "ci", "--no-audit", "--no-fund"), dir, Map.of(), Duration.ofMinutes(3));
            Assumptions.assumeTrue(install.exitCode == 0, "npm ci of KafkaJS failed (no npm registry?): " + install.output);
        }
        return List.of("node", dir.resolve("driver.js").toString());
    }

    /**
     * Sarama from Debian's source package, built offline: GOPATH is Debian's /usr/share/gocode,
     * without modules or a module proxy.
     */
    private static List<String> sarama(Path workDir) throws Exception {
        Path gocode = Path.of("/usr/share/gocode/src/github.com/Shopify/sarama");
        Assumptions.assumeTrue(onPath("go"), "go is not installed (apt-get install golang-go; .ci/run does)");
        Assumptions.assumeTrue(Files.isDirectory(gocode),
                "Sarama's source is not installed (apt-get install golang-github-shopify-sarama-dev; .ci/run does)");
        Path gopath = workDir.resolve("sarama-gopath");
        Path pkg = Files.createDirectories(gopath.resolve("src").resolve("saramadriver"));
        Files.copy(clientsSource().resolve("sarama").resolve("main.go"), pkg.resolve("main.go"), StandardCopyOption.REPLACE_EXISTING);
        Run version = run(List.of("dpkg-query", "-W", "-f=${Version}", "golang-github-shopify-sarama-dev"), pkg, Map.of(),
                Duration.ofSeconds(30));
        Path binary = workDir.resolve("sarama-driver");
        Run build = run(List.of("go", "build", "-ldflags", "-X main.saramaVersion=" + (version.exitCode() == 0
                ? version.output().strip() : "unknown"), "-o", binary.toString(), "."), pkg,
                Map.of("GOPATH", gopath + File.pathSeparator + "/usr/share/gocode", "GO111MODULE", "off", "GOFLAGS", "",
                        "GOPROXY", "off", "GOCACHE", workDir.resolve("go-cache").toString()), Duration.ofMinutes(4));
        if (build.exitCode != 0) {
            throw new IllegalStateException("the Sarama driver does not build:\n" + build.output);
        }
        return List.of(binary.toString());
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(File.pathSeparator)).anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }

    record Run(int exitCode, String output) {
    }

    /** Runs a preparation step with a deadline, its output merged; killed (with its children) at the deadline. */
    static Run run(List<String> command, Path dir, Map<String, String> env, Duration deadline) throws Exception {
        Path out = Files.createTempFile("matrix-prepare-", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile());
            builder.environment().putAll(env);
            Process process = ChildProcesses.start(builder);
            boolean finished = false;
            try {
                finished = process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
            } finally {
                if (!finished) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            if (!finished) {
                return new Run(-1, "did not finish within " + deadline + ": " + String.join(" ", command) + "\n" + Files.readString(out));
            }
            return new Run(process.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
