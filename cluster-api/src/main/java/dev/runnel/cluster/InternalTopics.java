package dev.runnel.cluster;

import java.util.Set;

/**
 * The topics Runnel itself writes, as Kafka's internal topics: only their coordinator appends to
 * them, and Metadata marks them internal.
 */
public final class InternalTopics {

    /** The group coordinator's offsets and group metadata. */
    public static final String CONSUMER_OFFSETS = "__consumer_offsets";

    private static final Set<String> ALL = Set.of(CONSUMER_OFFSETS);

    private InternalTopics() {
    }

    public static boolean isInternal(String topic) {
        return ALL.contains(topic);
    }
}
