package dev.runnel.clustertest;

/** {@link StarterSpringKafkaScenarios} against Runnel: a controller and a broker in this JVM on a real ZooKeeper. */
class StarterSpringKafkaClusterTest extends StarterSpringKafkaScenarios {

    private InJvmCluster cluster;

    @Override
    String startCluster() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(1, "--runnel.broker.offsets-topic.replication-factor=1",
                "--runnel.broker.transaction-state-log.replication-factor=1",
                "--runnel.broker.transaction-state-log.partitions=3",
                "--runnel.broker.group.initial-rebalance-delay=200ms", "--runnel.broker.group.min-session-timeout=1s");
        return cluster.bootstrap(1);
    }

    @Override
    void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }
}
