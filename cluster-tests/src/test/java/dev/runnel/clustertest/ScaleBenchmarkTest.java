package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.runnel.clustertest.ScaleScenario.Layout;

/**
 * A measurement, not an assertion on time: Runnel (2 controllers, 3 brokers) and Apache Kafka 4.4
 * in KRaft mode (3 controllers, 3 brokers) with many partitions, each system and partition count
 * on a fresh cluster, through the steps of {@link ScaleScenario}. Writes
 * {@code target/scale-results.md} after every row and prints it at the end. Fails at the end only
 * if a Runnel step did not finish (Kafka is the reference, reported as it went).
 *
 * <p>Only in profile {@code scale}, which also gathers Kafka's jars:
 * {@code ./mvnw -Pscale -pl cluster-tests -am verify -Dtest=ScaleBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false},
 * with {@code -Drunnel.scale.systems=runnel,kafka}, {@code -Drunnel.scale.partitions=1000,10000,50000} and
 * {@code -Drunnel.scale.step-deadline=PT10M} to choose. Replication factor 3 up to 10,000 partitions and 1 above
 * (or {@code -Drunnel.scale.replication-factor}): a broker process may hold 20,000 open files here, and every
 * partition replica keeps its log open, in Kafka as in Runnel.
 */
class ScaleBenchmarkTest {

    private static final List<String> SYSTEMS = list("runnel.scale.systems", "runnel,kafka");
    private static final List<Integer> PARTITIONS = list("runnel.scale.partitions", "1000,10000,50000").stream()
            .map(Integer::parseInt).toList();
    private static final Duration STEP_DEADLINE = Duration.parse(System.getProperty("runnel.scale.step-deadline", "PT10M"));
    private static final Integer REPLICATION_FACTOR = Integer.getInteger("runnel.scale.replication-factor");

    /** The same heaps and JIT for both systems (Runnel's test processes default to C1 only, for fast starts). */
    static final List<String> CONTROLLER_JVM = List.of("-Xmx1g", "-XX:TieredStopAtLevel=4");
    static final List<String> BROKER_JVM = List.of("-Xmx2g", "-XX:TieredStopAtLevel=4");

    private static final Path RESULTS = Path.of("target", "scale-results.md");

    @Test
    void runnelAndKafkaWithThousandsOfPartitions() throws Exception {
        ScaleResults results = new ScaleResults();
        List<String> runnelFailures = new ArrayList<>();
        for (int partitions : PARTITIONS) {
            Layout layout = Layout.of(partitions, REPLICATION_FACTOR != null ? REPLICATION_FACTOR
                    : partitions <= 10_000 ? 3 : 1);
            for (String name : SYSTEMS) {
                String label = name + "-" + partitions;
                ScaleSystem system = system(name, label);
                ScaleResults.Row row;
                try {
                    row = run(system, layout);
                } finally {
                    try {
                        system.close();
                    } catch (Exception e) {
                        System.out.println(label + ": stopping the cluster failed: " + e);
                    }
                }
                results.add(row, system.layout());
                row.steps().values().stream().filter(s -> !s.finished() && row.system().equals("Runnel"))
                        .forEach(s -> runnelFailures.add(layout + " " + s));
                Files.createDirectories(RESULTS.getParent());
                Files.writeString(RESULTS, results.markdown());
            }
        }
        System.out.println(results.markdown());
        System.out.println("Written to " + RESULTS.toAbsolutePath());
        assertThat(runnelFailures).as("Runnel steps that did not finish").isEmpty();
    }

    private static ScaleResults.Row run(ScaleSystem system, Layout layout) {
        String load = ScaleResults.loadAverage();
        long start = System.nanoTime();
        Map<String, StepResult> steps = new LinkedHashMap<>();
        Map<String, Map<String, Long>> heaps = new LinkedHashMap<>();
        System.out.printf("%s, %s partitions, load average %s%n", system.name(), layout, load);
        record(system, steps, ScaleScenario.start(system, Duration.ofMinutes(5)));
        if (steps.get("start").finished()) {
            heaps.put("start", ScaleScenario.heapsAfterFullGc(system));
            record(system, steps, ScaleScenario.create(system, layout, STEP_DEADLINE));
            heaps.put("create", ScaleScenario.heapsAfterFullGc(system));
        }
        if (steps.containsKey("create") && steps.get("create").finished()) {
            record(system, steps, ScaleScenario.metadataLatency(system, 1, layout, 30));
            heaps.put("metadata", ScaleScenario.heapsAfterFullGc(system));
            record(system, steps, ScaleScenario.failover(system, layout, STEP_DEADLINE));
            heaps.put("failover", ScaleScenario.heapsAfterFullGc(system));
            record(system, steps, ScaleScenario.brokerRestart(system, layout, 2, STEP_DEADLINE));
            heaps.put("broker restart", ScaleScenario.heapsAfterFullGc(system));
        } else {
            String why = steps.containsKey("create") ? "create did not finish" : "the cluster did not start";
            for (String step : List.of("create", "metadata", "failover", "broker restart")) {
                steps.putIfAbsent(step, StepResult.skipped(step, why));
            }
        }
        heaps.values().removeIf(Map::isEmpty);
        return new ScaleResults.Row(system.name(), layout, load, steps, heaps,
                Duration.ofNanos(System.nanoTime() - start));
    }

    private static void record(ScaleSystem system, Map<String, StepResult> steps, StepResult result) {
        System.out.printf("  %s %s%n", system.name(), result);
        if (!result.finished()) {
            System.out.println(system.logTails());
        }
        steps.put(result.step(), result);
    }

    private static ScaleSystem system(String name, String label) {
        return switch (name.trim()) {
            case "runnel" -> new RunnelScaleSystem(label, CONTROLLER_JVM, BROKER_JVM);
            case "kafka" -> new KafkaReferenceCluster(label, CONTROLLER_JVM, BROKER_JVM);
            default -> throw new IllegalArgumentException("runnel.scale.systems: unknown system " + name);
        };
    }

    private static List<String> list(String property, String defaults) {
        return Arrays.stream(System.getProperty(property, defaults).split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).toList();
    }
}
