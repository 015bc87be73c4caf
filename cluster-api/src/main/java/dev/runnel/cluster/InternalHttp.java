package dev.runnel.cluster;

import java.net.http.HttpClient;
import java.time.Duration;

import javax.net.ssl.SSLContext;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;

/**
 * How a Runnel service calls another's HTTP API (the internal API, the controller's admin API, a
 * broker's group views): plain HTTP, or, with {@code runnel.cluster.ssl-bundle} naming a Spring SSL
 * bundle, HTTPS that trusts that bundle's trust store, checks the server's host name and shows the
 * bundle's key when the server asks for one. Every service of a cluster sets the same bundle name,
 * so one scheme serves every base URL. When Spring reloads the bundle (its files changed, {@code
 * reload-on-update}), calls from then on use the new material. Thread-safe.
 */
public final class InternalHttp {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    private final String bundleName;
    private volatile HttpClient client;

    private InternalHttp(String bundleName, SSLContext context) {
        this.bundleName = bundleName;
        this.client = build(context);
    }

    /** Plain HTTP. */
    public static InternalHttp plain() {
        return new InternalHttp(null, null);
    }

    /**
     * HTTPS with SSL bundle {@code bundleName} of {@code bundles}, following its reloads.
     *
     * @throws org.springframework.boot.ssl.NoSuchSslBundleException when there is no such bundle
     */
    public static InternalHttp tls(String bundleName, SslBundles bundles) {
        InternalHttp http = new InternalHttp(bundleName, bundles.getBundle(bundleName).createSslContext());
        bundles.addBundleUpdateHandler(bundleName, http::reload);
        return http;
    }

    private void reload(SslBundle bundle) {
        client = build(bundle.createSslContext());
    }

    private static HttpClient build(SSLContext context) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .version(HttpClient.Version.HTTP_1_1);
        if (context != null) {
            builder.sslContext(context);
        }
        return builder.build();
    }

    /** Whether calls go over TLS. */
    public boolean tls() {
        return bundleName != null;
    }

    /** The name of the SSL bundle, or null for plain HTTP. */
    public String bundleName() {
        return bundleName;
    }

    /** {@code https} or {@code http}. */
    public String scheme() {
        return tls() ? "https" : "http";
    }

    /** The base URL of a service's HTTP API at {@code host:port}. */
    public String baseUrl(String host, int port) {
        return scheme() + "://" + host + ":" + port;
    }

    /** The client for the next call; it changes when the bundle is reloaded, so do not keep it. */
    public HttpClient client() {
        return client;
    }
}
