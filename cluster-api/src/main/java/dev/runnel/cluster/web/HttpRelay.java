package dev.runnel.cluster.web;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Passing an HTTP call on to another service and its answer back: what a standby controller does
 * for the active one, and the gateway for the controllers. Only the named headers travel.
 */
public final class HttpRelay {

    private HttpRelay() {
    }

    /** The same call (method, path, query, body and the named headers) addressed to {@code base}. */
    public static HttpRequest.Builder forward(HttpServletRequest request, byte[] body, URI base, Duration timeout,
            List<String> headers) {
        String query = request.getQueryString();
        HttpRequest.Builder forwarded = HttpRequest.newBuilder(base.resolve(request.getRequestURI()
                + (query == null ? "" : "?" + query))).timeout(timeout)
                .method(request.getMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (String name : headers) {
            String value = request.getHeader(name);
            if (value != null) {
                forwarded.header(name, value);
            }
        }
        return forwarded;
    }

    /** Writes {@code answer}'s status, the named headers and its body to {@code response}. */
    public static void relay(HttpResponse<byte[]> answer, HttpServletResponse response, List<String> headers)
            throws IOException {
        response.setStatus(answer.statusCode());
        for (String name : headers) {
            answer.headers().firstValue(name).ifPresent(v -> response.setHeader(name, v));
        }
        response.getOutputStream().write(answer.body());
    }
}
