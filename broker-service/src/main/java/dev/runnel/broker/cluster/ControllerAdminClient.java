package dev.runnel.broker.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.ControllerInfo;
import dev.runnel.cluster.web.Problems;

/**
 * The broker's calls to the active controller's admin API, for Kafka requests that change
 * metadata (CreateTopics, DeleteTopics, CreatePartitions), with the cluster secret as credentials.
 * Non-blocking: answers arrive as futures, so a Kafka connection's event loop never waits on HTTP.
 */
public final class ControllerAdminClient {

    /** The controller's answer: a 2xx body, or the problem's type (the part after the base URI) and detail. */
    public record Answer(int status, byte[] body, String problemType, String detail) {

        public boolean ok() {
            return status / 100 == 2;
        }
    }

    private final ControllerClient controller;

    public ControllerAdminClient(ControllerClient controller) {
        this.controller = controller;
    }

    /** Sends {@code method} {@code path} (under {@code /api/v1}) with an optional JSON body. */
    public CompletableFuture<Answer> call(String method, String path, Object body, Duration timeout) {
        Optional<ControllerInfo> active;
        try {
            active = controller.activeController();
        } catch (IOException e) {
            return CompletableFuture.completedFuture(notController(e.getMessage()));
        }
        if (active.isEmpty()) {
            return CompletableFuture.completedFuture(notController("no controller is active"));
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(active.get().url() + "/api/v1" + path))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(ClusterJson.write(body)));
        return controller.sendAuthenticated(builder)
                .thenApply(ControllerAdminClient::answer)
                .exceptionally(e -> notController("the active controller is unreachable: " + e.getMessage()));
    }

    /** A path segment, percent-encoded. */
    public static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static Answer answer(HttpResponse<byte[]> response) {
        if (response.statusCode() / 100 == 2) {
            return new Answer(response.statusCode(), response.body(), null, null);
        }
        String type = "unknown";
        String detail = "HTTP " + response.statusCode();
        try {
            Map<?, ?> problem = ClusterJson.read(response.body(), Map.class, "a problem response");
            Object typeUri = problem.get("type");
            if (typeUri instanceof String uri && uri.startsWith(Problems.TYPE_BASE)) {
                type = uri.substring(Problems.TYPE_BASE.length());
            }
            if (problem.get("detail") instanceof String text) {
                detail = text;
            }
        } catch (IllegalStateException e) {
            // not a problem body: keep the status
        }
        return new Answer(response.statusCode(), response.body(), type, detail);
    }

    private static Answer notController(String detail) {
        return new Answer(503, new byte[0], "not-controller", detail);
    }
}
