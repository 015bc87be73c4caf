package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;
import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.cluster.ControllerClient;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.ControllerInfo;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * CreateTopics through the handler, with the active controller an HTTP server on a loopback port
 * that creates "orders" with 3 partitions: success waits for this broker's metadata to show the
 * leaders; REQUEST_TIMED_OUT comes at the request's deadline on the fake clock, not before.
 */
class TopicAdminHandlerWaitTest {

    private static final UUID ORDERS_ID = UUID.fromString("3f1f7f0a-7c55-4b0e-a2a4-0d7a3b7b9c01");
    private static final BrokerInfo BROKER_1 = new BrokerInfo(1, "127.0.0.1", 9092, 8091, null, 5);
    private static final List<PartitionInfo> LED = List.of(
            new PartitionInfo(0, List.of(1), new PartitionState(1, 0, List.of(1), 0)),
            new PartitionInfo(1, List.of(1), new PartitionState(1, 0, List.of(1), 0)),
            new PartitionInfo(2, List.of(1), new PartitionState(1, 0, List.of(1), 0)));

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final MetadataCache metadata = new MetadataCache();
    private final DelayedCreatePartitions delayed = new DelayedCreatePartitions(metadata, scheduler.clock(), scheduler);
    private TestingServer zookeeper;
    private CuratorFramework zk;
    private HttpServer controller;
    private TopicAdminHandler handler;

    @BeforeEach
    void startControllerAndZooKeeper() throws Exception {
        controller = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        controller.createContext("/api/v1/topics", exchange -> {
            byte[] created = ClusterJson.write(new TopicInfo("orders", ORDERS_ID, Map.of(), LED));
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(201, created.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(created);
            }
        });
        controller.start();
        zookeeper = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1"), true);
        zk = CuratorFrameworkFactory.builder().connectString(zookeeper.getConnectString())
                .namespace(ZkPaths.DEFAULT_NAMESPACE).retryPolicy(new RetryOneTime(100)).build();
        zk.start();
        assertThat(zk.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
        zk.create().creatingParentsIfNeeded().forPath(ZkPaths.CONTROLLER, ClusterJson.write(new ControllerInfo(1,
                "http://127.0.0.1:" + controller.getAddress().getPort(), 1)));
        handler = new TopicAdminHandler(new ControllerAdminClient(new ControllerClient(zk,
                new InternalHttpClient("secret", Duration.ofSeconds(10)))), metadata, delayed);
    }

    @AfterEach
    void stop() throws IOException {
        controller.stop(0);
        zk.close();
        zookeeper.close();
    }

    @Test
    void successIsAnsweredOnlyOnceTheMetadataShowsALeaderForEveryPartition() {
        CompletableFuture<ApiMessage> answer = createOrders(5_000);
        await().atMost(Duration.ofSeconds(20)).until(() -> delayed.waiting() == 1);
        assertThat(answer).isNotDone();

        metadata.apply(new UpdateMetadataRequest(1, 1, 5, 1, false, List.of(BROKER_1), List.of(
                new TopicInfo("orders", ORDERS_ID, Map.of(), LED)), List.of()));

        CreateTopicsResponseData.CreatableTopicResult result = result(answer);
        assertThat(result.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(result.numPartitions()).isEqualTo(3);
        assertThat(result.topicId().getMostSignificantBits()).isEqualTo(ORDERS_ID.getMostSignificantBits());
    }

    @Test
    void withoutLeadersTheAnswerIsRequestTimedOutAtTheDeadline() {
        CompletableFuture<ApiMessage> answer = createOrders(5_000);
        await().atMost(Duration.ofSeconds(20)).until(() -> delayed.waiting() == 1);

        scheduler.advance(Duration.ofMillis(4_999));
        assertThat(answer).isNotDone();
        scheduler.advance(Duration.ofMillis(1));

        assertThat(result(answer).errorCode()).isEqualTo(Errors.REQUEST_TIMED_OUT.code());
    }

    @Test
    void aTimeoutOfZeroAnswersAsSoonAsTheControllerHas() {
        assertThat(result(createOrders(0)).errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(delayed.waiting()).isZero();
    }

    private CompletableFuture<ApiMessage> createOrders(int timeoutMs) {
        CreateTopicsRequestData body = new CreateTopicsRequestData().setTimeoutMs(timeoutMs);
        body.topics().add(new CreateTopicsRequestData.CreatableTopic().setName("orders").setNumPartitions(3)
                .setReplicationFactor((short) 1));
        RequestHeader header = new RequestHeader(ApiKeys.CREATE_TOPICS, (short) 7, "test", 1);
        ByteBuffer frame = RequestUtils.serialize(header.data(), header.headerVersion(), body, (short) 7);
        return handler.handle(KafkaWire.decode(frame));
    }

    private static CreateTopicsResponseData.CreatableTopicResult result(CompletableFuture<ApiMessage> answer) {
        return ((CreateTopicsResponseData) answer.orTimeout(20, TimeUnit.SECONDS).join()).topics().find("orders");
    }
}
