package dev.runnel.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.runnel.testing.PackageLayers;

/**
 * The broker's architecture as rules on its sources: which package may use which, and where
 * kafka-clients may be used.
 *
 * <p>Packages, from the bottom: {@code config} (the broker's settings), {@code zookeeper} (state
 * the brokers keep in ZooKeeper themselves: watched subtrees, compare-and-set writes, group
 * configs), {@code purgatory}, {@code security}, {@code metadata} (the cluster as this broker knows it), {@code record} (the
 * record format), {@code storage} (partition logs), {@code kafka} (the wire adapter),
 * {@code replication} (partitions, the replica manager: the one append and read path, followers),
 * {@code group} (the group coordinator, which knows the log only as {@code GroupLog}),
 * {@code transaction} (the transaction coordinator, which knows the log only as {@code TransactionLog}
 * and the partitions' leaders only as {@code TransactionMarkerSender}),
 * {@code cluster} (membership, the controller's commands), {@code protocol} (the Kafka listener
 * and API handlers), {@code ops} (health, metrics, endpoints), and the application package that
 * wires them.
 *
 * <p>kafka-clients' internal classes move between releases, so production code reaches them only
 * through the two adapter packages: {@code dev.runnel.broker.kafka} (the wire) and
 * {@code dev.runnel.broker.record} (the record format, below storage); this keeps a library upgrade
 * a change to those two packages.
 *
 * <p>The protocol handlers ({@code dev.runnel.broker.protocol}) build requests' answers from the
 * generated message classes, which are the wire schema itself: they may use those, the API keys,
 * error codes and {@code Uuid}, and nothing else of kafka-clients. The group coordinator
 * ({@code dev.runnel.broker.group}) speaks in Kafka's error codes, since its answers are the
 * protocol's, and uses nothing else of kafka-clients; so do the transaction coordinator
 * ({@code dev.runnel.broker.transaction}), the share contract and share coordinator
 * ({@code share}, {@code sharestate}, which also name topics by Kafka's {@code Uuid}) and the application package
 * ({@code dev.runnel.broker}), whose {@code ReplicatedGroupLog} hands the group coordinator the
 * replica manager's failures as those codes.
 */
class BrokerLayersTest {

    private static final Path MAIN_SOURCES = Path.of("src/main/java");
    private static final Path ADAPTER = MAIN_SOURCES.resolve("dev/runnel/broker/kafka");
    private static final Path RECORD = MAIN_SOURCES.resolve("dev/runnel/broker/record");
    private static final Path PROTOCOL = MAIN_SOURCES.resolve("dev/runnel/broker/protocol");
    private static final Path GROUP = MAIN_SOURCES.resolve("dev/runnel/broker/group");
    private static final Path TRANSACTION = MAIN_SOURCES.resolve("dev/runnel/broker/transaction");
    private static final Path SHARE = MAIN_SOURCES.resolve("dev/runnel/broker/share");
    private static final Path SHARE_STATE = MAIN_SOURCES.resolve("dev/runnel/broker/sharestate");
    private static final Path APPLICATION = MAIN_SOURCES.resolve("dev/runnel/broker");
    private static final String ERRORS = "org.apache.kafka.common.protocol.Errors";
    private static final String UUID = "org.apache.kafka.common.Uuid";
    private static final Pattern KAFKA_NAME = Pattern.compile("org\\.apache\\.kafka\\.[\\w.]+");
    private static final List<String> PROTOCOL_SCHEMA = List.of("org.apache.kafka.common.message.",
            "org.apache.kafka.common.protocol.ApiKeys", "org.apache.kafka.common.protocol.ApiMessage",
            "org.apache.kafka.common.protocol.Errors", "org.apache.kafka.common.Uuid");

    static final PackageLayers LAYERS = PackageLayers.of(MAIN_SOURCES, "dev.runnel.broker")
            .layer("config")
            .layer("zookeeper", "config")
            .layer("quota", "zookeeper")
            .layer("purgatory")
            .layer("security", "zookeeper")
            .layer("metadata")
            .layer("record")
            .layer("storage", "record")
            .layer("sharestate")
            .layer("kafka", "storage", "security", "sharestate")
            .layer("replication", "kafka", "metadata", "purgatory", "security", "storage")
            .layer("group", "config", "sharestate")
            .layer("transaction")
            .layer("share", "config", "replication", "sharestate", "storage")
            .layer("cluster", "config", "metadata", "replication")
            .layer("protocol", "cluster", "config", "group", "kafka", "metadata", "quota", "replication", "security",
                    "share", "sharestate", "storage", "transaction", "zookeeper")
            .layer("ops", "cluster", "config", "group", "kafka", "metadata", "quota", "replication", "storage")
            .layer("", "cluster", "config", "group", "kafka", "metadata", "protocol", "quota", "record", "replication",
                    "security", "share", "sharestate", "storage", "transaction", "zookeeper");

    @Test
    void everyPackageKeepsToItsLayer() {
        assertThat(LAYERS.violations()).as("departures from the layer table%n%s",
                String.join(System.lineSeparator(), LAYERS.table())).isEmpty();
    }

    @Test
    void onlyTheAdapterPackagesImportKafkaClients() throws IOException {
        assertThat(ADAPTER).isDirectory();
        assertThat(RECORD).isDirectory();
        List<Path> offenders;
        try (Stream<Path> files = Files.walk(MAIN_SOURCES)) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !p.startsWith(ADAPTER) && !p.startsWith(RECORD) && !p.startsWith(PROTOCOL))
                    .filter(p -> kafkaNames(p).stream().anyMatch(name -> !(speaksErrorCodes(p) && name.equals(ERRORS))
                            && !(namesTopicsById(p) && name.equals(UUID))))
                    .toList();
        }
        assertThat(offenders).as("classes outside %s and %s that use org.apache.kafka", ADAPTER, RECORD).isEmpty();
    }

    @Test
    void theProtocolHandlersUseOnlyTheWireSchema() throws IOException {
        List<String> internals;
        try (Stream<Path> files = Files.walk(PROTOCOL)) {
            internals = files.filter(p -> p.toString().endsWith(".java"))
                    .flatMap(p -> kafkaNames(p).stream().map(name -> p.getFileName() + ": " + name))
                    .filter(use -> PROTOCOL_SCHEMA.stream().noneMatch(allowed -> use.contains(": " + allowed)))
                    .toList();
        }
        assertThat(internals).as("kafka-clients classes in %s beyond the wire schema", PROTOCOL).isEmpty();
    }

    /**
     * The group, transaction and share coordinators, the share contract, and the application
     * package's own classes (not its subpackages).
     */
    private static boolean speaksErrorCodes(Path file) {
        return file.startsWith(GROUP) || file.startsWith(TRANSACTION) || file.startsWith(SHARE)
                || file.startsWith(SHARE_STATE) || file.getParent().equals(APPLICATION);
    }

    /**
     * Share partitions, the share coordinator and the group coordinator's share groups name a share
     * partition's topic by Kafka's {@code Uuid}, as {@code ShareStatePersister.Key} does.
     */
    private static boolean namesTopicsById(Path file) {
        return file.startsWith(SHARE) || file.startsWith(SHARE_STATE) || file.startsWith(GROUP);
    }

    private static List<String> kafkaNames(Path file) {
        try {
            Matcher matcher = KAFKA_NAME.matcher(Files.readString(file));
            return matcher.results().map(MatchResult::group).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
