package dev.runnel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import dev.runnel.testing.PackageLayers;

/**
 * cluster-api's package layers, as in its README: the root package (the contract: layout,
 * records, internal API) uses none of the others; {@code web} builds on it, {@code security} on
 * both; {@code zookeeper} uses it for the layout's paths; {@code process} stands apart.
 */
class ClusterApiLayersTest {

    static final PackageLayers LAYERS = PackageLayers.of(Path.of("src/main/java"), "dev.runnel.cluster")
            .layer("")
            .layer("web", "")
            .layer("security", "", "web")
            .layer("process")
            .layer("zookeeper", "");

    @Test
    void everyPackageKeepsToItsLayer() {
        assertThat(LAYERS.violations()).as("departures from the layer table%n%s",
                String.join(System.lineSeparator(), LAYERS.table())).isEmpty();
    }
}
