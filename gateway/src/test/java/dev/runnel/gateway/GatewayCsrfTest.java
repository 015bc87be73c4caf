package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The console's session is protected by a CSRF token, and only a request that authenticates by
 * itself (HTTP basic or an API key) and carries no signed-in session goes without one: an
 * {@code Authorization} header that authenticates nobody ({@code Bearer x}), a wrong password, or
 * even a good key next to the session cookie do not switch the check off. Without a cluster, a
 * change that gets past security is answered 503 by admin routing, which is how these tests tell.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayCsrfTest {

    private static final String API_KEY = "csrf-test-api-key-0123456789";
    private static final String CHANGE = "/api/v1/topics";

    private ConfigurableApplicationContext gateway;
    private String base;

    @BeforeAll
    void start() {
        gateway = new SpringApplicationBuilder(GatewayApplication.class).run("--server.port=0",
                "--server.address=127.0.0.1", "--spring.cloud.zookeeper.enabled=false",
                "--spring.cloud.zookeeper.discovery.enabled=false", "--runnel.gateway.bootstrap-servers=127.0.0.1:9",
                "--runnel.gateway.security.users[0].name=ops", "--runnel.gateway.security.users[0].password=ops-pw",
                "--runnel.gateway.security.users[0].role=ADMIN",
                "--runnel.gateway.security.api-keys[0].name=ci", "--runnel.gateway.security.api-keys[0].key=" + API_KEY,
                "--runnel.gateway.security.api-keys[0].role=ADMIN");
        base = "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port");
    }

    @AfterAll
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    /** A browser: a cookie jar, signed in to the console with the login form. */
    private record Browser(HttpClient http, CookieManager cookies) {

        String xsrfToken() {
            return cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals("XSRF-TOKEN"))
                    .map(HttpCookie::getValue).findFirst().orElseThrow();
        }
    }

    private Browser signedIn() throws Exception {
        CookieManager cookies = new CookieManager();
        HttpClient http = HttpClient.newBuilder().cookieHandler(cookies).connectTimeout(Duration.ofSeconds(5)).build();
        Browser browser = new Browser(http, cookies);
        assertThat(send(browser.http(), "GET", "/login", Map.of()).statusCode()).isEqualTo(200);
        String form = "username=ops&password=" + URLEncoder.encode("ops-pw", StandardCharsets.UTF_8);
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/login"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("X-XSRF-TOKEN", browser.xsrfToken())
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).as(login.body()).isEqualTo(302);
        assertThat(login.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).doesNotContain("error"));
        assertThat(cookies.getCookieStore().getCookies()).anyMatch(c -> c.getName().equals("JSESSIONID"));
        return browser;
    }

    private HttpResponse<String> send(HttpClient http, String method, String path, Map<String, String> headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString("{\"name\":\"t\"}"))
                .header("Content-Type", "application/json");
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aSessionChangeNeedsTheTokenWhateverAuthorizationHeaderItCarries() throws Exception {
        Browser browser = signedIn();
        assertThat(send(browser.http(), "POST", CHANGE, Map.of("X-XSRF-TOKEN", browser.xsrfToken())).statusCode())
                .as("with the token it gets past security").isEqualTo(503);
        assertThat(send(browser.http(), "POST", CHANGE, Map.of()).statusCode()).isEqualTo(403);
        for (Map<String, String> header : new Map[] {Map.of("Authorization", "Bearer x"),
                Map.of("Authorization", "Basic"), Map.of("Authorization", basic("ops", "wrong")),
                Map.of("Authorization", basic("ops", "ops-pw")), Map.of("X-API-Key", API_KEY)}) {
            HttpResponse<String> forged = send(browser.http(), "POST", CHANGE, header);
            assertThat(forged.statusCode()).as("session cookie and %s, no token: %s", header, forged.body()).isIn(401, 403);
        }
        assertThat(send(browser.http(), "POST", CHANGE, Map.of("X-XSRF-TOKEN", browser.xsrfToken())).statusCode())
                .as("the session still works").isEqualTo(503);
    }

    @Test
    void aProgramThatAuthenticatesEachRequestNeedsNoToken() throws Exception {
        HttpClient program = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThat(send(program, "POST", CHANGE, Map.of("Authorization", basic("ops", "ops-pw"))).statusCode())
                .isEqualTo(503);
        assertThat(send(program, "POST", CHANGE, Map.of("X-API-Key", API_KEY)).statusCode()).isEqualTo(503);
        assertThat(send(program, "POST", CHANGE, Map.of("Authorization", "Bearer x")).statusCode()).isEqualTo(401);
        assertThat(send(program, "POST", CHANGE, Map.of("Authorization", basic("ops", "wrong"))).statusCode())
                .isEqualTo(401);
    }
}
