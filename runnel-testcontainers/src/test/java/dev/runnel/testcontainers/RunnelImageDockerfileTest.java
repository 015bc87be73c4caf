package dev.runnel.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The image's Dockerfile and entrypoint, as far as a machine without a Docker engine can check
 * them (as deploy-tests' DockerfileTest does for the services' images): it copies the jars the
 * modules build to where the entrypoint looks, runs it as a non-root user, exposes the ports
 * RunnelContainer uses, and the README builds it under RunnelContainer's default image name.
 */
class RunnelImageDockerfileTest {

    private static final Path ROOT = Path.of("..");

    private static String dockerfile() throws Exception {
        return Files.readString(Path.of("Dockerfile"));
    }

    private static String script() throws Exception {
        return Files.readString(NativeRunnelContainer.script());
    }

    @Test
    void theImageCopiesTheJarsTheModulesBuildToWhereTheEntrypointLooks() throws Exception {
        String file = dockerfile();
        String version = RunnelContainer.projectVersion();
        for (String[] jar : new String[][] {{"local-zookeeper", "zookeeper.jar"}, {"controller-service", "controller.jar"},
                {"broker-service", "broker.jar"}}) {
            String module = jar[0];
            assertThat(file).contains("COPY " + module + "/target/" + module + "-" + version + "-exec.jar " + jar[1]);
            assertThat(Files.readString(ROOT.resolve(module).resolve("pom.xml")))
                    .as("the jar's name is the module's artifactId").contains("<artifactId>" + module + "</artifactId>");
            assertThat(script()).contains("$RUNNEL_HOME/" + jar[1]);
        }
        assertThat(file).contains("WORKDIR /opt/runnel").contains("ENV RUNNEL_HOME=/opt/runnel RUNNEL_DATA=/var/lib/runnel")
                .contains("COPY runnel-testcontainers/src/main/docker/runnel-standalone bin/runnel-standalone")
                .contains("ENTRYPOINT [\"/opt/runnel/bin/runnel-standalone\"]")
                .contains("STOPSIGNAL SIGTERM")
                .contains("chown runnel:runnel /var/lib/runnel");
        Matcher user = Pattern.compile("(?m)^USER (\\d+):(\\d+)$").matcher(file);
        assertThat(user.find()).as("a numeric USER").isTrue();
        assertThat(Integer.parseInt(user.group(1))).as("not root").isPositive();
        assertThat(Files.isExecutable(NativeRunnelContainer.script())).as("the entrypoint is executable in git").isTrue();
    }

    @Test
    void theImageExposesTheListenersRunnelContainerUses() throws Exception {
        Matcher expose = Pattern.compile("(?m)^EXPOSE (.+)$").matcher(dockerfile());
        assertThat(expose.find()).isTrue();
        List<Integer> exposed = new ArrayList<>();
        for (String port : expose.group(1).trim().split("\\s+")) {
            exposed.add(Integer.parseInt(port));
        }
        assertThat(exposed).containsExactlyInAnyOrder(RunnelContainer.KAFKA_PORT, RunnelContainer.INTERNAL_KAFKA_PORT);
        assertThat(script()).contains("KAFKA_PORT=${RUNNEL_KAFKA_PORT:-" + RunnelContainer.KAFKA_PORT + "}")
                .contains("INTERNAL_PORT=${RUNNEL_INTERNAL_PORT:-" + RunnelContainer.INTERNAL_KAFKA_PORT + "}");
    }

    @Test
    void theEntrypointSpeaksRunnelContainersProtocol() throws Exception {
        assertThat(script()).contains("RUNNEL_START_FILE").contains(RunnelContainer.START_FILE_END)
                .contains("say() { printf 'runnel-standalone: %s\\n' \"$*\"; }")
                .contains("say \"Runnel is ready, bootstrap servers $advertised\"");
        assertThat(RunnelContainer.READY_LINE).isEqualTo("runnel-standalone: Runnel is ready");
        Process syntax = new ProcessBuilder("bash", "-n", NativeRunnelContainer.script().toString())
                .redirectErrorStream(true).start();
        String output = new String(syntax.getInputStream().readAllBytes());
        assertThat(syntax.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(syntax.exitValue()).as(output).isZero();
    }

    @Test
    void theReadmeBuildsTheImageRunnelContainerStartsByDefault() throws Exception {
        String image = RunnelContainer.DEFAULT_IMAGE_NAME.withTag(RunnelContainer.projectVersion()).asCanonicalNameString();
        String build = "docker build -f runnel-testcontainers/Dockerfile -t " + image.replace("docker.io/", "")
                .replace("library/", "") + " .";
        assertThat(Files.readString(Path.of("README.md"))).contains(build);
        assertThat(dockerfile()).contains(build);
    }
}
