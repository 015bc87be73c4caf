package dev.runnel.clustertest;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Apache Kafka's own command-line tools ({@code TopicCommand}, {@code ConsoleProducer}, ...), each
 * run as a child JVM on the classpath that {@code kafka-reference/tools} gathered: Kafka's tools
 * with their own {@code kafka-clients}, never this module's classpath. Every run has a deadline;
 * a tool still running at its deadline is killed and the run fails with what it printed.
 */
final class KafkaTools {

    /** What a tool printed and how it ended. */
    record Result(String tool, int exitCode, String stdout, String stderr) {

        List<String> stdoutLines() {
            return stdout.lines().toList();
        }

        /** For assertion messages. */
        String describe() {
            return tool + " exited with " + exitCode + "\n--- stdout:\n" + stdout + "--- stderr:\n" + stderr;
        }
    }

    private final Path classpathDir;
    private final Path workDir;
    private final AtomicInteger runs = new AtomicInteger();

    private KafkaTools(Path classpathDir, Path workDir) {
        this.classpathDir = classpathDir;
        this.workDir = workDir;
    }

    /**
     * The tools in {@code ../kafka-reference/tools/target/kafka-tools}; stdin and output files of
     * each run go to {@code workDir}.
     */
    static KafkaTools locate(Path workDir) {
        Path dir = Path.of("..", "kafka-reference", "tools", "target", "kafka-tools").toAbsolutePath().normalize();
        if (!Files.isRegularFile(dir.resolve("log4j2.properties"))) {
            throw new IllegalStateException("Kafka's tools are not in " + dir
                    + "; build them with ./mvnw verify (or ./mvnw -pl kafka-reference/tools -am install) first");
        }
        return new KafkaTools(dir, workDir);
    }

    /** Runs {@code mainClass args...} with no input. */
    Result run(Duration deadline, String mainClass, String... args) throws IOException, InterruptedException {
        return runWithInput(deadline, "", mainClass, args);
    }

    /** Runs {@code mainClass args...} with {@code stdin} as its standard input (then end of file). */
    Result runWithInput(Duration deadline, String stdin, String mainClass, String... args)
            throws IOException, InterruptedException {
        String tool = mainClass.substring(mainClass.lastIndexOf('.') + 1);
        String name = runs.incrementAndGet() + "-" + tool;
        Path in = Files.writeString(workDir.resolve(name + ".in"), stdin, StandardCharsets.UTF_8);
        Path out = workDir.resolve(name + ".out");
        Path err = workDir.resolve(name + ".err");
        // Short-lived JVMs on a small machine: the C1 compiler only and a small serial heap start fastest.
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", classpathDir.resolve("*") + File.pathSeparator + classpathDir, mainClass));
        command.addAll(List.of(args));
        Process process = ChildProcesses.start(new ProcessBuilder(command).directory(workDir.toFile())
                .redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()));
        boolean finished = false;
        try {
            finished = process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            if (!finished) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        Result result = new Result(tool, finished ? process.exitValue() : -1, Files.readString(out), Files.readString(err));
        if (!finished) {
            throw new AssertionError(tool + " did not finish within " + deadline + " and was killed\n" + result.describe());
        }
        return result;
    }
}
