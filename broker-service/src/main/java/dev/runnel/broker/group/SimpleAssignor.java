package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The share groups' assignor (Kafka's {@code simple}): every assignable partition of a subscribed
 * topic goes to at least one of the members subscribed to it. With at least as many partitions as
 * members, each partition goes to one member, dealt round-robin over the members in id order;
 * with more members than partitions, each member gets one partition, so a partition is shared by
 * several members (records of a share partition are handed out to whoever fetches them). A
 * partition is assignable once its share-partition state is initialized, as in Kafka. Not sticky:
 * a share member gives nothing up before another gets it, so a move costs nothing but the fetch
 * sessions.
 */
final class SimpleAssignor {

    static final String NAME = "simple";

    private SimpleAssignor() {
    }

    /**
     * @param subscriptions each member's subscribed topics (existing ones) by id
     * @param assignable    each subscribed topic's assignable partitions, ascending
     * @return every member's target, empty for a member with nothing assignable
     */
    static Map<String, PartitionSet> assign(Map<String, Set<UUID>> subscriptions, Map<UUID, List<Integer>> assignable) {
        SortedMap<UUID, List<String>> membersByTopic = new TreeMap<>();
        new TreeMap<>(subscriptions).forEach((member, topics) -> topics.forEach(topic ->
                membersByTopic.computeIfAbsent(topic, t -> new ArrayList<>()).add(member)));
        Map<String, PartitionSet.Builder> builders = new TreeMap<>();
        subscriptions.keySet().forEach(m -> builders.put(m, new PartitionSet.Builder()));
        membersByTopic.forEach((topic, members) -> {
            List<Integer> partitions = assignable.getOrDefault(topic, List.of());
            if (partitions.isEmpty()) {
                return;
            }
            if (members.size() <= partitions.size()) {
                for (int i = 0; i < partitions.size(); i++) {
                    builders.get(members.get(i % members.size())).add(topic, partitions.get(i));
                }
            } else {
                for (int i = 0; i < members.size(); i++) {
                    builders.get(members.get(i)).add(topic, partitions.get(i % partitions.size()));
                }
            }
        });
        Map<String, PartitionSet> assignment = new TreeMap<>();
        builders.forEach((member, b) -> assignment.put(member, b.build()));
        return assignment;
    }
}
