package dev.runnel.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * kafka-clients' internal classes move between releases, so production code reaches them only
 * through {@code dev.runnel.broker.kafka}; this keeps a library upgrade a one-package change.
 */
class KafkaClientsBoundaryTest {

    private static final Path MAIN_SOURCES = Path.of("src/main/java");
    private static final Path ADAPTER = MAIN_SOURCES.resolve("dev/runnel/broker/kafka");

    @Test
    void onlyTheAdapterPackageImportsKafkaClients() throws IOException {
        assertThat(ADAPTER).isDirectory();
        List<Path> offenders;
        try (Stream<Path> files = Files.walk(MAIN_SOURCES)) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !p.startsWith(ADAPTER))
                    .filter(KafkaClientsBoundaryTest::mentionsKafkaClients)
                    .toList();
        }
        assertThat(offenders).as("classes outside %s that use org.apache.kafka", ADAPTER).isEmpty();
    }

    private static boolean mentionsKafkaClients(Path file) {
        try {
            return Files.readString(file).contains("org.apache.kafka.");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
