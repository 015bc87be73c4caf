package dev.runnel.cluster;

import java.util.Set;

/**
 * The topics Runnel itself writes, as Kafka's internal topics: only their coordinator appends to
 * them, and Metadata marks them internal.
 */
public final class InternalTopics {

    /** The group coordinator's offsets and group metadata. */
    public static final String CONSUMER_OFFSETS = "__consumer_offsets";

    /** The transaction coordinator's state of each transactional id. */
    public static final String TRANSACTION_STATE = "__transaction_state";

    private static final Set<String> ALL = Set.of(CONSUMER_OFFSETS, TRANSACTION_STATE);

    private InternalTopics() {
    }

    public static boolean isInternal(String topic) {
        return ALL.contains(topic);
    }
}
