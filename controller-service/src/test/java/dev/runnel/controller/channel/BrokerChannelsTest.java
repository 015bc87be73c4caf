package dev.runnel.controller.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.common.time.Ticker;
import dev.runnel.controller.metadata.BrokerCommand;
import dev.runnel.testing.ManualClock;

/**
 * The controller's channel to one broker, against a fake broker on 127.0.0.1: every command carries
 * a growing id and a retry repeats it, a "queued" answer lets the next command go, and the channel
 * reports how far behind the broker is, asking it until it has caught up.
 */
class BrokerChannelsTest {

    private static final int EPOCH = 4;

    private final ManualClock clock = new ManualClock();
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresToGo = new AtomicInteger();
    private final AtomicLong appliedVersion = new AtomicLong();
    private final AtomicInteger statusRequests = new AtomicInteger();
    private volatile boolean answerQueued;
    private HttpServer broker;
    private BrokerChannels channels;
    private BrokerInfo brokerInfo;

    @BeforeEach
    void startFakeBroker() throws IOException {
        broker = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        broker.createContext(InternalApi.PREFIX, this::answer);
        broker.start();
        brokerInfo = new BrokerInfo(1, "127.0.0.1", 9092, broker.getAddress().getPort(), null, 10);
        channels = new BrokerChannels(new InternalHttpClient("secret", Duration.ofSeconds(5)),
                EPOCH, Duration.ofMillis(100), clock, Ticker.SYSTEM, reason -> { });
    }

    @AfterEach
    void stop() {
        channels.close();
        broker.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        exchange.getRequestBody().readAllBytes();
        if (path.equals(InternalApi.COMMAND_STATUS)) {
            statusRequests.incrementAndGet();
        } else {
            received.add(path.substring(path.lastIndexOf('/') + 1) + "#"
                    + exchange.getRequestHeaders().getFirst(InternalApi.COMMAND_ID_HEADER));
            if (failuresToGo.getAndDecrement() > 0) {
                exchange.sendResponseHeaders(503, -1);
                exchange.close();
                return;
            }
        }
        CommandResponse response = new CommandResponse(ClusterError.NONE, null, List.of())
                .withAppliedView(EPOCH, appliedVersion.get());
        if (answerQueued && !path.equals(InternalApi.COMMAND_STATUS)) {
            response = response.asQueued();
        }
        byte[] body = ClusterJson.write(response);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    private BrokerCommand.UpdateMetadata update(long version) {
        return new BrokerCommand.UpdateMetadata(1, new UpdateMetadataRequest(1, EPOCH, brokerInfo.epoch(), version,
                false, List.of(brokerInfo), List.of(), List.of()));
    }

    @Test
    void aRetriedCommandKeepsItsIdAndEachNewCommandGetsAGreaterOne() {
        failuresToGo.set(2);
        channels.send(update(1), brokerInfo);
        channels.send(update(2), brokerInfo);
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 4);
        assertThat(received).containsExactly("update-metadata#1", "update-metadata#1", "update-metadata#1",
                "update-metadata#2");
    }

    @Test
    void reportsABrokerThatQueuedTheViewAsBehindAndAsksUntilItCatchesUp() {
        answerQueued = true;
        channels.send(update(1), brokerInfo);
        channels.send(update(2), brokerInfo);
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(channels.lag())
                .containsExactly(new BrokerChannels.BrokerLag(1, 2, 0, 0, 0)));
        clock.advance(Duration.ofSeconds(12));
        assertThat(channels.lag().get(0).lagMs()).isEqualTo(12_000);

        // The broker applies version 1, then 2: the channel learns it by asking.
        appliedVersion.set(1);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(channels.lag().get(0)
                .appliedMetadataVersion()).isEqualTo(1));
        appliedVersion.set(2);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(channels.lag())
                .containsExactly(new BrokerChannels.BrokerLag(1, 2, 2, 0, 0)));
        int asked = statusRequests.get();
        assertThat(asked).isPositive();
        // Caught up: no more questions (a poll already scheduled may still run once).
        await().during(Duration.ofMillis(1_500)).atMost(Duration.ofSeconds(5))
                .until(() -> statusRequests.get() <= asked + 1);
    }

    @Test
    void anAnswerFromAnotherControllersViewDoesNotCountAsApplied() {
        appliedVersion.set(7);
        channels.close();
        channels = new BrokerChannels(new InternalHttpClient("secret", Duration.ofSeconds(5)),
                EPOCH + 1, Duration.ofMillis(100), clock, Ticker.SYSTEM, reason -> { });
        channels.send(update(1), brokerInfo);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(channels.lag())
                .containsExactly(new BrokerChannels.BrokerLag(1, 1, 0, 0, 0)));
    }
}
