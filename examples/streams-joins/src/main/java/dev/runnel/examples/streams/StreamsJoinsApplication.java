package dev.runnel.examples.streams;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * Runs {@link JoinsTopology} with Kafka Streams, and answers interactive queries of its state
 * stores over HTTP: {@code GET /stores/<store>} lists what this instance holds ({@code key=value}
 * lines, sorted; 503 while the store is not queryable here, during a rebalance or a restore),
 * {@code GET /state} says the instance's state and its active tasks.
 *
 * <p>Arguments are {@code name=value} pairs: any Kafka Streams setting (they override the
 * defaults below; {@code consumer.*}, {@code producer.*} and {@code topic.*} prefixes included),
 * and this application's own:
 * <ul>
 * <li>{@code query.port}: the HTTP port, 7070 by default; 0 for any free one, -1 for none;</li>
 * <li>{@code query.host}: the address it binds and advertises ({@code application.server}), 127.0.0.1;</li>
 * <li>{@code query.port.file}: a file to write {@code port=<bound port>} to once it listens;</li>
 * <li>{@code create.topics}: whether to create the input and output topics when missing (true),
 * with {@code topics.partitions} partitions (3) and {@code topics.replication.factor} replicas
 * (-1: the cluster's default).</li>
 * </ul>
 */
public final class StreamsJoinsApplication {

    private static final Logger LOG = LoggerFactory.getLogger(StreamsJoinsApplication.class);

    private StreamsJoinsApplication() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> settings = parse(args);
        int queryPort = Integer.parseInt(settings.getOrDefault("query.port", "7070"));
        String queryHost = settings.getOrDefault("query.host", "127.0.0.1");
        Optional<Path> portFile = Optional.ofNullable(settings.get("query.port.file")).map(Path::of);
        boolean createTopics = Boolean.parseBoolean(settings.getOrDefault("create.topics", "true"));
        int partitions = Integer.parseInt(settings.getOrDefault("topics.partitions", "3"));
        short replicationFactor = Short.parseShort(settings.getOrDefault("topics.replication.factor", "-1"));
        List.of("query.port", "query.host", "query.port.file", "create.topics", "topics.partitions",
                "topics.replication.factor").forEach(settings::remove);

        HttpServer server = null;
        if (queryPort >= 0) {
            server = HttpServer.create(new InetSocketAddress(queryHost, queryPort), 0);
            settings.putIfAbsent(StreamsConfig.APPLICATION_SERVER_CONFIG,
                    queryHost + ":" + server.getAddress().getPort());
        }
        Properties config = config(settings);
        LOG.info("Streams joins: application {} on {}, processing.guarantee={}", config.get(
                StreamsConfig.APPLICATION_ID_CONFIG), config.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG),
                config.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        if (createTopics) {
            createTopics(config, partitions, replicationFactor);
        }

        KafkaStreams streams = new KafkaStreams(JoinsTopology.build(), config);
        CountDownLatch stopped = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            LOG.info("Streams joins: state {} -> {}", before, now);
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
        });
        HttpServer queries = server;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (queries != null) {
                queries.stop(0);
            }
            streams.close(Duration.ofSeconds(30));
            stopped.countDown();
        }, "streams-joins-shutdown"));
        streams.start();
        if (server != null) {
            server.createContext("/stores/", exchange -> answer(exchange, () -> queryStore(streams,
                    exchange.getRequestURI().getPath().substring("/stores/".length()))));
            server.createContext("/state", exchange -> answer(exchange, () -> state(streams)));
            server.start();
            int port = server.getAddress().getPort();
            LOG.info("Streams joins: interactive queries on http://{}:{}/stores/<store> ({})", queryHost, port,
                    String.join(", ", JoinsTopology.QUERYABLE_STORES));
            if (portFile.isPresent()) {
                Path temporary = portFile.get().resolveSibling(portFile.get().getFileName() + ".tmp");
                Files.writeString(temporary, "port=" + port + "\n", StandardCharsets.UTF_8);
                Files.move(temporary, portFile.get(), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            }
        }
        stopped.await();
        if (streams.state() == KafkaStreams.State.ERROR) {
            LOG.error("Streams joins: the application failed");
            System.exit(1);
        }
    }

    /** The defaults, overridden by {@code settings}. */
    public static Properties config(Map<String, String> settings) {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "streams-joins");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        config.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
        config.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
        config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
        // No record caches: every input record forwards its update (one count per order, one join result per
        // change), as the README describes the output.
        config.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
        // The outer join's records without partner are emitted when their window closes, checked at most once a
        // second of wall-clock time by default: at every record here, so that the last record of a run emits them.
        config.put("__emit.interval.ms.kstreams.outer.join.spurious.results.fix__", "0");
        // The classic rebalance protocol (the KIP-1071 "streams" group protocol is not served).
        config.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, "classic");
        config.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        config.putAll(settings);
        return config;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> settings = new TreeMap<>();
        for (String arg : args) {
            int equals = arg.indexOf('=');
            if (equals <= 0) {
                System.err.println("Usage: StreamsJoinsApplication [name=value ...] (Kafka Streams settings, "
                        + "query.port, query.host, query.port.file, create.topics, topics.partitions, "
                        + "topics.replication.factor); not: " + arg);
                System.exit(2);
            }
            settings.put(arg.substring(0, equals), arg.substring(equals + 1));
        }
        return settings;
    }

    private static void createTopics(Properties config, int partitions, short replicationFactor)
            throws InterruptedException, ExecutionException, TimeoutException {
        Properties adminConfig = new Properties();
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
        config.stringPropertyNames().stream().filter(name -> name.startsWith("security.") || name.startsWith("sasl.")
                || name.startsWith("ssl.")).forEach(name -> adminConfig.put(name, config.getProperty(name)));
        try (Admin admin = Admin.create(adminConfig)) {
            List<String> topics = new ArrayList<>(JoinsTopology.INPUT_TOPICS);
            topics.addAll(JoinsTopology.OUTPUT_TOPICS);
            for (String topic : topics) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions),
                            replicationFactor < 0 ? Optional.empty() : Optional.of(replicationFactor))))
                            .all().get(30, TimeUnit.SECONDS);
                    LOG.info("Streams joins: created topic {} ({} partitions)", topic, partitions);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    // ---- interactive queries ------------------------------------------------------------------

    @FunctionalInterface
    private interface Answer {
        String body() throws IOException;
    }

    private static void answer(HttpExchange exchange, Answer answer) throws IOException {
        int status;
        String body;
        try {
            body = answer.body();
            status = body == null ? 404 : 200;
            if (body == null) {
                body = "no such store; stores: " + String.join(", ", JoinsTopology.QUERYABLE_STORES) + "\n";
            }
        } catch (InvalidStateStoreException e) {
            status = 503; // rebalancing, restoring, or not running: ask again
            body = e.getMessage() + "\n";
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** What this instance holds of {@code store}: {@code key=value} lines, sorted by key; null for an unknown store. */
    public static String queryStore(KafkaStreams streams, String store) {
        Map<String, String> entries = new TreeMap<>();
        if (store.equals(JoinsTopology.ORDERS_PER_MINUTE_STORE)) {
            ReadOnlyWindowStore<String, Long> windows = streams.store(StoreQueryParameters.fromNameAndType(store,
                    QueryableStoreTypes.<String, Long>windowStore()));
            try (KeyValueIterator<Windowed<String>, Long> all = windows.all()) {
                all.forEachRemaining(entry -> entries.put(JoinsTopology.windowKey(entry.key), entry.value.toString()));
            }
        } else if (JoinsTopology.QUERYABLE_STORES.contains(store)) {
            ReadOnlyKeyValueStore<String, String> table = streams.store(StoreQueryParameters.fromNameAndType(store,
                    QueryableStoreTypes.<String, String>keyValueStore()));
            try (KeyValueIterator<String, String> all = table.all()) {
                all.forEachRemaining((KeyValue<String, String> entry) -> entries.put(entry.key, entry.value));
            }
        } else {
            return null;
        }
        return entries.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue() + "\n")
                .collect(Collectors.joining());
    }

    /** {@code state=<KafkaStreams state>} and {@code active=<its active tasks, comma-separated>}. */
    public static String state(KafkaStreams streams) {
        String active = streams.metadataForLocalThreads().stream().map(ThreadMetadata::activeTasks)
                .flatMap(tasks -> tasks.stream()).map(task -> task.taskId().toString()).sorted()
                .collect(Collectors.joining(","));
        return "state=" + streams.state() + "\nactive=" + active + "\n";
    }
}
