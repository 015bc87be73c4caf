package dev.runnel.controller.api;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.runnel.cluster.ControllerInfo;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.InternalHttp;
import dev.runnel.cluster.ZkReads;
import dev.runnel.cluster.web.HttpRelay;
import dev.runnel.cluster.web.Problems;
import dev.runnel.cluster.web.RequestPaths;
import dev.runnel.controller.election.ActiveController;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * On a standby controller, forwards admin and internal API calls to the active controller and
 * relays its answer, so a caller may talk to any controller and never gets stale data. The active
 * controller is the one last recorded in ZooKeeper. A call already forwarded once is not forwarded
 * again; with no reachable active controller the answer is 503 with {@code Retry-After}.
 *
 * <p>It runs after Spring Security's filter chain, so only a call this controller has
 * authenticated and authorized is forwarded, and it goes with the cluster secret as its
 * credentials: the caller's own (a password, an API key) never leave this controller.
 */
public final class StandbyForwardingFilter extends OncePerRequestFilter {

    /** Marks a forwarded call with the forwarding controller's id. */
    public static final String FORWARDED_HEADER = "X-Runnel-Forwarded-By";

    private static final List<String> COPIED_REQUEST_HEADERS = List.of("Content-Type", "Accept");
    private static final List<String> COPIED_RESPONSE_HEADERS = List.of("Content-Type", "Location", "Retry-After");

    private final CuratorFramework zk;
    private final ActiveController controller;
    private final String secret;
    private final InternalHttp http;
    private final Duration timeout;

    public StandbyForwardingFilter(CuratorFramework zk, ActiveController controller, String secret, Duration timeout,
            InternalHttp http) {
        this.zk = zk;
        this.controller = controller;
        this.secret = secret;
        this.timeout = timeout;
        this.http = http;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        boolean routed = (RequestPaths.isUnder(request, "/api/v1") && !RequestPaths.isUnder(request, "/api/v1/controller"))
                || RequestPaths.isUnder(request, InternalApi.PREFIX);
        return !routed || controller.role() == ActiveController.Role.ACTIVE;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getHeader(FORWARDED_HEADER) != null) {
            unavailable(response, "Controller " + controller.controllerId()
                    + " received a forwarded call but is not the active controller; retry");
            return;
        }
        Optional<ControllerInfo> active;
        try {
            active = ZkReads.activeController(zk);
        } catch (Exception e) {
            unavailable(response, "Cannot look up the active controller in ZooKeeper: " + e.getMessage());
            return;
        }
        if (active.isEmpty() || active.get().id() == controller.controllerId()) {
            unavailable(response, "No active controller right now (an election is under way); retry");
            return;
        }
        forward(request, response, active.get());
    }

    private void forward(HttpServletRequest request, HttpServletResponse response, ControllerInfo active)
            throws IOException {
        byte[] body = request.getInputStream().readAllBytes();
        HttpRequest.Builder forwarded = HttpRelay.forward(request, body, URI.create(active.url()), timeout,
                COPIED_REQUEST_HEADERS).header(FORWARDED_HEADER, Integer.toString(controller.controllerId()))
                .header(InternalApi.SECRET_HEADER, secret);
        HttpResponse<byte[]> answer;
        try {
            answer = http.client().send(forwarded.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unavailable(response, "Interrupted while forwarding to the active controller");
            return;
        } catch (ConnectException | HttpConnectTimeoutException e) {
            unavailable(response, "The active controller " + active.id() + " at " + active.url()
                    + " is unreachable (" + e.getClass().getSimpleName() + "); retry");
            return;
        } catch (IOException e) {
            if (!"GET".equals(request.getMethod())) {
                // The call may have reached the active controller: repeating it could apply it twice.
                Problems.write(response, 502, "controller-outcome-unknown", "Outcome unknown", "The active controller "
                        + active.id() + " took the call but its answer was lost (" + e.getClass().getSimpleName()
                        + "); check whether it took effect before repeating it");
                return;
            }
            unavailable(response, "The active controller " + active.id() + " at " + active.url()
                    + " gave no answer (" + e.getClass().getSimpleName() + "); retry");
            return;
        }
        response.setHeader(FORWARDED_HEADER, Integer.toString(controller.controllerId()));
        HttpRelay.relay(answer, response, COPIED_RESPONSE_HEADERS);
    }

    private static void unavailable(HttpServletResponse response, String detail) throws IOException {
        response.setHeader("Retry-After", "1");
        Problems.write(response, 503, "not-controller", "No active controller reachable", detail);
    }
}
