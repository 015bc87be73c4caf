package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.UUID;

/**
 * The {@code range} assignor: for each topic, the members subscribing to it in member id order
 * take consecutive ranges of its partitions, the first {@code partitions % members} one more
 * than the rest. Members subscribing to the same topics with the same partition counts get the
 * same partition numbers of each (co-partitioning, what joins need).
 */
final class RangeAssignor implements PartitionAssignor {

    static final String NAME = "range";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, PartitionSet> assign(SortedMap<String, Set<UUID>> subscriptions,
            Map<String, PartitionSet> current, Map<UUID, Integer> partitionCounts) {
        Map<String, PartitionSet.Builder> result = new HashMap<>();
        subscriptions.keySet().forEach(m -> result.put(m, new PartitionSet.Builder()));
        for (Map.Entry<UUID, Integer> topic : partitionCounts.entrySet()) {
            List<String> subscribers = new ArrayList<>();
            subscriptions.forEach((m, topics) -> {
                if (topics.contains(topic.getKey())) {
                    subscribers.add(m);
                }
            });
            if (subscribers.isEmpty()) {
                continue;
            }
            int partitions = topic.getValue();
            int each = partitions / subscribers.size();
            int extra = partitions % subscribers.size();
            int next = 0;
            for (int i = 0; i < subscribers.size(); i++) {
                int count = each + (i < extra ? 1 : 0);
                for (int p = next; p < next + count; p++) {
                    result.get(subscribers.get(i)).add(topic.getKey(), p);
                }
                next += count;
            }
        }
        Map<String, PartitionSet> built = new HashMap<>();
        result.forEach((m, b) -> built.put(m, b.build()));
        return built;
    }
}
