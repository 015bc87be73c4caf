package dev.runnel.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.yaml.snakeyaml.Yaml;

/**
 * The three Dockerfiles, as far as this machine (no Docker engine) can check them: each copies
 * the jar its module builds, runs as a non-root user, stops on SIGTERM, exposes the ports the
 * service listens on by default, starts Spring Boot's launcher; and the layer extraction its
 * build stage runs is run here on the real jar, giving the four layer directories it copies.
 */
class DockerfileTest {

    private static final Path ROOT = Path.of("..");

    private static String dockerfile(String module) throws Exception {
        return Files.readString(ROOT.resolve(module).resolve("Dockerfile"));
    }

    @SuppressWarnings("unchecked")
    private static Object setting(String module, String... path) throws Exception {
        Path yml = ROOT.resolve(module).resolve("src/main/resources/application.yml");
        Object node = new Yaml().load(Files.readString(yml));
        for (String key : path) {
            node = ((Map<String, Object>) node).get(key);
        }
        return node;
    }

    @ParameterizedTest
    @CsvSource({"broker-service", "controller-service", "gateway"})
    void theDockerfileFitsTheService(String module) throws Exception {
        String file = dockerfile(module);
        String jar = module + "/target/" + module + "-0.1.0-SNAPSHOT-exec.jar";
        assertThat(file).contains("COPY " + jar + " app.jar")
                .contains("RUN java -Djarmode=tools -jar app.jar extract --layers --launcher --destination extracted")
                .contains("STOPSIGNAL SIGTERM")
                .contains("ENTRYPOINT [\"java\", \"org.springframework.boot.loader.launch.JarLauncher\"]")
                .contains("-XX:MaxRAMPercentage=75");
        Matcher user = Pattern.compile("(?m)^USER (\\d+):(\\d+)$").matcher(file);
        assertThat(user.find()).as("a numeric USER").isTrue();
        assertThat(Integer.parseInt(user.group(1))).as("not root").isPositive();
        for (String layer : List.of("dependencies", "spring-boot-loader", "snapshot-dependencies", "application")) {
            assertThat(file).contains("COPY --from=layers /build/extracted/" + layer + "/ ./");
        }
        Matcher expose = Pattern.compile("(?m)^EXPOSE (.+)$").matcher(file);
        assertThat(expose.find()).isTrue();
        List<Integer> exposed = new ArrayList<>();
        for (String port : expose.group(1).trim().split("\\s+")) {
            exposed.add(Integer.parseInt(port));
        }
        List<Integer> listens = new ArrayList<>();
        if (module.equals("gateway")) {
            Path properties = ROOT.resolve("gateway/src/main/resources/runnel-gateway.properties");
            Matcher port = Pattern.compile("(?m)^server\\.port=(\\d+)$").matcher(Files.readString(properties));
            assertThat(port.find()).isTrue();
            listens.add(Integer.parseInt(port.group(1)));
        } else {
            listens.add((Integer) setting(module, "server", "port"));
        }
        if (module.equals("broker-service")) {
            listens.add((Integer) setting(module, "runnel", "broker", "kafka-port"));
            assertThat(file).contains("VOLUME /var/lib/runnel").contains("ENV RUNNEL_BROKER_LOG_DIRS=/var/lib/runnel");
        }
        assertThat(exposed).containsExactlyInAnyOrderElementsOf(listens);
    }

    @ParameterizedTest
    @CsvSource({"broker-service", "controller-service", "gateway"})
    void theBuildStageExtractsTheLayersTheImageCopies(String module, @TempDir Path dir) throws Exception {
        Path jar = ROOT.resolve(module + "/target/" + module + "-0.1.0-SNAPSHOT-exec.jar");
        Assumptions.assumeTrue(Files.exists(jar), "needs the packaged jar (./mvnw package)");
        Process extract = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djarmode=tools", "-jar", jar.toAbsolutePath().toString(), "extract", "--layers", "--launcher",
                "--destination", dir.resolve("extracted").toString()).redirectErrorStream(true).start();
        String output = new String(extract.getInputStream().readAllBytes());
        assertThat(extract.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(extract.exitValue()).as(output).isZero();
        for (String layer : List.of("dependencies", "spring-boot-loader", "snapshot-dependencies", "application")) {
            assertThat(dir.resolve("extracted").resolve(layer)).as(layer).isDirectory();
        }
        assertThat(dir.resolve("extracted/spring-boot-loader/org/springframework/boot/loader/launch/JarLauncher.class"))
                .exists();
        assertThat(dir.resolve("extracted/application/BOOT-INF/classes")).isDirectory();
    }
}
