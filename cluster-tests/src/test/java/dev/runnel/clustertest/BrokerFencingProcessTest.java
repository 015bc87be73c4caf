package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.MetadataResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.BrokerInfo;

/**
 * Failure detection as users get it (the services' own 9 s ZooKeeper session): a broker killed
 * with {@code kill -9} leaves the cluster metadata in about 9 s (Kafka's
 * {@code broker.session.timeout.ms}), and a broker whose JVM stalls for 5 s (SIGSTOP, as a long GC
 * pause would) is not fenced: it keeps its registration.
 */
class BrokerFencingProcessTest {

    private ProcessCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aPausedBrokerKeepsItsRegistrationAndAKilledOneLeavesTheMetadataInAboutNineSeconds() throws Exception {
        cluster = new ProcessCluster("fencing").withDefaultSessionTimeout();
        cluster.startController(1);
        cluster.startBroker(1);
        cluster.startBroker(2);
        cluster.startBroker(3);
        cluster.awaitBrokersReady(3, Duration.ofMinutes(2));
        long epochBefore = epochOf(3);

        // A 5 s stall: the ZooKeeper client pinged at most 3 s before it, so the session outlives it.
        NodeProcess broker3 = cluster.node("broker-3");
        AtomicBoolean droppedDuringPause = new AtomicBoolean();
        broker3.signal("STOP");
        long pausedAt = System.nanoTime();
        try {
            await("a 5 s pause").pollInterval(Duration.ofMillis(250)).atMost(Duration.ofSeconds(20))
                    .until(() -> {
                        if (registered().length < 3) {
                            droppedDuringPause.set(true);
                        }
                        return System.nanoTime() - pausedAt >= TimeUnit.SECONDS.toNanos(5);
                    });
        } finally {
            broker3.signal("CONT");
        }
        assertThat(droppedDuringPause).as("broker 3 was fenced during a 5 s pause").isFalse();
        await("broker 3 serves again").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .untilAsserted(() -> assertThat(nodesSeenBy(3)).isEqualTo(3));
        assertThat(epochOf(3)).as("the same registration").isEqualTo(epochBefore);

        cluster.node("broker-2").kill();
        long killedAt = System.nanoTime();
        await("broker 2 leaves broker 1's metadata").pollInterval(Duration.ofMillis(100))
                .atMost(Duration.ofSeconds(40)).ignoreExceptions()
                .untilAsserted(() -> assertThat(nodesSeenBy(1)).isEqualTo(2));
        double seconds = (System.nanoTime() - killedAt) / 1e9;
        System.out.printf("Broker fencing: kill -9 to gone from another broker's Metadata: %.1f s "
                + "(session timeout 9 s)%n", seconds);
    }

    private BrokerInfo[] registered() throws Exception {
        return cluster.get(cluster.controllerUrl(1) + "/api/v1/brokers", BrokerInfo[].class);
    }

    private long epochOf(int brokerId) throws Exception {
        return Arrays.stream(registered()).filter(b -> b.id() == brokerId).findFirst().orElseThrow().epoch();
    }

    /** The brokers in the Metadata answer of broker {@code brokerId} itself (one raw request). */
    private int nodesSeenBy(int brokerId) throws Exception {
        MetadataResponse response = (MetadataResponse) KafkaWireClient.send(cluster.kafkaPort(brokerId),
                ApiKeys.METADATA, (short) 12, new MetadataRequestData().setTopics(List.of()),
                Duration.ofSeconds(5));
        return response.data().brokers().size();
    }
}
