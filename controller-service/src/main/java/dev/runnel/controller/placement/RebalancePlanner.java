package dev.runnel.controller.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Plans replica moves that drain brokers or even out the load after brokers were added, for the
 * existing reassignment machinery to execute. Pure: the cluster goes in as values, a plan comes
 * out; nothing is read or written.
 *
 * <ul>
 *   <li><b>Drain</b> brokers D: every replica on D is replaced, in its place in the replica list
 *       (so a drained preferred leader is replaced by the new preferred leader), by a broker
 *       outside D and not yet in the partition; the candidate kept is the best by, in order, rack
 *       (the drained replica's own rack, else a rack the partition does not use yet, so the rack
 *       spread never shrinks), fewest replicas, fewest preferred leaderships when it takes the
 *       first place, lowest id. Only partitions with a replica on D move, each replica once: the
 *       fewest moves a drain can take.</li>
 *   <li><b>Balance</b>: per topic, while two brokers' replica counts of the topic differ by more
 *       than one, a replica moves from the most loaded broker to the least loaded one, on a
 *       partition where that keeps the rack spread (a follower's place first); then, per topic,
 *       preferred leadership (the first replica) is evened out by reordering replicas, which moves
 *       no data. The result: every broker holds its share of each topic, within one.</li>
 * </ul>
 *
 * Brokers' racks follow {@link ReplicaPlacement}'s rule: all brokers have one, or none has. The
 * class is stateless and thread-safe.
 */
public final class RebalancePlanner {

    /** One partition as it is: its replicas, the preferred leader first. */
    public record PartitionReplicas(String topic, int partition, List<Integer> replicas) {
        public PartitionReplicas {
            Objects.requireNonNull(topic, "topic");
            replicas = List.copyOf(replicas);
        }
    }

    /** One partition's change: from its replicas to its targets, the preferred leader first. */
    public record Move(String topic, int partition, List<Integer> from, List<Integer> to) {
    }

    /** What one broker holds: replicas, and partitions it is the preferred leader of. */
    public record BrokerLoad(int broker, int replicas, int preferredLeaders) {
    }

    /** A plan: the moves, and the load of every broker before and after them. */
    public record Plan(List<Move> moves, List<BrokerLoad> before, List<BrokerLoad> after) {
    }

    private RebalancePlanner() {
    }

    /**
     * The moves that take every replica off {@code drained}.
     *
     * @param brokers    the live brokers, the drained ones among them or not
     * @param partitions every partition of the cluster
     * @throws PlacementException if a drained broker is unknown, none would be left, or a
     *                            partition has more replicas than the brokers left
     */
    public static Plan drain(List<PlacementBroker> brokers, List<PartitionReplicas> partitions, Set<Integer> drained) {
        if (drained == null || drained.isEmpty()) {
            throw new PlacementException("Name the brokers to drain");
        }
        Map<Integer, String> racks = racks(brokers);
        Set<Integer> known = new HashSet<>(racks.keySet());
        partitions.forEach(p -> known.addAll(p.replicas()));
        for (int id : drained) {
            if (!known.contains(id)) {
                throw new PlacementException("Broker " + id + " is neither live nor holds any replica");
            }
        }
        List<Integer> targets = racks.keySet().stream().filter(id -> !drained.contains(id)).sorted().toList();
        if (targets.isEmpty()) {
            throw new PlacementException("Draining " + new TreeSet<>(drained) + " would leave no broker");
        }
        Load load = new Load(racks.keySet(), partitions);
        Map<String, List<Integer>> result = new LinkedHashMap<>();
        for (PartitionReplicas p : sorted(partitions)) {
            List<Integer> replicas = new ArrayList<>(p.replicas());
            boolean changed = false;
            for (int i = 0; i < replicas.size(); i++) {
                int removed = replicas.get(i);
                if (!drained.contains(removed)) {
                    continue;
                }
                int position = i;
                List<Integer> others = new ArrayList<>(replicas);
                others.remove(position);
                Integer chosen = targets.stream().filter(id -> !replicas.contains(id))
                        .min(Comparator.<Integer>comparingInt(id -> rackScore(racks, id, racks.get(removed), others))
                                .thenComparingInt(load::replicas)
                                .thenComparingInt(id -> position == 0 ? load.leaders(id) : 0)
                                .thenComparingInt(id -> id))
                        .orElseThrow(() -> new PlacementException("Partition " + p.topic() + "-" + p.partition()
                                + " has " + replicas.size() + " replicas but only " + targets.size()
                                + " brokers would be left: " + targets));
                load.move(removed, chosen, position == 0);
                replicas.set(position, chosen);
                changed = true;
            }
            if (changed) {
                result.put(key(p), replicas);
            }
        }
        return plan(racks.keySet(), partitions, result);
    }

    /**
     * The moves that spread each topic's replicas and preferred leaders evenly over {@code brokers}.
     * Replicas on brokers not among them stay where they are.
     */
    public static Plan balance(List<PlacementBroker> brokers, List<PartitionReplicas> partitions) {
        Map<Integer, String> racks = racks(brokers);
        if (racks.isEmpty()) {
            throw new PlacementException("There are no live brokers to balance over");
        }
        Map<String, List<Integer>> result = new LinkedHashMap<>();
        Map<String, List<PartitionReplicas>> byTopic = new TreeMap<>();
        sorted(partitions).forEach(p -> byTopic.computeIfAbsent(p.topic(), t -> new ArrayList<>()).add(p));
        for (List<PartitionReplicas> topic : byTopic.values()) {
            Map<String, List<Integer>> replicas = new LinkedHashMap<>();
            topic.forEach(p -> replicas.put(key(p), new ArrayList<>(p.replicas())));
            balanceReplicas(racks, replicas);
            balanceLeaders(racks.keySet(), replicas);
            for (PartitionReplicas p : topic) {
                if (!replicas.get(key(p)).equals(p.replicas())) {
                    result.put(key(p), replicas.get(key(p)));
                }
            }
        }
        return plan(racks.keySet(), partitions, result);
    }

    private static void balanceReplicas(Map<Integer, String> racks, Map<String, List<Integer>> replicas) {
        int bound = 1 + replicas.values().stream().mapToInt(List::size).sum() * 2;
        for (int round = 0; round < bound; round++) {
            Map<Integer, Integer> counts = counts(racks.keySet(), replicas, false);
            List<Integer> byLoad = new ArrayList<>(racks.keySet());
            byLoad.sort(Comparator.<Integer>comparingInt(counts::get).thenComparingInt(id -> id));
            if (!moveOne(racks, replicas, counts, byLoad)) {
                return;
            }
        }
    }

    /** Moves one replica from a loaded broker to a light one where the counts differ by more than one. */
    private static boolean moveOne(Map<Integer, String> racks, Map<String, List<Integer>> replicas,
            Map<Integer, Integer> counts, List<Integer> byLoad) {
        for (int o = byLoad.size() - 1; o >= 0; o--) {
            int over = byLoad.get(o);
            for (int under : byLoad) {
                if (counts.get(over) - counts.get(under) <= 1) {
                    break;
                }
                List<Integer> best = null;
                for (List<Integer> list : replicas.values()) {
                    if (!list.contains(over) || list.contains(under)) {
                        continue;
                    }
                    List<Integer> others = new ArrayList<>(list);
                    others.remove(Integer.valueOf(over));
                    if (rackScore(racks, under, racks.get(over), others) == 2) {
                        continue; // would shrink the rack spread
                    }
                    // a follower's place first: the preferred leader stays
                    if (best == null || (best.get(0) == over && list.get(0) != over)) {
                        best = list;
                    }
                }
                if (best != null) {
                    best.set(best.indexOf(over), under);
                    return true;
                }
            }
        }
        return false;
    }

    private static void balanceLeaders(Set<Integer> brokers, Map<String, List<Integer>> replicas) {
        int bound = 1 + replicas.size() * 2;
        for (int round = 0; round < bound; round++) {
            Map<Integer, Integer> leaders = counts(brokers, replicas, true);
            List<Integer> byLoad = new ArrayList<>(brokers);
            byLoad.sort(Comparator.<Integer>comparingInt(leaders::get).thenComparingInt(id -> id));
            boolean moved = false;
            for (int o = byLoad.size() - 1; o >= 0 && !moved; o--) {
                int over = byLoad.get(o);
                for (int under : byLoad) {
                    if (leaders.get(over) - leaders.get(under) <= 1) {
                        break;
                    }
                    List<Integer> swap = replicas.values().stream()
                            .filter(list -> list.get(0) == over && list.contains(under)).findFirst().orElse(null);
                    if (swap != null) {
                        int at = swap.indexOf(under);
                        swap.set(at, over);
                        swap.set(0, under);
                        moved = true;
                        break;
                    }
                }
            }
            if (!moved) {
                return;
            }
        }
    }

    /**
     * 0 when {@code candidate} replaces a replica in the same rack, 1 when it brings a rack the
     * {@code others} do not use, 2 when its rack is already among theirs; always 0 without racks.
     */
    private static int rackScore(Map<Integer, String> racks, int candidate, String replacedRack, List<Integer> others) {
        String rack = racks.get(candidate);
        if (rack == null || rack.equals(replacedRack)) {
            return 0;
        }
        for (int other : others) {
            if (rack.equals(racks.get(other))) {
                return 2;
            }
        }
        return 1;
    }

    private static Map<Integer, String> racks(List<PlacementBroker> brokers) {
        Map<Integer, String> racks = new TreeMap<>();
        long withRack = brokers.stream().filter(b -> b.rack() != null).count();
        if (withRack != 0 && withRack != brokers.size()) {
            throw new PlacementException("Either every live broker has a rack or none has; cannot plan with some "
                    + "racks missing");
        }
        brokers.forEach(b -> racks.put(b.id(), b.rack()));
        return racks;
    }

    private static List<PartitionReplicas> sorted(List<PartitionReplicas> partitions) {
        return partitions.stream().sorted(Comparator.comparing(PartitionReplicas::topic)
                .thenComparingInt(PartitionReplicas::partition)).toList();
    }

    private static String key(PartitionReplicas p) {
        return p.topic() + "\u0000" + p.partition();
    }

    private static Map<Integer, Integer> counts(Set<Integer> brokers, Map<String, List<Integer>> replicas,
            boolean leadersOnly) {
        Map<Integer, Integer> counts = new HashMap<>();
        brokers.forEach(id -> counts.put(id, 0));
        for (List<Integer> list : replicas.values()) {
            for (int id : leadersOnly ? list.subList(0, Math.min(1, list.size())) : list) {
                counts.computeIfPresent(id, (k, n) -> n + 1);
            }
        }
        return counts;
    }

    private static Plan plan(Set<Integer> live, List<PartitionReplicas> partitions, Map<String, List<Integer>> result) {
        List<Move> moves = new ArrayList<>();
        Map<String, List<Integer>> before = new LinkedHashMap<>();
        Map<String, List<Integer>> after = new LinkedHashMap<>();
        for (PartitionReplicas p : sorted(partitions)) {
            before.put(key(p), p.replicas());
            List<Integer> to = result.getOrDefault(key(p), p.replicas());
            after.put(key(p), to);
            if (!to.equals(p.replicas())) {
                moves.add(new Move(p.topic(), p.partition(), p.replicas(), List.copyOf(to)));
            }
        }
        Set<Integer> brokers = new TreeSet<>(live);
        partitions.forEach(p -> brokers.addAll(p.replicas()));
        return new Plan(moves, loads(brokers, before), loads(brokers, after));
    }

    private static List<BrokerLoad> loads(Set<Integer> brokers, Map<String, List<Integer>> replicas) {
        Map<Integer, Integer> all = counts(brokers, replicas, false);
        Map<Integer, Integer> leaders = counts(brokers, replicas, true);
        return brokers.stream().map(id -> new BrokerLoad(id, all.get(id), leaders.get(id))).toList();
    }

    /** Replica and preferred-leader counts while a drain is planned. */
    private static final class Load {
        private final Map<Integer, Integer> replicas = new HashMap<>();
        private final Map<Integer, Integer> leaders = new HashMap<>();

        Load(Set<Integer> brokers, List<PartitionReplicas> partitions) {
            brokers.forEach(id -> {
                replicas.put(id, 0);
                leaders.put(id, 0);
            });
            for (PartitionReplicas p : partitions) {
                p.replicas().forEach(id -> replicas.merge(id, 1, Integer::sum));
                if (!p.replicas().isEmpty()) {
                    leaders.merge(p.replicas().get(0), 1, Integer::sum);
                }
            }
        }

        int replicas(int id) {
            return replicas.getOrDefault(id, 0);
        }

        int leaders(int id) {
            return leaders.getOrDefault(id, 0);
        }

        void move(int from, int to, boolean leader) {
            replicas.merge(from, -1, Integer::sum);
            replicas.merge(to, 1, Integer::sum);
            if (leader) {
                leaders.merge(from, -1, Integer::sum);
                leaders.merge(to, 1, Integer::sum);
            }
        }
    }
}
