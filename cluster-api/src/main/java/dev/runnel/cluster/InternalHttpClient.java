package dev.runnel.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * Sends one internal API call: JSON over HTTP with the cluster secret. Thread-safe.
 */
public final class InternalHttpClient {

    private final HttpClient http;
    private final String secret;
    private final Duration requestTimeout;

    public InternalHttpClient(String secret, Duration connectTimeout, Duration requestTimeout) {
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).version(HttpClient.Version.HTTP_1_1)
                .build();
        this.secret = secret;
        this.requestTimeout = requestTimeout;
    }

    /**
     * {@code request} with the cluster secret as its credentials: for another service's HTTP API
     * outside the internal one (a broker's CreateTopics to the controller's admin API).
     */
    public HttpRequest.Builder authenticate(HttpRequest.Builder request) {
        return request.header(InternalApi.SECRET_HEADER, secret);
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
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
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
