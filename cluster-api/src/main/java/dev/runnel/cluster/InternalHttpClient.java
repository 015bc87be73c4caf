package dev.runnel.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;


/**
 * Sends one internal API call: JSON over HTTP (or HTTPS, see {@link InternalHttp}) with the cluster
 * secret. Thread-safe.
 */
public final class InternalHttpClient {

    private final InternalHttp http;
    private final String secret;
    private final Duration requestTimeout;

    /** A client calling over {@code http} (plain or TLS). */
    public InternalHttpClient(InternalHttp http, String secret, Duration requestTimeout) {
        this.http = http;
        this.secret = secret;
        this.requestTimeout = requestTimeout;
    }

    /** A plain-HTTP client. */
    public InternalHttpClient(String secret, Duration requestTimeout) {
        this(InternalHttp.plain(), secret, requestTimeout);
    }

    /** The base URL of a service's HTTP API at {@code host:port}, in this client's scheme. */
    public String baseUrl(String host, int port) {
        return http.baseUrl(host, port);
    }

    /** The base URL of broker {@code broker}'s HTTP API. */
    public String baseUrl(BrokerInfo broker) {
        return http.baseUrl(broker.host(), broker.httpPort());
    }

    /**
     * {@code request} with the cluster secret as its credentials: for another service's HTTP API
     * outside the internal one (a broker's CreateTopics to the controller's admin API).
     */
    public HttpRequest.Builder authenticate(HttpRequest.Builder request) {
        return request.header(InternalApi.SECRET_HEADER, secret);
    }

    /** Sends {@code request} as it is, answering with the raw response. */
    public CompletableFuture<HttpResponse<byte[]>> sendAsync(HttpRequest request) {
        return http.client().sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    /**
     * Posts {@code body} to {@code baseUrl + path} and reads the answer as {@code responseType}.
     *
     * @throws IOException when the call fails or the answer is not a 2xx with a readable body
     */
    public <T> T post(String baseUrl, String path, Object body, Class<T> responseType) throws IOException {
        return post(baseUrl, path, body, responseType, Map.of());
    }

    /** {@link #post(String, String, Object, Class)} with extra request headers. */
    public <T> T post(String baseUrl, String path, Object body, Class<T> responseType, Map<String, String> headers)
            throws IOException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(ClusterJson.write(body)));
        headers.forEach(builder::header);
        HttpRequest request = authenticate(builder).build();
        HttpResponse<byte[]> response;
        try {
            response = http.client().send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while calling " + request.uri(), e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new HttpStatusException(response.statusCode(), request.uri() + " answered HTTP "
                    + response.statusCode() + ": " + new String(response.body(), StandardCharsets.UTF_8));
        }
        try {
            return ClusterJson.read(response.body(), responseType, "the answer of " + request.uri());
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** An answer that is not a 2xx; a 4xx will not change by retrying. */
    public static final class HttpStatusException extends IOException {

        private static final long serialVersionUID = 1L;

        private final int status;

        HttpStatusException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }

        public boolean isClientError() {
            return status / 100 == 4;
        }
    }
}
