package dev.runnel.clustertest;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.runnel.clustertest.ScaleScenario.Layout;

/** The rows of a {@link ScaleBenchmarkTest} run as a markdown report: one row per system and partition count. */
final class ScaleResults {

    /** One system at one partition count, on its own fresh cluster. */
    record Row(String system, Layout layout, String loadAverage, Map<String, StepResult> steps,
            Map<String, Map<String, Long>> heaps, Duration wallTime) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final Map<String, String> layouts = new LinkedHashMap<>();
    private final String started = OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString();

    void add(Row row, String systemLayout) {
        rows.add(row);
        layouts.put(row.system(), systemLayout);
    }

    /** The load average of the machine now (1, 5 and 15 minutes), from {@code /proc/loadavg}. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " / " + fields[1] + " / " + fields[2];
        } catch (IOException e) {
            return String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    String markdown() {
        StringBuilder md = new StringBuilder("# Runnel and Apache Kafka 4.4 at scale\n\n");
        md.append(String.format("Run %s on %d cores, %d GiB, Java %s; ScaleBenchmarkTest (./mvnw -Pscale, see"
                + " cluster-tests/pom.xml). Each row is a fresh cluster on 127.0.0.1; everything is stopped between rows.%n%n",
                started, Runtime.getRuntime().availableProcessors(), totalMemoryGiB(), System.getProperty("java.version")));
        layouts.forEach((system, layout) -> md.append("- ").append(system).append(": ").append(layout).append('\n'));
        md.append("""
                - create: one CreateTopics per topic, all in flight, until every broker's Metadata (raw v12, all topics) \
                shows every partition led, then until every partition has taken a record with acks=all (as in failover: a \
                baseline for it).
                - Metadata: 30 raw Metadata v12 requests for all topics to broker 1, one connection each, after 10 \
                warm-up requests.
                - failover: kill -9 of the active controller (Runnel: role ACTIVE; Kafka: the quorum leader); times \
                from the kill until a new 10-partition topic (CreateTopics retried) is accepted, then led on every \
                broker, then every partition of every topic has taken a record with acks=all (non-idempotent \
                producer, failures retried). The killed controller is restarted after, untimed.
                - broker restart: kill -9 of broker 2, untimed wait until describeTopics shows it gone (gone after \
                kill), restart, then until every ISR is full (RF 1: every partition led).
                - heap: used after a full GC (jcmd GC.run, GC.heap_info), MiB, after the last step.

                | system | partitions | load avg at start | start | create | Metadata, all topics | controller failover \
                | broker 2 restart | heap after full GC (MiB) | row time |
                |---|---|---|---|---|---|---|---|---|---|
                """);
        for (Row row : rows) {
            md.append("| ").append(String.join(" | ", row.system(), row.layout().toString(), row.loadAverage(),
                    cell(row, "start"), cell(row, "create"), cell(row, "metadata"), cell(row, "failover"),
                    cell(row, "broker restart"), lastHeaps(row), StepResult.format(row.wallTime()))).append(" |\n");
        }
        md.append("\nHeap used after a full GC, MiB, after each step:\n\n| system | partitions | after | heaps |\n|---|---|---|---|\n");
        for (Row row : rows) {
            row.heaps().forEach((step, heaps) -> md.append("| ").append(String.join(" | ", row.system(),
                    row.layout().toString(), step, heaps(heaps))).append(" |\n"));
        }
        return md.toString();
    }

    private static String cell(Row row, String step) {
        StepResult result = row.steps().get(step);
        return result == null ? "" : result.cell().replace("|", "/").replace("\n", " ");
    }

    private static String lastHeaps(Row row) {
        List<Map<String, Long>> all = new ArrayList<>(row.heaps().values());
        return all.isEmpty() ? "" : heaps(all.get(all.size() - 1));
    }

    private static String heaps(Map<String, Long> heaps) {
        return heaps.entrySet().stream().map(e -> e.getKey() + " " + (e.getValue() < 0 ? "?" : e.getValue()))
                .collect(Collectors.joining(", "));
    }

    private static long totalMemoryGiB() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return Math.round(os.getTotalMemorySize() / (1024.0 * 1024 * 1024));
        }
        return -1;
    }
}
