package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import org.junit.jupiter.api.Test;

/**
 * The gateway and the cluster as real processes: the active controller is {@code kill -9}'d (no
 * goodbye to ZooKeeper, so the standby takes over only when its session expires), and an admin
 * call made through the gateway right after is answered, by the new active controller, with no
 * error to the caller, only a slower answer.
 */
class GatewayControllerKillProcessTest {

    private static final String AUTH = "Basic " + Base64.getEncoder().encodeToString(
            "ops:kill-test-password".getBytes(StandardCharsets.UTF_8));

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private HttpResponse<String> call(ProcessCluster cluster, String method, String path, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(cluster.gatewayUrl() + path))
                .timeout(Duration.ofSeconds(90)).header("Authorization", AUTH)
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean active(ProcessCluster cluster, int controller) {
        try {
            return "ACTIVE".equals(cluster.get(cluster.controllerUrl(controller) + "/api/v1/controller",
                    java.util.Map.class).get("role"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void anAdminCallRightAfterTheActiveControllerIsKilledIsAnsweredByTheNextOne() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster("gateway-kill")) {
            cluster.startController(1);
            await("controller 1 active").atMost(Duration.ofSeconds(90)).until(() -> active(cluster, 1));
            cluster.startController(2);
            cluster.startBroker(1, "--runnel.broker.offsets-topic.replication-factor=1");
            await("controller 2 up, broker 1 registered").atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() ->
                    cluster.get(cluster.controllerUrl(2) + "/actuator/health", java.util.Map.class) != null
                            && cluster.get(cluster.controllerUrl(1) + "/api/v1/brokers", java.util.List.class).size() == 1);
            cluster.startGateway("--runnel.gateway.security.users[0].name=ops",
                    "--runnel.gateway.security.users[0].password=kill-test-password",
                    "--runnel.gateway.security.users[0].role=ADMIN");
            await("the gateway has found both controllers").atMost(Duration.ofSeconds(90)).ignoreExceptions()
                    .untilAsserted(() -> assertThat(call(cluster, "GET", "/cluster", null).body())
                            .contains(cluster.controllerUrl(1)).contains(cluster.controllerUrl(2)));

            HttpResponse<String> before = call(cluster, "POST", "/api/v1/topics", "{\"name\": \"before-kill\", \"partitions\": 1}");
            assertThat(before.statusCode()).as(before.body()).isEqualTo(201);
            assertThat(before.headers().firstValue("X-Runnel-Controller")).contains(cluster.controllerUrl(1));

            cluster.node("controller-1").kill();
            long start = System.nanoTime();
            HttpResponse<String> created = call(cluster, "POST", "/api/v1/topics", "{\"name\": \"after-kill\", \"partitions\": 1}");
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            HttpResponse<String> listed = call(cluster, "GET", "/api/v1/topics", null);

            assertThat(created.statusCode()).as(created.body() + "\n" + cluster.logTails()).isEqualTo(201);
            assertThat(created.headers().firstValue("X-Runnel-Controller")).contains(cluster.controllerUrl(2));
            assertThat(listed.statusCode()).isEqualTo(200);
            assertThat(listed.body()).contains("before-kill", "after-kill");
            System.out.printf("An admin call made right after kill -9 of the active controller was answered by controller 2"
                    + " after %d ms (ZooKeeper session timeout 6000 ms)%n", tookMs);
        }
    }
}
