package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.testing.RawHttp;

/**
 * The gateway's own settings, without a cluster (its Kafka clients connect only when used): it
 * serves HTTPS with a key store given through Spring Boot's {@code server.ssl.*}, answers only to
 * its own host names, and it refuses to start with no user and no API key, or with an API key too
 * short to be one.
 */
class GatewayTlsAndSecuritySettingsTest {

    private static final String STORE_PASSWORD = "store-pass-for-test";

    private static String[] args(String... more) {
        List<String> all = new java.util.ArrayList<>(List.of("--server.port=0", "--server.address=127.0.0.1",
                "--spring.cloud.zookeeper.enabled=false", "--spring.cloud.zookeeper.discovery.enabled=false",
                "--runnel.gateway.bootstrap-servers=127.0.0.1:9"));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void servesHttpsWithTheConfiguredKeyStore(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("gateway.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "gateway", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", STORE_PASSWORD).redirectErrorStream(true).start();
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();

        try (ConfigurableApplicationContext gateway = new SpringApplicationBuilder(GatewayApplication.class).run(args(
                "--server.ssl.enabled=true", "--server.ssl.key-store=file:" + store,
                "--server.ssl.key-store-type=PKCS12", "--server.ssl.key-store-password=" + STORE_PASSWORD,
                "--runnel.gateway.security.users[0].name=ops", "--runnel.gateway.security.users[0].password=tls-user-pw",
                "--runnel.gateway.security.users[0].role=READ"))) {
            int port = Integer.parseInt(gateway.getEnvironment().getProperty("local.server.port"));
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                trusted.load(in, STORE_PASSWORD.toCharArray());
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, trust.getTrustManagers(), null);
            HttpClient https = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5)).build();

            HttpResponse<String> me = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/me"))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                            "ops:tls-user-pw".getBytes(StandardCharsets.UTF_8)))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(me.statusCode()).isEqualTo(200);
            assertThat(me.body()).contains("\"name\":\"ops\"").contains("\"role\":\"READ\"");
            HttpResponse<String> anonymous = https.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + port + "/topics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                    v -> assertThat(v).startsWith("Basic"));
            HttpResponse<String> consoleCall = https.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + port + "/topics")).header("X-Requested-With", "XMLHttpRequest")
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(consoleCall.statusCode()).isEqualTo(401);
            assertThat(consoleCall.headers().firstValue("WWW-Authenticate"))
                    .as("no browser password prompt over the console's own calls").isEmpty();

            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> overHttp = plain.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/actuator/health")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(overHttp.statusCode()).as("plain HTTP on the TLS port is refused").isEqualTo(400);
        }
    }

    @Test
    void answersOnlyToItsOwnHostNames() throws Exception {
        try (ConfigurableApplicationContext gateway = new SpringApplicationBuilder(GatewayApplication.class).run(args(
                "--runnel.http.allowed-hosts=console.example.com",
                "--runnel.gateway.security.users[0].name=ops", "--runnel.gateway.security.users[0].password=host-user-pw",
                "--runnel.gateway.security.users[0].role=READ"))) {
            int port = Integer.parseInt(gateway.getEnvironment().getProperty("local.server.port"));
            String ops = "Authorization: Basic " + Base64.getEncoder().encodeToString(
                    "ops:host-user-pw".getBytes(StandardCharsets.UTF_8));

            RawHttp.Answer rebound = RawHttp.get(port, "/me", "attacker.example:" + port, ops);
            assertThat(rebound.status()).isEqualTo(421);
            assertThat(rebound.body()).contains("host-not-allowed");
            assertThat(RawHttp.get(port, "/login", "attacker.example").status()).isEqualTo(421);
            for (String own : List.of("console.example.com", "localhost:" + port, "127.0.0.1:" + port)) {
                assertThat(RawHttp.get(port, "/me", own, ops).status()).as(own).isEqualTo(200);
            }
        }
    }

    @Test
    void refusesToStartWithNobodyAllowedIn() {
        assertThatThrownBy(() -> new SpringApplicationBuilder(GatewayApplication.class).run(args()).close())
                .hasStackTraceContaining("runnel.gateway.security needs at least one user or API key");
        assertThatThrownBy(() -> new SpringApplicationBuilder(GatewayApplication.class).run(args(
                "--runnel.gateway.security.api-keys[0].name=ci", "--runnel.gateway.security.api-keys[0].key=short")).close())
                .hasStackTraceContaining("api-keys[0] needs a name and a key of at least 16 characters");
        assertThatThrownBy(() -> new SpringApplicationBuilder(GatewayApplication.class).run(args(
                "--runnel.gateway.security.users[0].name=ops")).close())
                .hasStackTraceContaining("users[0] needs a name and a password");
    }
}
