package dev.runnel.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import dev.runnel.testing.PackageLayers;

/**
 * The controller's package layers, from the bottom: {@code placement} (pure placement rules),
 * {@code metadata} (the state machine and the ZooKeeper store), {@code channel} (commands to
 * brokers), {@code election} (the latch and the active controller's event loop), the application
 * package that wires them, then {@code api} (the HTTP API) and {@code ops} (health, metrics).
 * As in this module's README.
 */
class ControllerLayersTest {

    static final PackageLayers LAYERS = PackageLayers.of(Path.of("src/main/java"), "dev.runnel.controller")
            .layer("placement")
            .layer("metadata", "placement")
            .layer("channel", "metadata")
            .layer("election", "channel", "metadata")
            .layer("", "election")
            .layer("api", "", "channel", "election", "metadata", "placement")
            .layer("ops", "channel", "election", "metadata");

    @Test
    void everyPackageKeepsToItsLayer() {
        assertThat(LAYERS.violations()).as("departures from the layer table%n%s",
                String.join(System.lineSeparator(), LAYERS.table())).isEmpty();
    }
}
