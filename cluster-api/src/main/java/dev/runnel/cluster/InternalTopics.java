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

    /** The share coordinator's state of each share partition (KIP-932). */
    public static final String SHARE_GROUP_STATE = "__share_group_state";

    private static final Set<String> ALL = Set.of(CONSUMER_OFFSETS, TRANSACTION_STATE, SHARE_GROUP_STATE);

    private InternalTopics() {
    }

    public static boolean isInternal(String topic) {
        return ALL.contains(topic);
    }
}
