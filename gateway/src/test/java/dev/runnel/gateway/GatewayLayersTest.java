package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import dev.runnel.testing.PackageLayers;

/**
 * The gateway's package layers, from the bottom: {@code web} (refusals as problem details,
 * request limits), the application package (settings, time, the gateway's Kafka clients), then
 * the features: {@code routing} (admin calls to the active controller), {@code proxy} (the REST
 * proxy), {@code consumer} (REST consumers); {@code security} stands apart. As in this module's
 * README.
 */
class GatewayLayersTest {

    static final PackageLayers LAYERS = PackageLayers.of(Path.of("src/main/java"), "dev.runnel.gateway")
            .layer("web")
            .layer("", "web")
            .layer("routing", "", "web")
            .layer("proxy", "", "routing", "web")
            .layer("consumer", "", "proxy", "web")
            .layer("security");

    @Test
    void everyPackageKeepsToItsLayer() {
        assertThat(LAYERS.violations()).as("departures from the layer table%n%s",
                String.join(System.lineSeparator(), LAYERS.table())).isEmpty();
    }
}
