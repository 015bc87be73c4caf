package dev.runnel.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

class RunnelStandaloneTest {

    @Test
    void aChildProcessOnPortZeroPrintsReadyAndServesClientsUntilItIsStopped() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long start = System.nanoTime();
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                RunnelStandalone.class.getName(), "--kafka-port=0", "--advertised=localhost:0")
                .redirectErrorStream(true).start();
        try {
            CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> readyLine(process));
            String line = ready.get(180, TimeUnit.SECONDS);
            System.out.printf("RUNNEL-TEST standalone process printed '%s' %d ms after it was started%n", line,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            assertThat(line).matches("RUNNEL READY bootstrap\\.servers=localhost:\\d+");
            String bootstrap = line.substring(line.indexOf('=') + 1);

            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                admin.createTopics(List.of(new NewTopic("standalone", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
            }
            RunnelClusterTest.produce(bootstrap, "standalone", 3);
            assertThat(RunnelClusterTest.consume(bootstrap, "standalone", "g", 3))
                    .containsExactly("value-0", "value-1", "value-2");

            process.destroy(); // SIGTERM: the shutdown hook closes the cluster
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
        } finally {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Reads the process's output, echoing it, until the READY line; keeps draining it afterwards. */
    private static String readyLine(Process process) {
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        try {
            String line;
            while ((line = reader.readLine()) != null) {
                System.out.println("[standalone] " + line);
                if (line.startsWith(RunnelStandalone.READY)) {
                    String found = line;
                    Thread drain = new Thread(() -> reader.lines().forEach(l -> System.out.println("[standalone] " + l)));
                    drain.setDaemon(true);
                    drain.start();
                    return found;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("the process ended without printing " + RunnelStandalone.READY);
    }

    @Test
    void optionsComeFromArgumentsThenTheEnvironment() {
        Map<String, String> env = Map.of("RUNNEL_KAFKA_PORT", "19092", "RUNNEL_ADVERTISED", "kafka:29092");
        RunnelStandalone.Options options = RunnelStandalone.Options.parse(
                new String[] {"--advertised=localhost:1234", "--runnel.broker.num-io-threads=2"}, env::get);

        assertThat(options.kafkaPort()).isEqualTo(19092);
        assertThat(options.advertised()).isEqualTo("localhost:1234");
        assertThat(options.listenHost()).isEqualTo("127.0.0.1");
        assertThat(options.brokerProperties()).containsEntry("runnel.broker.num-io-threads", "2");
        assertThat(RunnelStandalone.Options.parse(new String[0], name -> null).kafkaPort()).isEqualTo(9092);
    }

    @Test
    void badOptionsAreRefusedWithTheirName() {
        for (List<String> args : List.of(List.of("--kafka-port=70000"), List.of("--kafka-port=x"),
                List.of("--advertised=nohost"), List.of("--colour=blue"), List.of("plain"))) {
            assertThatThrownBy(() -> RunnelStandalone.Options.parse(args.toArray(String[]::new), name -> null))
                    .as(args.toString()).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
