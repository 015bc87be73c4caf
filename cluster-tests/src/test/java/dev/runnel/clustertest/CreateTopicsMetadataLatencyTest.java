package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.MetadataResponse;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not an assertion on time: how long after CreateTopics answers success each broker
 * of a 3-broker in-JVM cluster answers Metadata with every partition of the new topic led. Prints
 * p50 and p99 over {@value #CREATES} creates, for the broker that answered the create and for the
 * last of the three brokers, with the wait for leaders and without it (timeout_ms 0). Run with {@code -Pmetadata-latency} (see docs/benchmarks.md); not part
 * of the default build.
 */
class CreateTopicsMetadataLatencyTest {

    private static final int CREATES = 100;
    private static final int WARM_UP = 5;
    private static final int PARTITIONS = 6;
    private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** Nanoseconds until a broker showed every partition led, and how many Metadata requests that took. */
    private record Led(long nanos, int requests) {
    }

    @Test
    void timeFromCreateTopicsSuccessToAFullMetadataAnswerOnEveryBroker() throws Exception {
        try (InJvmCluster cluster = new InJvmCluster()) {
            cluster.startControllerAndBrokers(3);
            int[] ports = {InJvmCluster.kafkaPort(cluster.broker(1)), InJvmCluster.kafkaPort(cluster.broker(2)),
                    InJvmCluster.kafkaPort(cluster.broker(3))};
            ExecutorService pollers = Executors.newFixedThreadPool(ports.length);
            try {
                // A timeout of 0 asks the broker not to wait for leaders (Kafka's rule, and how every
                // CreateTopics was answered before): the same figures without the wait, for comparison.
                for (int timeoutMs : new int[] {30_000, 0}) {
                    measure(ports, pollers, timeoutMs);
                }
            } finally {
                pollers.shutdownNow();
            }
        }
    }

    private static void measure(int[] ports, ExecutorService pollers, int timeoutMs) throws Exception {
        List<Long> sameBroker = new ArrayList<>();
        List<Long> everyBroker = new ArrayList<>();
        int sameBrokerNotLedAtOnce = 0;
        for (int i = 0; i < CREATES + WARM_UP; i++) {
            int receiver = i % ports.length;
            String topic = "latency-" + timeoutMs + "-" + i;
            create(ports[receiver], topic, timeoutMs);
            long created = System.nanoTime();
            List<Future<Led>> led = new ArrayList<>();
            for (int port : ports) {
                led.add(pollers.submit(() -> untilEveryPartitionLed(port, topic, created)));
            }
            long last = 0;
            for (int b = 0; b < ports.length; b++) {
                Led answer = led.get(b).get();
                last = Math.max(last, answer.nanos());
                if (i >= WARM_UP && b == receiver) {
                    sameBroker.add(answer.nanos());
                    sameBrokerNotLedAtOnce += answer.requests() > 1 ? 1 : 0;
                }
            }
            if (i >= WARM_UP) {
                everyBroker.add(last);
            }
        }
        System.out.printf("CreateTopics (timeout_ms %d) success -> Metadata with every partition led, %d creates of %d "
                + "partitions (RF 3), 3 brokers in one JVM:%n", timeoutMs, sameBroker.size(), PARTITIONS);
        System.out.printf("  broker that answered the create: p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
                + "first Metadata answer incomplete in %d of %d%n", percentile(sameBroker, 50),
                percentile(sameBroker, 99), percentile(sameBroker, 100), sameBrokerNotLedAtOnce, sameBroker.size());
        System.out.printf("  every broker (the last of 3):    p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                percentile(everyBroker, 50), percentile(everyBroker, 99), percentile(everyBroker, 100));
        assertThat(everyBroker).hasSize(CREATES);
    }

    private static void create(int port, String topic, int timeoutMs) throws IOException {
        CreateTopicsResponseData created = ((CreateTopicsResponse) KafkaWireClient.send(port, ApiKeys.CREATE_TOPICS,
                (short) 7, new CreateTopicsRequestData().setTimeoutMs(timeoutMs).setTopics(
                        new CreateTopicsRequestData.CreatableTopicCollection(List.of(new CreateTopicsRequestData
                                .CreatableTopic().setName(topic).setNumPartitions(PARTITIONS)
                                .setReplicationFactor((short) 3)).iterator())))).data();
        assertThat(created.topics().find(topic).errorCode()).isEqualTo(Errors.NONE.code());
    }

    /** From {@code since} until {@code port} answers Metadata with every partition led. */
    private static Led untilEveryPartitionLed(int port, String topic, long since) throws IOException {
        for (int requests = 1; ; requests++) {
            MetadataResponseData.MetadataResponseTopic described = ((MetadataResponse) KafkaWireClient.send(port,
                    ApiKeys.METADATA, (short) 12, new MetadataRequestData().setTopics(List.of(
                            new MetadataRequestData.MetadataRequestTopic().setName(topic))))).data().topics().find(topic);
            long now = System.nanoTime();
            if (described.errorCode() == Errors.NONE.code() && described.partitions().size() == PARTITIONS
                    && described.partitions().stream().allMatch(p -> p.errorCode() == 0 && p.leaderId() >= 0)) {
                return new Led(now - since, requests);
            }
            if (now - since > GIVE_UP_NANOS) {
                throw new IllegalStateException("broker on port " + port + " never showed " + topic + " led");
            }
            // Pacing: a request per millisecond per broker is resolution enough, and polling faster
            // (a new connection each time) takes the two shared cores from the brokers being measured.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private static double percentile(List<Long> nanos, int percentile) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index))) / 1e6;
    }
}
