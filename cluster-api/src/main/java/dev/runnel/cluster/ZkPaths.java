package dev.runnel.cluster;

/**
 * The cluster's layout in ZooKeeper, relative to the namespace (default {@code /runnel}).
 *
 * <pre>
 * /brokers/ids/&lt;id&gt;                      ephemeral  {@link BrokerInfo}; the broker is alive while it exists
 * /controller                            persistent {@link ControllerInfo} of the last active controller;
 *                                                   its children are the election's latch nodes
 * /controller_epoch                      persistent the epoch as a decimal string, bumped by each new controller
 * /cluster/id                            persistent the cluster id (a UUID), created once by the first service
 * /producer_ids                          persistent {@link ProducerIdBlock}: the last block of producer ids handed out
 * /topics/&lt;name&gt;                        persistent {@link TopicRecord}: id, replica assignment, configs
 * /topics/&lt;name&gt;/partitions/&lt;p&gt;/state  persistent {@link PartitionState}: leader, epochs, ISR
 * </pre>
 *
 * Every write of the active controller is a transaction that also checks the version of
 * {@code /controller_epoch} it wrote when it took over, so a deposed controller changes nothing.
 */
public final class ZkPaths {

    /** The default namespace (chroot) of a Runnel cluster in ZooKeeper. */
    public static final String DEFAULT_NAMESPACE = "runnel";

    public static final String BROKER_IDS = "/brokers/ids";
    public static final String CONTROLLER = "/controller";
    public static final String CONTROLLER_EPOCH = "/controller_epoch";
    public static final String TOPICS = "/topics";
    public static final String CLUSTER_ID = "/cluster/id";
    public static final String PRODUCER_IDS = "/producer_ids";

    private ZkPaths() {
    }

    public static String broker(int id) {
        return BROKER_IDS + "/" + id;
    }

    public static String topic(String name) {
        return TOPICS + "/" + name;
    }

    public static String partitions(String topic) {
        return topic(topic) + "/partitions";
    }

    public static String partition(String topic, int partition) {
        return partitions(topic) + "/" + partition;
    }

    public static String partitionState(String topic, int partition) {
        return partition(topic, partition) + "/state";
    }
}
