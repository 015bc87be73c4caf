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
 * /topics/&lt;name&gt;                        persistent {@link TopicRecord}: id, replica assignment, configs;
 *                                                   empty while a big creation or deletion is under way
 * /topics/&lt;name&gt;/partitions/&lt;p&gt;/state  persistent {@link PartitionState}: leader, epochs, ISR
 * </pre>
 *
 * Every write of the active controller is a transaction that also checks the version of
 * {@code /controller_epoch} it wrote when it took over, so a deposed controller changes nothing.
 *
 * <p>A topic is created, grown or deleted in one transaction when that fits ZooKeeper's request
 * limit ({@code jute.maxbuffer}); a bigger change takes several transactions and has a commit
 * point, so that a controller that dies between them leaves a state the next one can read:
 * <ul>
 *   <li>A topic node with <em>empty</em> data is not a topic. A big creation creates the node empty,
 *       then its partitions, and writing the {@link TopicRecord} into the node last commits the
 *       creation. A big deletion first empties the node, which commits the deletion, then deletes
 *       the partitions and the node.</li>
 *   <li>A topic has exactly the partitions its record counts. A big growth creates the new
 *       partitions first, and writing the record with the new count last commits it; partition
 *       nodes beyond the count belong to a growth that did not commit.</li>
 * </ul>
 * A controller loading the metadata removes an empty topic node with everything under it, and
 * partition nodes beyond their topic's count, before it tells brokers about any topic.
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
