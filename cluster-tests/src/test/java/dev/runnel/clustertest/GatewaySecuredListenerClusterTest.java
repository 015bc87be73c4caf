package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.gateway.GatewayApplication;
import dev.runnel.gateway.GatewayClients;
import dev.runnel.testing.TestCertificates;

/**
 * The gateway on a secured cluster, as {@code bin/quickstart up --secure} runs it: the brokers'
 * only client listener is SASL_SSL with ACLs on, and the gateway, finding the brokers in
 * ZooKeeper, takes their endpoints of {@code runnel.gateway.kafka.listener} and logs in as the
 * super user with {@code runnel.gateway.kafka.properties.*}: REST produce, a REST consumer and
 * the message browser all work through it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewaySecuredListenerClusterTest {

    private static final String ADMIN_PASSWORD = "admin-secret-for-the-gateway";
    private static final String CONSOLE = "Basic " + Base64.getEncoder().encodeToString(
            "ops:console-pa55word".getBytes(StandardCharsets.UTF_8));

    @TempDir
    static Path certificatesDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private InJvmCluster cluster;
    private ConfigurableApplicationContext gateway;
    private String base;

    @BeforeAll
    void start() throws Exception {
        TestCertificates certificates = TestCertificates.authority(certificatesDir);
        Path brokerKeys = certificates.issue("broker", "broker");
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(1,
                "--runnel.broker.listeners=INTERNAL://127.0.0.1:0,SECURE://127.0.0.1:0",
                "--runnel.broker.listener-security-protocol-map=INTERNAL:PLAINTEXT,SECURE:SASL_SSL",
                "--runnel.broker.inter-broker-listener-name=INTERNAL",
                "--runnel.broker.ssl.keystore-location=" + brokerKeys,
                "--runnel.broker.ssl.keystore-password=" + TestCertificates.PASSWORD,
                "--runnel.broker.authorizer.enabled=true",
                "--runnel.broker.authorizer.super-users=User:admin",
                "--runnel.broker.sasl.bootstrap-users=admin:" + ADMIN_PASSWORD,
                "--runnel.broker.offsets-topic.replication-factor=1");
        try (Admin admin = KafkaClients.admin(cluster.bootstrap("SECURE", 1),
                Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
                        "sasl.jaas.config", jaas(), "ssl.truststore.location", certificates.truststore().toString(),
                        "ssl.truststore.password", TestCertificates.PASSWORD))) {
            admin.createTopics(List.of(new NewTopic("gw-secure", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        gateway = new SpringApplicationBuilder(GatewayApplication.class).run("--server.port=0",
                "--spring.cloud.zookeeper.connect-string=" + cluster.connectString(),
                "--runnel.cluster.secret=" + InJvmCluster.SECRET,
                "--runnel.gateway.security.users[0].name=ops", "--runnel.gateway.security.users[0].password=console-pa55word",
                "--runnel.gateway.security.users[0].role=ADMIN",
                "--runnel.gateway.kafka.listener=SECURE",
                "--runnel.gateway.kafka.properties.security.protocol=SASL_SSL",
                "--runnel.gateway.kafka.properties.sasl.mechanism=SCRAM-SHA-512",
                "--runnel.gateway.kafka.properties.sasl.jaas.config=" + jaas(),
                "--runnel.gateway.kafka.properties.ssl.truststore.location=" + certificates.truststore(),
                "--runnel.gateway.kafka.properties.ssl.truststore.password=" + TestCertificates.PASSWORD);
        base = "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port");
    }

    private static String jaas() {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\""
                + ADMIN_PASSWORD + "\";";
    }

    @AfterAll
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private HttpResponse<String> send(String method, String path, String contentType, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", CONSOLE)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theGatewayUsesTheNamedListenerAndItsSettingsForEveryClient() throws Exception {
        assertThat(gateway.getBean(GatewayClients.class).bootstrap()).as("the SECURE endpoint, not the inter-broker one")
                .isEqualTo(cluster.bootstrap("SECURE", 1));

        HttpResponse<String> produced = send("POST", "/topics/gw-secure", "application/vnd.kafka.json.v2+json",
                "{\"records\": [{\"value\": {\"over\": \"sasl_ssl\"}}]}");
        assertThat(produced.statusCode()).as(produced.body()).isEqualTo(200);

        HttpResponse<String> browsed = send("GET", "/topics/gw-secure/partitions/0/records?offset=0&limit=5", null, null);
        assertThat(browsed.statusCode()).as(browsed.body()).isEqualTo(200);
        assertThat(browsed.body()).contains("sasl_ssl");

        String instance = "/consumers/gw-secure-readers/instances/r";
        assertThat(send("POST", "/consumers/gw-secure-readers", "application/json",
                "{\"name\": \"r\", \"format\": \"json\", \"auto.offset.reset\": \"earliest\"}").statusCode()).isEqualTo(200);
        try {
            assertThat(send("POST", instance + "/subscription", "application/json", "{\"topics\": [\"gw-secure\"]}")
                    .statusCode()).isEqualTo(204);
            await("the REST consumer reads over SASL_SSL").atMost(Duration.ofSeconds(60))
                    .until(() -> send("GET", instance + "/records?timeout=200", null, null).body().contains("sasl_ssl"));
        } finally {
            send("DELETE", instance, null, null);
        }
    }
}
