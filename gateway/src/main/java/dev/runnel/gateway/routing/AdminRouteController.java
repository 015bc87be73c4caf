package dev.runnel.gateway.routing;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.InternalHttp;
import dev.runnel.cluster.web.HttpRelay;
import dev.runnel.common.time.Ticker;
import dev.runnel.gateway.GatewayProperties;
import dev.runnel.gateway.web.ProxyException;
import dev.runnel.gateway.web.RequestBodies;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code /api/v1/**}: the controller's admin API, relayed to the active controller. A controller
 * that cannot be reached, or answers 503 (a standby with no active controller, an election under
 * way), is tried again, the next candidate first, until {@code runnel.gateway.admin-route-timeout}
 * has passed; so a caller sees a failover only as a slower answer. A call that reached a
 * controller and then lost its answer is retried only if it is a read: a write's outcome is then
 * unknown, and that is what the caller is told (502).
 *
 * <p>The gateway has already authenticated the caller and checked their role (READ for a read,
 * ADMIN for a change); it calls the controller as a Runnel service, with the cluster secret
 * ({@code runnel.cluster.secret}), and never passes the caller's own credentials on.
 */
@RestController
@Tag(name = "Admin", description = "The controller's admin API (/api/v1/**), routed to the active controller")
class AdminRouteController {

    private static final Logger log = LoggerFactory.getLogger(AdminRouteController.class);

    private static final List<String> REQUEST_HEADERS = List.of("Content-Type", "Accept");
    private static final List<String> RESPONSE_HEADERS = List.of("Content-Type", "Location", "Retry-After");
    private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS");
    private static final Duration BACKOFF = Duration.ofMillis(200);
    /** Names the controller that answered. */
    static final String ROUTED_TO_HEADER = "X-Runnel-Controller";

    private final ControllerLocator locator;
    private final GatewayProperties properties;
    private final String clusterSecret;
    private final Ticker ticker;
    private final InternalHttp http;

    AdminRouteController(ControllerLocator locator, GatewayProperties properties, Ticker gatewayTicker,
            @Value("${runnel.cluster.secret:}") String clusterSecret, InternalHttp http) {
        this.http = http;
        this.locator = locator;
        this.properties = properties;
        this.ticker = gatewayTicker;
        this.clusterSecret = clusterSecret;
    }

    @RequestMapping("/api/v1/**")
    @Operation(summary = "Any admin API call (topics, configs, partitions, brokers, groups, controller status);"
            + " see the controller's API")
    void route(HttpServletRequest request, HttpServletResponse response) throws IOException, InterruptedException {
        if (!locator.configured()) {
            throw new ProxyException(HttpStatus.SERVICE_UNAVAILABLE, "no-controller",
                    "The gateway has no ZooKeeper configured, so it cannot find a controller");
        }
        if (clusterSecret.isEmpty()) {
            throw new ProxyException(HttpStatus.SERVICE_UNAVAILABLE, "no-controller-credentials",
                    "The gateway has no cluster secret (runnel.cluster.secret), which controllers take from it");
        }
        byte[] body = RequestBodies.read(request, properties.getMaxRequestSize());
        boolean read = READS.contains(request.getMethod());
        long deadline = ticker.nanoTime() + properties.getAdminRouteTimeout().toNanos();
        String lastFailure = "no controller is registered";
        while (true) {
            for (URI controller : locator.candidates()) {
                HttpRequest.Builder forwarded = HttpRelay.forward(request, body, controller,
                        properties.getAdminTimeout(), REQUEST_HEADERS).header(InternalApi.SECRET_HEADER, clusterSecret);
                HttpResponse<byte[]> answer;
                try {
                    answer = http.client().send(forwarded.build(), HttpResponse.BodyHandlers.ofByteArray());
                } catch (ConnectException | HttpConnectTimeoutException e) {
                    lastFailure = "controller " + controller + " is unreachable";
                    continue;
                } catch (IOException e) {
                    if (!read) {
                        throw new ProxyException(HttpStatus.BAD_GATEWAY, "controller-outcome-unknown", "Controller "
                                + controller + " took the call but gave no answer (" + e.getClass().getSimpleName()
                                + "); check whether it took effect before repeating it");
                    }
                    lastFailure = "controller " + controller + " gave no answer";
                    continue;
                }
                if (answer.statusCode() == HttpStatus.UNAUTHORIZED.value()) {
                    log.warn("Controller {} refused the gateway's cluster secret", controller);
                    throw new ProxyException(HttpStatus.BAD_GATEWAY, "controller-refused-gateway", "Controller "
                            + controller + " refused the gateway's credentials: is runnel.cluster.secret the cluster's?");
                }
                if (answer.statusCode() == HttpStatus.SERVICE_UNAVAILABLE.value()) {
                    lastFailure = "controller " + controller + " answered 503";
                    continue;
                }
                relay(answer, controller, response);
                return;
            }
            if (ticker.nanoTime() - deadline >= 0) {
                log.warn("No controller answered {} {}: {}", request.getMethod(), request.getRequestURI(), lastFailure);
                throw new ProxyException(HttpStatus.SERVICE_UNAVAILABLE, "no-controller",
                        "No active controller answered within " + properties.getAdminRouteTimeout() + ": " + lastFailure);
            }
            ticker.sleep(BACKOFF);
        }
    }

    private static void relay(HttpResponse<byte[]> answer, URI controller, HttpServletResponse response)
            throws IOException {
        response.setHeader(ROUTED_TO_HEADER, controller.toString());
        HttpRelay.relay(answer, response, RESPONSE_HEADERS);
    }
}
