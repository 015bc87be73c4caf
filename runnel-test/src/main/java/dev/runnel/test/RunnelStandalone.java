package dev.runnel.test;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;

/**
 * A whole Runnel cluster as one process: ZooKeeper, a controller and one broker (a {@link
 * RunnelCluster}), for a container image that tests start (Testcontainers) or a quick local
 * broker. Data lives in a temporary directory, deleted when the process stops (SIGTERM, Ctrl-C).
 *
 * <pre>
 * java -cp runnel-test-exec.jar dev.runnel.test.RunnelStandalone \
 *     [--kafka-port=9092] [--listen-host=127.0.0.1] [--advertised=HOST:PORT] [--brokers=1] \
 *     [--runnel.broker.NAME=VALUE ...] [--runnel.controller.NAME=VALUE ...]
 * </pre>
 *
 * Each option may also come from the environment: {@code RUNNEL_KAFKA_PORT}, {@code
 * RUNNEL_LISTEN_HOST}, {@code RUNNEL_ADVERTISED}, {@code RUNNEL_BROKERS}; an argument wins. The
 * broker's Kafka listener binds {@code listen-host:kafka-port} (port 0: any free port) and tells
 * clients {@code advertised} (a port of 0 there: the port bound), by default {@code
 * 127.0.0.1:<bound port>}. In a container: {@code --listen-host=0.0.0.0
 * --advertised=<host the test connects to>:<mapped port>}. Every other port (ZooKeeper, the
 * nodes' HTTP) is ephemeral on loopback. Once clients can connect, one line is printed:
 *
 * <pre>RUNNEL READY bootstrap.servers=HOST:PORT</pre>
 */
public final class RunnelStandalone {

    /** The line printed once clients can connect, followed by {@code bootstrap.servers=...}. */
    public static final String READY = "RUNNEL READY";

    private RunnelStandalone() {
    }

    /** The settings, from arguments first, then the environment, then the defaults. */
    record Options(int kafkaPort, String listenHost, String advertised, int brokers, Map<String, String> brokerProperties,
            Map<String, String> controllerProperties) {

        static Options parse(String[] args, UnaryOperator<String> environment) {
            Map<String, String> values = new LinkedHashMap<>();
            values.put("kafka-port", environment.apply("RUNNEL_KAFKA_PORT"));
            values.put("listen-host", environment.apply("RUNNEL_LISTEN_HOST"));
            values.put("advertised", environment.apply("RUNNEL_ADVERTISED"));
            values.put("brokers", environment.apply("RUNNEL_BROKERS"));
            Map<String, String> broker = new LinkedHashMap<>();
            Map<String, String> controller = new LinkedHashMap<>();
            for (String arg : args) {
                int eq = arg.indexOf('=');
                if (!arg.startsWith("--") || eq < 0) {
                    throw new IllegalArgumentException("expected --NAME=VALUE, not " + arg);
                }
                String name = arg.substring(2, eq);
                String value = arg.substring(eq + 1);
                if (name.startsWith("runnel.broker.")) {
                    broker.put(name, value);
                } else if (name.startsWith("runnel.controller.")) {
                    controller.put(name, value);
                } else if (values.containsKey(name)) {
                    values.put(name, value);
                } else {
                    throw new IllegalArgumentException("unknown option --" + name);
                }
            }
            int port = number("kafka-port", values.get("kafka-port"), 9092);
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--kafka-port must be 0 to 65535, not " + port);
            }
            String advertised = values.get("advertised");
            if (advertised != null && !advertised.matches("[^:\\s]+:\\d{1,5}")) {
                throw new IllegalArgumentException("--advertised must be HOST:PORT, not " + advertised);
            }
            String listenHost = values.get("listen-host") == null ? "127.0.0.1" : values.get("listen-host");
            return new Options(port, listenHost, advertised, number("brokers", values.get("brokers"), 1), broker,
                    controller);
        }

        private static int number(String name, String value, int otherwise) {
            if (value == null || value.isBlank()) {
                return otherwise;
            }
            try {
                return Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + name + " must be a number, not " + value, e);
            }
        }
    }

    public static void main(String[] args) throws InterruptedException {
        Options options;
        try {
            options = Options.parse(args, System::getenv);
        } catch (IllegalArgumentException e) {
            System.err.println("RunnelStandalone: " + e.getMessage());
            System.exit(2);
            return;
        }
        RunnelCluster cluster = start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                cluster.close();
            } finally {
                stopped.countDown();
            }
        }, "runnel-standalone-stop"));
        printReady(System.out, cluster, options);
        stopped.await();
    }

    static RunnelCluster start(Options options) {
        RunnelCluster.Builder builder = RunnelCluster.builder().brokers(options.brokers());
        if (options.brokers() == 1) {
            // One listener, bound where asked and advertised as asked (a port of 0 advertises the one bound).
            builder.brokerProperty("runnel.broker.listeners",
                    "PLAINTEXT://" + options.listenHost() + ":" + options.kafkaPort());
            if (options.advertised() != null) {
                builder.brokerProperty("runnel.broker.advertised-listeners", "PLAINTEXT://" + options.advertised());
            }
        }
        options.brokerProperties().forEach(builder::brokerProperty);
        options.controllerProperties().forEach(builder::controllerProperty);
        return builder.start();
    }

    static void printReady(PrintStream out, RunnelCluster cluster, Options options) {
        String bootstrap = cluster.bootstrapServers();
        if (options.brokers() == 1 && options.advertised() != null) {
            String[] hostPort = options.advertised().split(":");
            bootstrap = hostPort[1].equals("0") ? hostPort[0] + ":" + bootstrap.substring(bootstrap.indexOf(':') + 1)
                    : options.advertised();
        }
        out.println(READY + " bootstrap.servers=" + bootstrap);
        out.flush();
    }
}
