package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A child JVM for the storage's kill -9 tests: the test's classpath, a small heap, stderr to a
 * file, stdout for the test to read; ended with SIGKILL by {@code kill -9}, or forcibly on close.
 */
final class ChildJvm implements AutoCloseable {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private final Process process;
    private final Path stderr;

    private ChildJvm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
    }

    /** Starts {@code main} with {@code args}, its stderr to {@code stderr}. */
    static ChildJvm start(Class<?> main, Path stderr, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(command).redirectError(stderr.toFile()).start(), stderr);
    }

    OutputStream stdin() {
        return process.getOutputStream();
    }

    InputStream stdout() {
        return process.getInputStream();
    }

    void assertAlive() {
        assertThat(process.isAlive()).as(() -> "the child exited on its own with status " + process.exitValue()
                + "; its stderr:\n" + stderrText()).isTrue();
    }

    /**
     * Sends SIGKILL with {@code kill -9} and waits for the child to die and for {@code stdoutEnded}
     * (the reader of its stdout has seen the end).
     */
    void killNine(BooleanSupplier stdoutEnded) throws IOException {
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(process.pid())).redirectErrorStream(true).start();
        await("kill -9").atMost(DEADLINE).pollInterval(Duration.ofMillis(10)).until(() -> !kill.isAlive());
        assertThat(kill.exitValue()).as("exit status of kill -9").isZero();
        await("the killed child's end").atMost(DEADLINE).pollInterval(Duration.ofMillis(10))
                .until(() -> !process.isAlive() && stdoutEnded.getAsBoolean());
        assertThat(process.exitValue()).as("exit status of a process ended by SIGKILL").isEqualTo(128 + 9);
    }

    private String stderrText() {
        try {
            return Files.readString(stderr);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
