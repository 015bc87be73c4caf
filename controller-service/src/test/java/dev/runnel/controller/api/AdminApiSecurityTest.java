package dev.runnel.controller.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.cluster.InternalApi;
import dev.runnel.controller.ControllerApplication;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.testing.RawHttp;

/**
 * Who may call a controller: the admin API needs a caller authenticated by HTTP basic, an API key
 * or the cluster secret, reads need READ and changes ADMIN; Actuator's probes are open, its health
 * details, metrics and Prometheus only for authenticated callers; refusals are problems. Unless
 * told otherwise, a controller listens on loopback only, and it answers only to its own names in
 * {@code Host} (DNS rebinding).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminApiSecurityTest {

    private static final String SECRET = "security-test-cluster-secret";
    private static final String ADMIN_KEY = "an-admin-api-key-of-some-length";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private TestingServer zookeeper;
    private ConfigurableApplicationContext controller;
    private String base;

    @BeforeAll
    void start() throws Exception {
        zookeeper = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1"), true);
        controller = run("--runnel.http.allowed-hosts=admin.example.com,.corp.example",
                "--runnel.controller.host=controller-1.internal.example",
                "--runnel.cluster.security.users[0].name=ops",
                "--runnel.cluster.security.users[0].password=ops-password",
                "--runnel.cluster.security.users[0].role=ADMIN",
                "--runnel.cluster.security.users[1].name=viewer",
                "--runnel.cluster.security.users[1].password=viewer-password",
                "--runnel.cluster.security.users[1].role=READ",
                "--runnel.cluster.security.api-keys[0].name=ci",
                "--runnel.cluster.security.api-keys[0].key=" + ADMIN_KEY,
                "--runnel.cluster.security.api-keys[0].role=ADMIN");
        base = "http://127.0.0.1:" + controller.getEnvironment().getProperty("local.server.port");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> controller.getBean(ActiveController.class).role() == ActiveController.Role.ACTIVE);
    }

    private ConfigurableApplicationContext run(String... more) {
        List<String> args = new ArrayList<>(List.of("--server.port=0",
                "--spring.cloud.zookeeper.connect-string=" + zookeeper.getConnectString(),
                "--runnel.cluster.secret=" + SECRET, "--spring.cloud.zookeeper.discovery.register=false"));
        args.addAll(List.of(more));
        return new SpringApplicationBuilder(ControllerApplication.class).run(args.toArray(String[]::new));
    }

    @AfterAll
    void stop() throws Exception {
        if (controller != null) {
            controller.close();
        }
        zookeeper.close();
    }

    private HttpResponse<String> call(String method, String path, Map<String, String> headers) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString("{\"set\":{\"retention.ms\":\"1000\"}}"))
                .header("Content-Type", "application/json");
        headers.forEach(request::header);
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static Map<String, String> basic(String user, String password) {
        return Map.of("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void anonymousCallsToTheAdminApiAreRefused() throws Exception {
        for (String[] call : List.of(new String[] {"GET", "/api/v1/topics"}, new String[] {"GET", "/api/v1/controller"},
                new String[] {"GET", "/api/v1/brokers"}, new String[] {"PATCH", "/api/v1/topics/t/configs"},
                new String[] {"DELETE", "/api/v1/topics/t"})) {
            HttpResponse<String> refused = call(call[0], call[1], Map.of());
            assertThat(refused.statusCode()).as(call[0] + " " + call[1]).isEqualTo(401);
            assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                    v -> assertThat(v).startsWith("application/problem+json"));
            assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                    v -> assertThat(v).startsWith("Basic"));
            assertThat(refused.body()).contains("unauthenticated");
        }
        assertThat(call("GET", "/api/v1/topics", basic("ops", "wrong")).statusCode()).isEqualTo(401);
        assertThat(call("GET", "/api/v1/topics", Map.of("X-API-Key", "not-a-key-we-know-of")).statusCode()).isEqualTo(401);
        assertThat(call("GET", "/api/v1/topics", Map.of(InternalApi.SECRET_HEADER, "guess")).statusCode()).isEqualTo(401);
    }

    @Test
    void readersReadAndOnlyAdminsChange() throws Exception {
        assertThat(call("GET", "/api/v1/topics", basic("viewer", "viewer-password")).statusCode()).isEqualTo(200);
        HttpResponse<String> forbidden = call("PATCH", "/api/v1/topics/t/configs", basic("viewer", "viewer-password"));
        assertThat(forbidden.statusCode()).isEqualTo(403);
        assertThat(forbidden.body()).contains("forbidden", "ADMIN");

        for (Map<String, String> admin : List.of(basic("ops", "ops-password"), Map.of("X-API-Key", ADMIN_KEY),
                Map.of(InternalApi.SECRET_HEADER, SECRET))) {
            HttpResponse<String> let = call("PATCH", "/api/v1/topics/t/configs", admin);
            assertThat(let.statusCode()).as("past security, the controller itself answers: %s", let.body()).isEqualTo(404);
            assertThat(let.body()).contains("unknown-topic");
            assertThat(call("GET", "/api/v1/controller", admin).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void probesAreOpenButHealthDetailsAndMetricsNeedACaller() throws Exception {
        for (String probe : List.of("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness")) {
            HttpResponse<String> open = call("GET", probe, Map.of());
            assertThat(open.statusCode()).as(probe).isEqualTo(200);
            assertThat(open.body()).contains("\"status\":\"UP\"").doesNotContain("components", "controller");
        }
        assertThat(call("GET", "/actuator/health", basic("viewer", "viewer-password")).body())
                .contains("components", "zookeeper", "controller");
        for (String guarded : List.of("/actuator/prometheus", "/actuator/metrics", "/actuator/info", "/actuator")) {
            assertThat(call("GET", guarded, Map.of()).statusCode()).as(guarded).isEqualTo(401);
        }
        HttpResponse<String> prometheus = call("GET", "/actuator/prometheus", basic("viewer", "viewer-password"));
        assertThat(prometheus.statusCode()).isEqualTo(200);
        assertThat(prometheus.body()).contains("runnel_controller_active");
    }

    @Test
    void aRequestForAHostNameTheControllerDoesNotAnswerToIsRefusedBeforeAnythingElse() throws Exception {
        int port = Integer.parseInt(controller.getEnvironment().getProperty("local.server.port"));
        String admin = "Authorization: Basic " + Base64.getEncoder().encodeToString(
                "ops:ops-password".getBytes(StandardCharsets.UTF_8));
        for (String rebound : List.of("attacker.example", "attacker.example:" + port, "admin.example.com.attacker.example")) {
            RawHttp.Answer refused = RawHttp.get(port, "/api/v1/topics", rebound, admin);
            assertThat(refused.status()).as(rebound).isEqualTo(421);
            assertThat(refused.headers()).contains("application/problem+json");
            assertThat(refused.body()).contains("host-not-allowed", "runnel.http.allowed-hosts");
            assertThat(RawHttp.get(port, "/actuator/health", rebound).status()).isEqualTo(421);
        }
        for (String own : List.of("localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "admin.example.com",
                "controller-1.internal.example:" + port, "ops.corp.example", "192.0.2.7")) {
            assertThat(RawHttp.get(port, "/api/v1/topics", own, admin).status()).as(own).isEqualTo(200);
        }
        assertThat(RawHttp.get(port, "/actuator/health/liveness", null).status()).as("no Host (HTTP/1.0)").isEqualTo(200);
    }

    @Test
    void theControllerListensOnLoopbackUnlessToldOtherwise() throws Exception {
        int port = Integer.parseInt(controller.getEnvironment().getProperty("local.server.port"));
        Optional<InetAddress> external = NetworkInterface.networkInterfaces().filter(AdminApiSecurityTest::isUp)
                .flatMap(NetworkInterface::inetAddresses).filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .findFirst();
        Assumptions.assumeTrue(external.isPresent(), "this machine has no address but loopback");
        try (Socket socket = new Socket()) {
            assertThatThrownBy(() -> socket.connect(new InetSocketAddress(external.get(), port), 2_000))
                    .as("connecting to %s:%d", external.get(), port).isInstanceOf(IOException.class);
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
        }
    }

    private static boolean isUp(NetworkInterface network) {
        try {
            return network.isUp();
        } catch (SocketException e) {
            return false;
        }
    }

    @Test
    void aHalfConfiguredUserOrAShortKeyStopsTheStart() {
        assertThatThrownBy(() -> run("--runnel.cluster.security.users[0].name=ops").close())
                .hasStackTraceContaining("runnel.cluster.security.users[0] needs a name and a password");
        assertThatThrownBy(() -> run("--runnel.cluster.security.api-keys[0].name=ci",
                "--runnel.cluster.security.api-keys[0].key=short").close())
                .hasStackTraceContaining("runnel.cluster.security.api-keys[0] needs a name and a key of at least 16");
    }
}
