package dev.runnel.cluster.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

import dev.runnel.common.process.PortFile;

class ProcessConfigurationTest {

    @TempDir
    Path dir;

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties
    @Import(ProcessConfiguration.class)
    static class WithAListener {

        @Bean
        ListenerPort kafkaListenerPort() {
            return new ListenerPort("kafka", () -> 40117);
        }
    }

    @Test
    void aReadyServiceWritesItsPidAndPortsToThePortFile() throws Exception {
        Path file = dir.resolve("node.ports");
        try (ConfigurableApplicationContext context = run("--runnel.process.port-file=" + file)) {
            PortFile written = PortFile.read(file).orElseThrow();

            assertThat(written.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(written.ports()).containsExactlyEntriesOf(Map.of("kafka", 40117));
        }
    }

    @Test
    void withoutAPortFileNothingIsWritten() throws Exception {
        try (ConfigurableApplicationContext context = run()) {
            assertThat(context.getBeansOfType(PortFileWriter.class)).isEmpty();
        }
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    private static ConfigurableApplicationContext run(String... args) {
        return new SpringApplicationBuilder(WithAListener.class).web(WebApplicationType.NONE)
                .logStartupInfo(false).run(args);
    }
}
