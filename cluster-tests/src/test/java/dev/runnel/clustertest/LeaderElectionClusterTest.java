package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.controller.election.ActiveController;

/**
 * Leader elections on three in-JVM brokers: a 6-partition RF 3 topic whose leadership left broker
 * 1 while it was stopped goes back to the preferred replicas, once through Kafka 4.3.1's own
 * {@code kafka-leader-election --election-type preferred --all-topic-partitions} (automatic
 * balancing off), once through the controller's automatic balancing alone; and an offline
 * partition whose only in-sync replica is gone gets an out-of-sync replica as leader through
 * {@code --election-type unclean}. The tool case runs in the {@code faults} profile only.
 */
class LeaderElectionClusterTest {

    private static final String TOPIC = "elected";
    private static final int PARTITIONS = 6;
    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final Duration TOOL_DEADLINE = Duration.ofSeconds(60);
    private static final String LEADER_ELECTION = "org.apache.kafka.tools.LeaderElectionCommand";

    @TempDir
    Path workDir;

    private InJvmCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private void start(String... args) throws Exception {
        cluster = new InJvmCluster().withArgs(args);
        cluster.startControllerAndBrokers(3);
    }

    private TopicInfo topic(String name) {
        ActiveController controller = cluster.controller(1).getBean(ActiveController.class);
        return controller.view().topic(name).orElseThrow();
    }

    /** Partition p's replicas: a rotation of brokers 1-3 by p, so each broker is preferred by two. */
    private static List<Integer> rotation(int p) {
        return List.of(p % 3 + 1, (p + 1) % 3 + 1, (p + 2) % 3 + 1);
    }

    /**
     * Creates the topic, waits until every partition is led by its preferred replica with a full
     * ISR, stops broker 1 and starts it again on its logs, and waits until it is back in every ISR.
     */
    private void moveLeadershipOffBrokerOne(String bootstrap) throws Exception {
        Map<Integer, List<Integer>> assignments = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            assignments.put(p, rotation(p));
        }
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, assignments))).all().get(30, TimeUnit.SECONDS);
        }
        await("every partition led by its preferred replica with a full ISR").atMost(DEADLINE).ignoreExceptions()
                .until(() -> topic(TOPIC).partitions().stream().allMatch(p -> p.state().leader() == p.replicas().get(0)
                        && p.state().isr().size() == 3));

        cluster.stopBroker(1);
        await("broker 1 out of every ISR").atMost(DEADLINE).until(() -> topic(TOPIC).partitions().stream()
                .allMatch(p -> p.state().online() && p.state().leader() != 1 && !p.state().isr().contains(1)));
        cluster.startBroker(1, null);
        await("broker 1 back in every ISR").atMost(DEADLINE).until(() -> topic(TOPIC).partitions().stream()
                .allMatch(p -> p.state().isr().contains(1)));
    }

    private static String leaders(TopicInfo topic) {
        List<String> all = new ArrayList<>();
        for (PartitionInfo p : topic.partitions()) {
            all.add(p.partition() + ":" + p.state().leader() + "/" + p.replicas());
        }
        return String.join(" ", all);
    }

    /** What a broker's Metadata says: every partition led by its first replica. */
    private static boolean clientsSeePreferredLeaders(String bootstrap, String topic) throws Exception {
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(topic);
            for (TopicPartitionInfo p : description.partitions()) {
                if (p.leader() == null || p.leader().id() != p.replicas().get(0).id()) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Five broker starts and three tool JVMs, one and a half to three minutes: only in the {@code
     * faults} profile (tag {@code faults-only}).
     */
    @Test
    @Tag("faults-only")
    void kafkaLeaderElectionToolPutsLeadersBackOnTheirPreferredReplicasAndElectsUncleanly() throws Exception {
        start("--runnel.controller.leader-rebalance.enabled=false");
        moveLeadershipOffBrokerOne(cluster.bootstrap(2, 3));
        TopicInfo imbalanced = topic(TOPIC);
        System.out.println("Leaders after broker 1's restart (partition:leader/replicas): " + leaders(imbalanced));
        assertThat(imbalanced.partitions()).filteredOn(p -> p.replicas().get(0) == 1)
                .hasSize(2).allSatisfy(p -> assertThat(p.state().leader()).isNotEqualTo(1));

        KafkaTools tools = KafkaTools.locate(workDir);
        String bootstrap = cluster.bootstrap(1, 2, 3);
        KafkaTools.Result result = tools.run(TOOL_DEADLINE, LEADER_ELECTION, "--bootstrap-server", bootstrap,
                "--election-type", "preferred", "--all-topic-partitions");
        System.out.println("kafka-leader-election --election-type preferred --all-topic-partitions:\n" + result.stdout()
                + result.stderr());

        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.stdout()).as(result.describe())
                .contains("Successfully completed leader election (PREFERRED) for partitions")
                .contains(TOPIC + "-0").contains(TOPIC + "-3");
        TopicInfo balanced = topic(TOPIC);
        assertThat(balanced.partitions()).allSatisfy(p -> assertThat(p.state().leader()).isEqualTo(p.replicas().get(0)));
        await("every broker's clients see the preferred leaders").atMost(DEADLINE).ignoreExceptions()
                .until(() -> clientsSeePreferredLeaders(cluster.bootstrap(1), TOPIC)
                        && clientsSeePreferredLeaders(cluster.bootstrap(2), TOPIC)
                        && clientsSeePreferredLeaders(cluster.bootstrap(3), TOPIC));

        KafkaTools.Result again = tools.run(TOOL_DEADLINE, LEADER_ELECTION, "--bootstrap-server", bootstrap,
                "--election-type", "preferred", "--topic", TOPIC, "--partition", "0");
        System.out.println("kafka-leader-election --election-type preferred --topic " + TOPIC + " --partition 0:\n"
                + again.stdout() + again.stderr());
        assertThat(again.stdout()).as(again.describe()).contains("Valid replica already elected for partitions "
                + TOPIC + "-0");

        uncleanElectionOfAnOfflinePartition(tools);
    }

    @Test
    void automaticBalancingPutsLeadersBackWithoutTheTool() throws Exception {
        // InJvmCluster checks every 500 ms; broker 1 prefers 2 partitions, both led elsewhere: 100 % > 10 %.
        start();
        long startedAt = System.nanoTime();
        moveLeadershipOffBrokerOne(cluster.bootstrap(2, 3));
        long back = System.nanoTime();
        await("leaders back on their preferred replicas").atMost(DEADLINE).until(() -> topic(TOPIC).partitions()
                .stream().allMatch(p -> p.state().leader() == p.replicas().get(0)));
        System.out.printf("Automatic balancing: restart cycle %d ms, leaders back on their preferred replicas %d ms"
                + " after broker 1 rejoined every ISR: %s%n", (back - startedAt) / 1_000_000,
                (System.nanoTime() - back) / 1_000_000, leaders(topic(TOPIC)));
        await("clients see the preferred leaders").atMost(DEADLINE).ignoreExceptions()
                .until(() -> clientsSeePreferredLeaders(cluster.bootstrap(2), TOPIC));

        // The controller's REST endpoint, as the gateway and the console call it.
        String elections = InJvmCluster.url(cluster.controller(1)) + "/api/v1/elections";
        InJvmCluster.Response none = cluster.call("POST", elections, "{\"type\":\"PREFERRED\"}");
        assertThat(none.status()).as(none.body()).isEqualTo(200);
        assertThat(none.body()).as("every partition led by its preferred replica: nothing listed").isEqualTo("[]");
        InJvmCluster.Response named = cluster.call("POST", elections, "{\"type\":\"PREFERRED\",\"partitions\":["
                + "{\"topic\":\"" + TOPIC + "\",\"partition\":1},{\"topic\":\"nope\",\"partition\":0}]}");
        System.out.println("POST /api/v1/elections: " + named.status() + " " + named.body());
        assertThat(named.status()).as(named.body()).isEqualTo(200);
        assertThat(named.body()).contains("\"outcome\":\"ELECTION_NOT_NEEDED\"")
                .contains("\"outcome\":\"UNKNOWN_TOPIC_OR_PARTITION\"");
        InJvmCluster.Response untyped = cluster.call("POST", elections, "{\"partitions\":[]}");
        assertThat(untyped.status()).as(untyped.body()).isEqualTo(400);
        assertThat(untyped.body()).contains("invalid-request");
        InJvmCluster.Response sideways = cluster.call("POST", elections, "{\"type\":\"SIDEWAYS\"}");
        assertThat(sideways.status()).as(sideways.body()).isEqualTo(400);
        assertThat(topic(TOPIC).partitions()).allSatisfy(p -> assertThat(p.state().leader())
                .isEqualTo(p.replicas().get(0)));
    }

    /**
     * On the same cluster (one start less): a partition on brokers 2 and 3 whose ISR shrank to 2
     * before 2 stopped is offline once 3 returns out of sync, until an unclean election gives it to 3.
     */
    private void uncleanElectionOfAnOfflinePartition(KafkaTools tools) throws Exception {
        String topic = "lossy";
        try (Admin admin = KafkaClients.admin(cluster.bootstrap(1))) {
            admin.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(2, 3))))).all().get(30, TimeUnit.SECONDS);
        }
        await("a full ISR").atMost(DEADLINE).ignoreExceptions()
                .until(() -> topic(topic).partitions().get(0).state().isr().size() == 2);
        cluster.stopBroker(3);
        await("3 out of the ISR").atMost(DEADLINE).until(() -> topic(topic).partitions().get(0).state().isr()
                .equals(List.of(2)));
        cluster.stopBroker(2);
        await("offline").atMost(DEADLINE).until(() -> !topic(topic).partitions().get(0).state().online());
        cluster.startBroker(3, null);
        await("3 registered").atMost(DEADLINE).until(() -> cluster.controller(1).getBean(ActiveController.class)
                .view().brokers().containsKey(3));
        PartitionInfo offline = topic(topic).partitions().get(0);
        assertThat(offline.state().online()).as("unclean election is off for the topic").isFalse();

        KafkaTools.Result result = tools.run(TOOL_DEADLINE, LEADER_ELECTION, "--bootstrap-server",
                cluster.bootstrap(1), "--election-type", "unclean", "--topic", topic, "--partition", "0");
        System.out.println("kafka-leader-election --election-type unclean --topic " + topic + " --partition 0:\n"
                + result.stdout() + result.stderr());

        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.stdout()).contains("Successfully completed leader election (UNCLEAN) for partitions "
                + topic + "-0");
        PartitionInfo elected = topic(topic).partitions().get(0);
        assertThat(elected.state().leader()).isEqualTo(3);
        assertThat(elected.state().isr()).containsExactly(3);
        assertThat(elected.state().leaderEpoch()).isGreaterThan(offline.state().leaderEpoch());
    }
}
