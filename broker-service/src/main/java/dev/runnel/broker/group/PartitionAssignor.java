package dev.runnel.broker.group;

import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.UUID;

/**
 * A server-side assignor of the consumer group protocol ({@code group.consumer.assignors}): from
 * the members' subscriptions, the topics' partition counts and the current target, the next
 * target. Pure and deterministic: the same input always gives the same assignment.
 */
interface PartitionAssignor {

    /** The name clients ask for ({@code group.remote.assignor}) and ConsumerGroupDescribe shows. */
    String name();

    /**
     * @param subscriptions  member id to the ids of the topics it subscribes to that exist
     * @param current        member id to its part of the current target (members without one have none)
     * @param partitionCounts topic id to its number of partitions
     * @return member id to its part of the next target, for every member of {@code subscriptions}
     */
    Map<String, PartitionSet> assign(SortedMap<String, Set<UUID>> subscriptions, Map<String, PartitionSet> current,
            Map<UUID, Integer> partitionCounts);

    /** The assignor named {@code name}: {@code uniform} or {@code range}. */
    static PartitionAssignor named(String name) {
        return switch (name) {
            case UniformAssignor.NAME -> new UniformAssignor();
            case RangeAssignor.NAME -> new RangeAssignor();
            default -> throw new IllegalArgumentException("unknown consumer group assignor " + name
                    + " (known: uniform, range)");
        };
    }
}
