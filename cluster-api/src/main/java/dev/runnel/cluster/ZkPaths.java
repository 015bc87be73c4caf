package dev.runnel.cluster;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

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
 * /topics/&lt;name&gt;                        persistent {@link TopicRecord}: id, replica assignment, configs,
 *                                                   ongoing reassignments (adding and removing replicas);
 *                                                   empty while a big creation or deletion is under way
 * /topics/&lt;name&gt;/partitions/&lt;p&gt;/state  persistent {@link PartitionState}: leader, epochs, ISR
 * /acls/&lt;type&gt;/&lt;pattern&gt;/&lt;name&gt;          persistent the ACL entries of one resource pattern, as JSON
 *                                                   ({@code Topic}/{@code LITERAL}/{@code orders}); the name
 *                                                   encoded by {@link #encodeName}; gone once it has no entry
 * /users/&lt;name&gt;                          persistent a user's SCRAM credentials per mechanism (salt, stored
 *                                                   and server keys, iterations; never a password), as JSON
 * /config/users/&lt;user&gt;                   persistent a user's client quotas, as Kafka's ZooKeeper mode kept them
 * /config/users/&lt;user&gt;/clients/&lt;id&gt;      persistent the quotas of one client id of one user
 * /config/clients/&lt;id&gt;                   persistent a client id's quotas; {@code <default>} is the default entity
 * /config/brokers/&lt;id&gt;                   persistent a broker's dynamic configs ({@code <default>}: every
 *                                                   broker's), {@code {"version":1,"config":{...}}}
 * </pre>
 *
 * The ACL and user nodes are written by any broker with compare-and-set on the node version and
 * watched by every broker.
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

    // ---- security: ACLs and SCRAM credentials ---------------------------------------------------

    public static final String ACLS = "/acls";
    public static final String USERS = "/users";

    /** The parent of the ACL nodes of one resource type ({@code Topic}) and pattern type ({@code LITERAL}). */
    public static String aclPatterns(String resourceType, String patternType) {
        return ACLS + "/" + resourceType + "/" + patternType;
    }

    /** The node holding the entries of one resource pattern. */
    public static String aclPattern(String resourceType, String patternType, String name) {
        return aclPatterns(resourceType, patternType) + "/" + encodeName(name);
    }

    // ---- group configs --------------------------------------------------------------------------

    /** The parent of the group config nodes: one per group with overrides. */
    public static final String GROUP_CONFIGS = "/config/groups";

    /** The node holding one group's config overrides. */
    public static String groupConfig(String groupId) {
        return GROUP_CONFIGS + "/" + encodeName(groupId);
    }

    // ---- client quotas (Kafka's ZooKeeper layout) -------------------------------------------------

    /** The parent of the users' quota nodes; a user's client-id nodes are under {@code <user>/clients}. */
    public static final String USER_QUOTAS = "/config/users";
    /** The parent of the client ids' quota nodes. */
    public static final String CLIENT_QUOTAS = "/config/clients";
    /** The segment of a default entity (a null name in the Kafka API); a real {@code <default>} is encoded. */
    public static final String DEFAULT_QUOTA_ENTITY = "<default>";

    /** The quota node of {@code user}, or of the default user when null. */
    public static String userQuota(String user) {
        return USER_QUOTAS + "/" + quotaSegment(user);
    }

    /** The quota node of {@code clientId}, or of the default client id when null. */
    public static String clientQuota(String clientId) {
        return CLIENT_QUOTAS + "/" + quotaSegment(clientId);
    }

    /** The quota node of {@code clientId} of {@code user}, each null for the default. */
    public static String userClientQuota(String user, String clientId) {
        return userQuota(user) + "/clients/" + quotaSegment(clientId);
    }

    /** The name a quota node's segment stands for: null for {@code <default>}. */
    public static String quotaName(String segment) {
        return DEFAULT_QUOTA_ENTITY.equals(segment) ? null : decodeName(segment);
    }

    private static String quotaSegment(String name) {
        return name == null ? DEFAULT_QUOTA_ENTITY : encodeName(name);
    }

    // ---- dynamic broker configs -----------------------------------------------------------------

    /** The parent of the dynamic broker config nodes: {@code <id>} per broker, {@code <default>} for all. */
    public static final String BROKER_CONFIGS = "/config/brokers";

    /** The entity of the cluster-wide default broker configs, as Kafka's ZooKeeper mode names it. */
    public static final String DEFAULT_BROKER_ENTITY = "<default>";

    /** The node holding the dynamic configs of broker {@code entity}: an id or {@link #DEFAULT_BROKER_ENTITY}. */
    public static String brokerConfig(String entity) {
        return BROKER_CONFIGS + "/" + entity;
    }

    /** The node holding one user's SCRAM credentials. */
    public static String user(String name) {
        return USERS + "/" + encodeName(name);
    }

    /**
     * {@code name} as one path segment: the UTF-8 bytes, with letters, digits, {@code -}, {@code _}
     * and {@code .} kept and every other byte written {@code %XX} (upper-case hex), so group ids and
     * user names with {@code /} or {@code *} fit; {@code .} and {@code ..}, which ZooKeeper refuses
     * as segments, are written {@code %2E} and {@code %2E%2E}.
     *
     * @throws IllegalArgumentException if {@code name} is empty
     */
    public static String encodeName(String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an empty name has no node");
        }
        if (name.equals(".") || name.equals("..")) {
            return name.replace(".", "%2E");
        }
        StringBuilder out = new StringBuilder(name.length());
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /**
     * The name a segment written by {@link #encodeName} stands for.
     *
     * @throws IllegalArgumentException if {@code segment} has a malformed escape
     */
    public static String decodeName(String segment) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c > 0x7f) {
                throw new IllegalArgumentException("an encoded name is ASCII: " + segment);
            }
            if (c != '%') {
                bytes.write(c);
                continue;
            }
            if (i + 2 >= segment.length()) {
                throw new IllegalArgumentException("malformed escape in " + segment);
            }
            int high = Character.digit(segment.charAt(i + 1), 16);
            int low = Character.digit(segment.charAt(i + 2), 16);
            if (high < 0 || low < 0) {
                throw new IllegalArgumentException("malformed escape in " + segment);
            }
            bytes.write(high << 4 | low);
            i += 2;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
