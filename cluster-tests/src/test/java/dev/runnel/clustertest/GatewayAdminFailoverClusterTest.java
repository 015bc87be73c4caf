package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.controller.election.ActiveController;
import dev.runnel.gateway.GatewayApplication;

/**
 * The gateway finds everything through ZooKeeper (no broker or controller address is given to
 * it): the brokers from their registrations (started before any, it answers 503 until one is
 * there) and the controllers through Spring Cloud Zookeeper discovery. When the active controller goes away, admin calls made through the gateway right
 * after are answered by the standby that takes over, with no error to the caller.
 */
class GatewayAdminFailoverClusterTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private InJvmCluster cluster;
    private ConfigurableApplicationContext gateway;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private HttpResponse<String> call(String method, String path, String json) throws Exception {
        String base = "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(90))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void adminCallsThroughTheGatewayFollowAControllerFailover() throws Exception {
        cluster = new InJvmCluster();
        cluster.startController(1);
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.controller(1).getBean(ActiveController.class).role()
                == ActiveController.Role.ACTIVE);
        cluster.startController(2);
        gateway = new SpringApplicationBuilder(GatewayApplication.class).run("--server.port=0",
                "--spring.cloud.zookeeper.connect-string=" + cluster.connectString(),
                "--runnel.cluster.secret=" + InJvmCluster.SECRET, "--runnel.gateway.security.enabled=false");
        HttpResponse<String> noBrokerYet = call("GET", "/topics", null);
        assertThat(noBrokerYet.statusCode()).as("started before any broker, the gateway says so").isEqualTo(503);
        assertThat(noBrokerYet.body()).contains("cluster-unavailable", "No broker is registered");
        cluster.startBroker(1, null, "broker-1", "--runnel.broker.offsets-topic.replication-factor=1");
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.controller(1).getBean(ActiveController.class).view()
                .brokers().size() == 1);

        HttpResponse<String> before = call("POST", "/api/v1/topics", "{\"name\": \"before-failover\", \"partitions\": 1}");
        assertThat(before.statusCode()).as(before.body()).isEqualTo(201);
        assertThat(before.headers().firstValue("X-Runnel-Controller")).contains(InJvmCluster.url(cluster.controller(1)));
        String standby = InJvmCluster.url(cluster.controller(2));
        await("the gateway has found both controllers").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(call("GET", "/cluster", null).body()).contains(standby));

        cluster.stopController(1);
        HttpResponse<String> created = call("POST", "/api/v1/topics", "{\"name\": \"after-failover\", \"partitions\": 1}");
        HttpResponse<String> listed = call("GET", "/api/v1/topics", null);

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.headers().firstValue("X-Runnel-Controller")).contains(standby);
        assertThat(listed.statusCode()).as(listed.body()).isEqualTo(200);
        assertThat(listed.body()).contains("before-failover", "after-failover");
        assertThat(cluster.controller(2).getBean(ActiveController.class).role()).isEqualTo(ActiveController.Role.ACTIVE);
        try (Admin admin = KafkaClients.admin(cluster.bootstrap(1))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> admin.listTopics().names().get(10, TimeUnit.SECONDS)
                    .containsAll(List.of("before-failover", "after-failover")));
        }
        HttpResponse<String> produced = call("POST", "/topics/after-failover",
                "{\"records\": [{\"value\": \"found the broker through ZooKeeper\"}]}");
        assertThat(produced.statusCode()).as(produced.body()).isEqualTo(200);
    }
}
