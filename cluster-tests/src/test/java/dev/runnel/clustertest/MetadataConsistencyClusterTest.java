package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.CreatePartitionsResponse;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.MetadataResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.ReplicaManager;

/**
 * The brokers' metadata as clients see it: a restarted broker never answers Metadata without a
 * topic that exists, and a broker that answered CreateTopics or CreatePartitions with success
 * already shows every new partition with a leader.
 */
class MetadataConsistencyClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int CREATE_TIMEOUT_MS = 30_000;

    private static InJvmCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(3);
        assertThat(cluster.call("POST", InJvmCluster.url(cluster.controller(1)) + "/api/v1/topics",
                "{\"name\":\"live\",\"partitions\":6,\"replicationFactor\":3}").status()).isEqualTo(201);
        await().atMost(DEADLINE).until(() -> cluster.brokers().values().stream()
                .allMatch(b -> b.getBean(MetadataCache.class).snapshot().topic("live").isPresent()));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aRestartedBrokerNeverAnswersMetadataWithoutALiveTopic() throws Exception {
        int port = InJvmCluster.kafkaPort(cluster.broker(3));
        ConcurrentLinkedQueue<List<String>> withoutLive = new ConcurrentLinkedQueue<>();
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        AtomicBoolean probing = new AtomicBoolean(true);
        Thread prober = new Thread(() -> {
            while (probing.get()) {
                try {
                    MetadataResponseData data = ((MetadataResponse) KafkaWireClient.send(port, ApiKeys.METADATA,
                            (short) 12, new MetadataRequestData().setTopics(null))).data();
                    answered.incrementAndGet();
                    if (data.topics().find("live") == null) {
                        withoutLive.add(data.topics().stream().map(MetadataResponseData.MetadataResponseTopic::name)
                                .toList());
                    }
                } catch (IOException e) {
                    // Down, or closed by a broker without the cluster's metadata yet: what clients retry.
                    refused.incrementAndGet();
                }
                // Pacing only: a sample every millisecond is enough and leaves the two cores to the brokers.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }, "metadata-prober");
        prober.start();
        try {
            for (int restart = 0; restart < 2; restart++) {
                int answeredBefore = answered.get();
                cluster.stopBroker(3);
                cluster.startBroker(3, null, "broker-3", port);
                await().atMost(DEADLINE).until(() -> cluster.broker(3).getBean(ReplicaManager.class).servesClients()
                        && answered.get() > answeredBefore + 20);
            }
        } finally {
            probing.set(false);
            prober.join(10_000);
        }

        System.out.printf("restarted broker: %d Metadata answers, %d refused or closed, %d without the live topic%n",
                answered.get(), refused.get(), withoutLive.size());
        assertThat(withoutLive).as("Metadata answers that omitted the live topic").isEmpty();
        assertThat(refused.get()).isPositive();
    }

    @Test
    void rightAfterCreateTopicsSucceedsTheSameBrokerShowsEveryPartitionWithALeader() throws Exception {
        for (int i = 0; i < 9; i++) {
            int broker = 1 + i % 3;
            int port = InJvmCluster.kafkaPort(cluster.broker(broker));
            String name = "fresh-" + i;

            CreateTopicsResponseData created = ((CreateTopicsResponse) KafkaWireClient.send(port,
                    ApiKeys.CREATE_TOPICS, (short) 7, new CreateTopicsRequestData().setTimeoutMs(CREATE_TIMEOUT_MS)
                            .setTopics(new CreateTopicsRequestData.CreatableTopicCollection(List.of(
                                    new CreateTopicsRequestData.CreatableTopic().setName(name).setNumPartitions(6)
                                            .setReplicationFactor((short) 2)).iterator())))).data();
            assertThat(created.topics().find(name).errorCode()).isEqualTo(Errors.NONE.code());

            assertEveryPartitionLed(port, name, 6);
        }
    }

    @Test
    void rightAfterCreatePartitionsSucceedsTheSameBrokerShowsTheNewPartitionsWithLeaders() throws Exception {
        int port = InJvmCluster.kafkaPort(cluster.broker(2));
        assertThat(cluster.call("POST", InJvmCluster.url(cluster.controller(1)) + "/api/v1/topics",
                "{\"name\":\"growing\",\"partitions\":2,\"replicationFactor\":2}").status()).isEqualTo(201);
        await().atMost(DEADLINE).until(() -> cluster.broker(2).getBean(MetadataCache.class).snapshot()
                .topic("growing").isPresent());

        assertThat(createPartitions(port, "growing", 8, false)).isEqualTo(Errors.NONE);

        assertEveryPartitionLed(port, "growing", 8);
    }

    @Test
    void validateOnlyCreatePartitionsRefusesWhatTheRealCallRefuses() throws Exception {
        int port = InJvmCluster.kafkaPort(cluster.broker(1));

        assertThat(createPartitions(port, "live", 10_001, true)).isEqualTo(Errors.INVALID_PARTITIONS);
        assertThat(createPartitions(port, "live", Integer.MAX_VALUE, true)).isEqualTo(Errors.INVALID_PARTITIONS);
        assertThat(createPartitions(port, "live", 10_001, false)).isEqualTo(Errors.INVALID_PARTITIONS);
        assertThat(createPartitions(port, "live", 12, true)).isEqualTo(Errors.NONE);
        assertThat(createPartitions(port, "absent", 12, true)).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);

        assertEveryPartitionLed(port, "live", 6);
    }

    private static Errors createPartitions(int port, String topic, int count, boolean validateOnly) throws IOException {
        CreatePartitionsResponseData answer = ((CreatePartitionsResponse) KafkaWireClient.send(port,
                ApiKeys.CREATE_PARTITIONS, (short) 3, new CreatePartitionsRequestData().setTimeoutMs(CREATE_TIMEOUT_MS)
                        .setValidateOnly(validateOnly).setTopics(new CreatePartitionsRequestData
                                .CreatePartitionsTopicCollection(List.of(new CreatePartitionsRequestData
                                        .CreatePartitionsTopic().setName(topic).setCount(count).setAssignments(null)).iterator()))))
                .data();
        return Errors.forCode(answer.results().get(0).errorCode());
    }

    /** One Metadata request, at once: the topic has exactly {@code partitions} partitions, each with a leader. */
    private static void assertEveryPartitionLed(int port, String topic, int partitions) throws IOException {
        MetadataResponseData metadata = ((MetadataResponse) KafkaWireClient.send(port, ApiKeys.METADATA, (short) 12,
                new MetadataRequestData().setTopics(List.of(new MetadataRequestData.MetadataRequestTopic()
                        .setName(topic))))).data();
        MetadataResponseData.MetadataResponseTopic described = metadata.topics().find(topic);
        assertThat(described.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(described.partitions()).hasSize(partitions).allSatisfy(p -> {
            assertThat(p.errorCode()).isEqualTo(Errors.NONE.code());
            assertThat(p.leaderId()).isNotNegative();
        });
        assertThat(metadata.brokers()).hasSize(3);
    }
}
