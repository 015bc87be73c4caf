package dev.runnel.common.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortFileTest {

    @TempDir
    Path dir;

    @Test
    void whatIsWrittenIsReadBack() throws Exception {
        Path file = dir.resolve("broker-1.ports");
        new PortFile(4242, Map.of("http", 40111, "kafka", 40117)).write(file);

        PortFile read = PortFile.read(file).orElseThrow();

        assertThat(read.pid()).isEqualTo(4242);
        assertThat(read.port("http")).isEqualTo(40111);
        assertThat(read.port("kafka")).isEqualTo(40117);
        assertThat(read.ports()).containsOnlyKeys("http", "kafka");
    }

    @Test
    void aSecondWriteReplacesTheFirstAndLeavesNoTemporaryFile() throws Exception {
        Path file = dir.resolve("controller-1.ports");
        new PortFile(1, Map.of("http", 1000)).write(file);
        new PortFile(2, Map.of("http", 2000)).write(file);

        assertThat(PortFile.read(file).orElseThrow()).isEqualTo(new PortFile(2, Map.of("http", 2000)));
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void noFileIsNoReportYet() throws Exception {
        assertThat(PortFile.read(dir.resolve("absent.ports"))).isEmpty();
    }

    @Test
    void anUnreportedListenerIsAClearError() {
        PortFile ports = new PortFile(1, Map.of("http", 1000));

        assertThatThrownBy(() -> ports.port("kafka")).hasMessageContaining("no port 'kafka' reported");
    }
}
