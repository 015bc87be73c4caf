package dev.runnel.clustertest;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A {@link GroupConsumerMain} JVM started on this test run's classpath, and what it wrote: its
 * current assignment and every record it processed. It runs under a watchdog of the test JVM
 * ({@link ChildProcesses#watchedMain}), so it ends with it.
 */
final class GroupConsumerProcess implements AutoCloseable {

    private final String name;
    private final Path output;
    private final Path log;
    private final Process process;

    private GroupConsumerProcess(String name, Path output, Path log, Process process) {
        this.name = name;
        this.output = output;
        this.log = log;
        this.process = process;
    }

    /** Starts consumer {@code name} of {@code group} on {@code topic}, writing to {@code dir/name.out}. */
    static GroupConsumerProcess start(String name, Path dir, String bootstrap, String group, String topic,
            int sessionTimeoutMs) throws IOException {
        return start(name, dir, bootstrap, group, topic, sessionTimeoutMs, "classic");
    }

    /** As {@link #start(String, Path, String, String, String, int)}, on group protocol {@code protocol} (classic, consumer). */
    static GroupConsumerProcess start(String name, Path dir, String bootstrap, String group, String topic,
            int sessionTimeoutMs, String protocol) throws IOException {
        Path output = dir.resolve(name + ".out");
        Path log = dir.resolve(name + ".log");
        String logback;
        try {
            logback = Path.of(GroupConsumerProcess.class.getResource("/group-consumer-logback.xml").toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        List<String> command = new ArrayList<>(List.of(NodeProcess.java(), "-Xmx128m", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Dlogback.configurationFile=" + logback));
        command.addAll(ChildProcesses.watchedMain(System.getProperty("java.class.path"), GroupConsumerMain.class.getName()));
        command.addAll(List.of(bootstrap, group, topic, output.toString(), Integer.toString(sessionTimeoutMs), protocol));
        Files.writeString(output, "");
        Process process = ChildProcesses.start(new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()));
        return new GroupConsumerProcess(name, output, log, process);
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

    /** Its current assignment, as it last wrote it (empty before its first). */
    Set<Integer> assignment() throws IOException {
        Set<Integer> assigned = Set.of();
        for (String line : completeLines()) {
            if (line.startsWith("assigned")) {
                String partitions = line.substring("assigned".length()).trim();
                assigned = partitions.isEmpty() ? Set.of()
                        : new HashSet<>(Arrays.stream(partitions.split(",")).map(Integer::valueOf).toList());
            }
        }
        return assigned;
    }

    /** Every offset it processed, per partition (with repeats, if it processed a record again). */
    Map<Integer, List<Long>> processed() throws IOException {
        Map<Integer, List<Long>> offsets = new HashMap<>();
        for (String line : completeLines()) {
            if (line.startsWith("record ")) {
                String[] parts = line.split(" ");
                offsets.computeIfAbsent(Integer.valueOf(parts[1]), p -> new ArrayList<>()).add(Long.valueOf(parts[2]));
            }
        }
        return offsets;
    }

    /** The lines written so far, without a last line still being written. */
    private List<String> completeLines() throws IOException {
        String text = Files.readString(output, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : text.substring(0, end).lines().toList();
    }

    /** {@code kill -9}: no LeaveGroup, no commit; the coordinator notices only when its session expires. */
    void kill() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(process.pid())).inheritIO().start();
        kill.waitFor(10, TimeUnit.SECONDS);
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** The last lines of its log, for a failure message. */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "--- " + name + " log:\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "--- " + name + ": no log (" + e.getMessage() + ")";
        }
    }

    /** SIGTERM, so it leaves the group; kill -9 if it has not exited within 20 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
