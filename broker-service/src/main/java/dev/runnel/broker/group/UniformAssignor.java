package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The {@code uniform} assignor (the default): every partition of a subscribed topic goes to one
 * of its subscribers so that the members' partition counts differ by at most one where their
 * subscriptions allow, moving as few partitions as it can from the current target (sticky).
 *
 * <p>Three passes: (1) each member keeps the partitions of its current target that still exist
 * and it still subscribes to, up to its fair share ({@code floor(P/M)}, one more for the first
 * {@code P % M} members to reach it); (2) every partition left goes to its least loaded
 * subscriber; (3) with differing subscriptions, partitions move from a member to a subscriber
 * with at least two fewer until none can. Ties go to the member id first in order.
 */
final class UniformAssignor implements PartitionAssignor {

    static final String NAME = "uniform";

    /** One partition, ordered by topic id then number. */
    private record Slot(UUID topic, int partition) implements Comparable<Slot> {
        @Override
        public int compareTo(Slot o) {
            int byTopic = topic.compareTo(o.topic);
            return byTopic != 0 ? byTopic : Integer.compare(partition, o.partition);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, PartitionSet> assign(SortedMap<String, Set<UUID>> subscriptions,
            Map<String, PartitionSet> current, Map<UUID, Integer> partitionCounts) {
        Map<String, TreeSet<Slot>> owned = new HashMap<>();
        subscriptions.keySet().forEach(m -> owned.put(m, new TreeSet<>()));
        TreeSet<Slot> unassigned = new TreeSet<>();
        partitionCounts.forEach((topic, count) -> {
            if (subscriptions.values().stream().anyMatch(s -> s.contains(topic))) {
                for (int p = 0; p < count; p++) {
                    unassigned.add(new Slot(topic, p));
                }
            }
        });
        List<String> active = subscriptions.entrySet().stream().filter(e -> !e.getValue().isEmpty())
                .map(Map.Entry::getKey).toList();
        if (!active.isEmpty()) {
            int fair = unassigned.size() / active.size();
            int withOneMore = unassigned.size() % active.size();
            // (1) sticky: keep what is still valid, up to the fair share
            for (String member : active) {
                Set<UUID> topics = subscriptions.get(member);
                for (UUID topic : current.getOrDefault(member, PartitionSet.EMPTY).topics()) {
                    for (int p : current.get(member).partitions(topic)) {
                        Slot slot = new Slot(topic, p);
                        int size = owned.get(member).size();
                        boolean room = size < fair || (size == fair && withOneMore > 0);
                        if (topics.contains(topic) && unassigned.contains(slot) && room) {
                            if (size == fair) {
                                withOneMore--;
                            }
                            owned.get(member).add(slot);
                            unassigned.remove(slot);
                        }
                    }
                }
            }
            // (2) the rest to the least loaded subscriber
            for (Slot slot : unassigned) {
                leastLoaded(slot, active, subscriptions, owned).add(slot);
            }
            // (3) balance differing subscriptions
            rebalance(active, subscriptions, owned);
        }
        Map<String, PartitionSet> result = new HashMap<>();
        owned.forEach((m, slots) -> {
            PartitionSet.Builder b = new PartitionSet.Builder();
            slots.forEach(s -> b.add(s.topic(), s.partition()));
            result.put(m, b.build());
        });
        return result;
    }

    private static TreeSet<Slot> leastLoaded(Slot slot, List<String> members, Map<String, Set<UUID>> subscriptions,
            Map<String, TreeSet<Slot>> owned) {
        return members.stream().filter(m -> subscriptions.get(m).contains(slot.topic()))
                .min(Comparator.comparingInt((String m) -> owned.get(m).size()).thenComparing(m -> m))
                .map(owned::get).orElseThrow();
    }

    private static void rebalance(List<String> members, Map<String, Set<UUID>> subscriptions,
            Map<String, TreeSet<Slot>> owned) {
        boolean moved = true;
        int budget = owned.values().stream().mapToInt(Set::size).sum() * Math.max(1, members.size());
        while (moved && budget-- > 0) {
            moved = false;
            List<String> byLoad = new ArrayList<>(members);
            byLoad.sort(Comparator.comparingInt((String m) -> owned.get(m).size()).reversed().thenComparing(m -> m));
            outer:
            for (String from : byLoad) {
                for (Slot slot : owned.get(from)) {
                    TreeSet<Slot> to = leastLoaded(slot, members, subscriptions, owned);
                    if (to.size() + 1 < owned.get(from).size()) {
                        owned.get(from).remove(slot);
                        to.add(slot);
                        moved = true;
                        break outer;
                    }
                }
            }
        }
    }
}
