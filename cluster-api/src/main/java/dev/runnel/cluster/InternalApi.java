package dev.runnel.cluster;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Paths and authentication of the internal HTTP API between controllers and brokers. Every call
 * carries the shared cluster secret in {@link #SECRET_HEADER}; a call without it, or with another,
 * is refused with 401 before anything is read.
 */
public final class InternalApi {

    public static final String SECRET_HEADER = "X-Runnel-Cluster-Secret";
    public static final String PREFIX = "/internal/v1";

    /** Controller to broker. */
    public static final String LEADER_AND_ISR = PREFIX + "/leader-and-isr";
    public static final String UPDATE_METADATA = PREFIX + "/update-metadata";
    public static final String STOP_REPLICA = PREFIX + "/stop-replica";
    /**
     * Controller to broker: how far the broker has applied the commands it accepted (an empty
     * body; the answer is a {@link CommandResponse} with nothing to apply).
     */
    public static final String COMMAND_STATUS = PREFIX + "/command-status";
    /**
     * The identity of a controller command: a number that grows with every command the active
     * controller sends, within its epoch. A broker that receives a command whose id it has already
     * accepted (a resend after a lost answer) does not apply it again; it answers with the first
     * one's outcome.
     */
    public static final String COMMAND_ID_HEADER = "X-Runnel-Command-Id";
    /** Broker to controller. */
    public static final String ALTER_PARTITION = PREFIX + "/alter-partition";
    public static final String CONTROLLED_SHUTDOWN = PREFIX + "/controlled-shutdown";
    public static final String ALLOCATE_PRODUCER_IDS = PREFIX + "/allocate-producer-ids";
    /** A log directory of the broker failed: its replicas there are offline ({@link ReplicasOfflineRequest}). */
    public static final String REPLICAS_OFFLINE = PREFIX + "/replicas-offline";

    private InternalApi() {
    }

    /** Compares a presented secret with the configured one in time independent of where they differ. */
    public static boolean secretMatches(String configured, String presented) {
        if (configured == null || configured.isEmpty() || presented == null) {
            return false;
        }
        return MessageDigest.isEqual(configured.getBytes(StandardCharsets.UTF_8),
                presented.getBytes(StandardCharsets.UTF_8));
    }
}
