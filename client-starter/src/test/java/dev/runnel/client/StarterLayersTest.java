package dev.runnel.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import dev.runnel.testing.PackageLayers;

/**
 * The starter's package layers, from the bottom: {@code support} (payload conversion),
 * {@code core} (LogTemplate over KafkaTemplate), {@code listener} (@LogListener on Spring Kafka),
 * {@code autoconfigure} (Spring Boot). As in this module's README.
 */
class StarterLayersTest {

    static final PackageLayers LAYERS = PackageLayers.of(Path.of("src/main/java"), "dev.runnel.client")
            .layer("support")
            .layer("core", "support")
            .layer("listener", "support")
            .layer("autoconfigure", "core", "listener", "support");

    @Test
    void everyPackageKeepsToItsLayer() {
        assertThat(LAYERS.violations()).as("departures from the layer table%n%s",
                String.join(System.lineSeparator(), LAYERS.table())).isEmpty();
    }
}
