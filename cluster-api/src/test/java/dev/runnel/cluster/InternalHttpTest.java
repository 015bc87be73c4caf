package dev.runnel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.ssl.DefaultSslBundleRegistry;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslStoreBundle;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import dev.runnel.testing.TestCertificates;

/**
 * {@link InternalHttp}: plain HTTP, or HTTPS trusting an SSL bundle's trust store, checking the host
 * name, and following the bundle when it is updated.
 */
class InternalHttpTest {

    @TempDir
    Path dir;

    private final List<HttpsServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    @Test
    void plainCallsUseHttp() {
        InternalHttp http = InternalHttp.plain();

        assertThat(http.tls()).isFalse();
        assertThat(http.baseUrl("broker-1", 8091)).isEqualTo("http://broker-1:8091");
    }

    @Test
    void tlsCallsTrustTheBundleCheckTheHostNameAndFollowAnUpdatedBundle() throws Exception {
        TestCertificates authority = TestCertificates.authority(dir.resolve("ca"));
        Path serverKeys = authority.issue("node", "node");
        int port = startServer("127.0.0.1", serverKeys);
        int elsewhere = startServer("127.0.0.2", serverKeys);
        DefaultSslBundleRegistry bundles = new DefaultSslBundleRegistry("internal", trusting(authority));

        InternalHttp http = InternalHttp.tls("internal", bundles);

        assertThat(http.tls()).isTrue();
        assertThat(http.baseUrl("127.0.0.1", port)).isEqualTo("https://127.0.0.1:" + port);
        assertThat(get(http, "https://127.0.0.1:" + port + "/")).isEqualTo("ok");
        assertThat(get(http, "https://localhost:" + port + "/")).isEqualTo("ok");
        // The same key on another address: the certificate names localhost and 127.0.0.1 only.
        assertThatThrownBy(() -> get(http, "https://127.0.0.2:" + elsewhere + "/")).isInstanceOf(SSLHandshakeException.class);

        KeyStore trustsNobody = KeyStore.getInstance("PKCS12");
        trustsNobody.load(null, null);
        bundles.updateBundle("internal", SslBundle.of(SslStoreBundle.of(null, null, trustsNobody)));

        assertThatThrownBy(() -> get(http, "https://127.0.0.1:" + port + "/"))
                .as("the updated bundle no longer trusts the authority").isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void aBundleThatDoesNotExistIsNamedWhenTheServiceStarts() {
        assertThatThrownBy(() -> InternalHttp.tls("missing", new DefaultSslBundleRegistry()))
                .isInstanceOf(NoSuchSslBundleException.class).hasMessageContaining("missing");
    }

    private static String get(InternalHttp http, String url) throws Exception {
        return http.client().send(HttpRequest.newBuilder(URI.create(url)).build(), BodyHandlers.ofString()).body();
    }

    private static SslBundle trusting(TestCertificates authority) throws Exception {
        return SslBundle.of(SslStoreBundle.of(null, null, load(authority.truststore())));
    }

    private static KeyStore load(Path store) throws Exception {
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keyStore.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        return keyStore;
    }

    /** An HTTPS server on {@code address}, port 0, answering "ok"; returns the port it bound. */
    private int startServer(String address, Path keys) throws Exception {
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(load(keys), TestCertificates.PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(address, 0), 0);
        servers.add(server);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        server.createContext("/", exchange -> {
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server.getAddress().getPort();
    }
}
