package dev.runnel.controller.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * Chooses the replicas of new partitions as Apache Kafka's AdminUtils does (its ZooKeeper-era
 * placement), so that leaders and replicas spread evenly over the live brokers and, with racks, over racks.
 *
 * <p>The brokers are first put in a fixed order of n positions: by id when no broker has a rack;
 * when every broker has one, alternating racks (racks sorted by name, brokers by id within a
 * rack, taking one broker from each rack in turn: a1, b1, c1, a2, b2, a3, ...). Then for
 * partition p:
 * <ul>
 *   <li>the first replica, the preferred leader, is at position (p + startIndex) mod n, so
 *       consecutive partitions get consecutive leaders;</li>
 *   <li>the followers are picked walking on from the leader: the k-th candidate (k = 0, 1, ...) is
 *       at (first + 1 + (s + k) mod (n - 1)) mod n, never the leader's own position, where
 *       s = shift, or shift &times; number of racks when racks are used, and
 *       shift = nextReplicaShift + p / n. Raising the shift once per round of n leaders varies the
 *       followers from round to round, so replica counts come out even, not only leader counts;</li>
 *   <li>a candidate is skipped if it already holds a replica of the partition, or if its rack
 *       does while some rack holds none, so every partition spans min(replicationFactor, racks)
 *       racks. Without racks no candidate is ever skipped.</li>
 * </ul>
 * Each round of n partitions (kn .. kn + n - 1) gives every broker one leader and, without racks
 * or with racks of equal size, replicationFactor replicas. With racks of unequal size the leaders stay even but,
 * as in Kafka, the brokers of a bigger rack need not share its replicas evenly.
 *
 * <p>Kafka counts the shift's increments from the first new partition; here they count from
 * partition 0, so placing partitions in several calls (adding partitions to a topic with the
 * same startIndex and shift) gives exactly what one call for all of them would.
 *
 * <p>Brokers with racks and brokers without cannot be mixed: Kafka refuses that too (unless told
 * to ignore racks), since the rack guarantee could not be kept.
 *
 * <p>The class is stateless and thread-safe.
 */
public final class ReplicaPlacement {

    private ReplicaPlacement() {
    }

    /**
     * Assigns replicas for partitions firstPartition .. firstPartition+count-1. Returns one list
     * per new partition, preferred leader first; the lists are unmodifiable. Random picks the
     * start index and then the shift like Kafka: each uniformly in [0, number of live brokers).
     *
     * @throws PlacementException if the arguments or the brokers do not allow a placement
     */
    public static List<List<Integer>> assign(List<PlacementBroker> liveBrokers, int count,
            int replicationFactor, int firstPartition, RandomGenerator random) {
        Objects.requireNonNull(random, "random");
        Layout layout = layout(liveBrokers, count, replicationFactor, firstPartition);
        int n = layout.ids.length;
        return place(layout, count, replicationFactor, firstPartition, random.nextInt(n), random.nextInt(n));
    }

    /**
     * Deterministic variant used by tests and by the random one: the same arguments always give
     * the same placement.
     *
     * @param startIndex       the broker position of partition 0's leader; at least 0
     * @param nextReplicaShift the follower shift of partition 0's round; at least 0
     * @throws PlacementException if the arguments or the brokers do not allow a placement
     */
    public static List<List<Integer>> assign(List<PlacementBroker> liveBrokers, int count,
            int replicationFactor, int firstPartition, int startIndex, int nextReplicaShift) {
        Layout layout = layout(liveBrokers, count, replicationFactor, firstPartition);
        if (startIndex < 0) {
            throw new PlacementException("Start index must not be negative, was " + startIndex);
        }
        if (nextReplicaShift < 0) {
            throw new PlacementException("Replica shift must not be negative, was " + nextReplicaShift);
        }
        return place(layout, count, replicationFactor, firstPartition, startIndex, nextReplicaShift);
    }

    /** The brokers in placement order, with each position's rack (all null without racks). */
    private record Layout(int[] ids, String[] racks, int rackCount) {
    }

    private static Layout layout(List<PlacementBroker> liveBrokers, int count, int replicationFactor,
            int firstPartition) {
        Objects.requireNonNull(liveBrokers, "liveBrokers");
        if (replicationFactor < 1) {
            throw new PlacementException("Replication factor must be at least 1, was " + replicationFactor);
        }
        if (count < 1) {
            throw new PlacementException("Partition count must be at least 1, was " + count);
        }
        if (firstPartition < 0) {
            throw new PlacementException("First partition must not be negative, was " + firstPartition);
        }
        if ((long) firstPartition + count - 1 > Integer.MAX_VALUE) {
            throw new PlacementException(count + " partitions from partition " + firstPartition
                    + " would pass the largest partition id " + Integer.MAX_VALUE);
        }
        if (liveBrokers.isEmpty()) {
            throw new PlacementException("There are no live brokers to place replicas on");
        }
        int n = liveBrokers.size();
        if (replicationFactor > n) {
            throw new PlacementException("Replication factor " + replicationFactor + " is larger than the "
                    + n + (n == 1 ? " live broker" : " live brokers"));
        }
        List<PlacementBroker> byId = new ArrayList<>(liveBrokers);
        byId.forEach(b -> Objects.requireNonNull(b, "liveBrokers holds null"));
        byId.sort(Comparator.comparingInt(PlacementBroker::id));
        List<Integer> withRack = new ArrayList<>();
        List<Integer> withoutRack = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PlacementBroker broker = byId.get(i);
            if (i > 0 && byId.get(i - 1).id() == broker.id()) {
                throw new PlacementException("Broker " + broker.id() + " is listed more than once");
            }
            (broker.rack() == null ? withoutRack : withRack).add(broker.id());
        }
        if (!withRack.isEmpty() && !withoutRack.isEmpty()) {
            throw new PlacementException("Not all brokers have rack information: brokers " + withRack
                    + " have a rack but brokers " + withoutRack + " do not");
        }
        int[] ids = new int[n];
        String[] racks = new String[n];
        if (withRack.isEmpty()) {
            for (int i = 0; i < n; i++) {
                ids[i] = byId.get(i).id();
            }
            return new Layout(ids, racks, 0);
        }
        Map<String, List<Integer>> brokersByRack = new TreeMap<>();
        for (PlacementBroker broker : byId) {
            brokersByRack.computeIfAbsent(broker.rack(), r -> new ArrayList<>()).add(broker.id());
        }
        int position = 0;
        for (int round = 0; position < n; round++) {
            for (Map.Entry<String, List<Integer>> rack : brokersByRack.entrySet()) {
                if (round < rack.getValue().size()) {
                    ids[position] = rack.getValue().get(round);
                    racks[position] = rack.getKey();
                    position++;
                }
            }
        }
        return new Layout(ids, racks, brokersByRack.size());
    }

    private static List<List<Integer>> place(Layout layout, int count, int replicationFactor,
            int firstPartition, int startIndex, int nextReplicaShift) {
        int n = layout.ids.length;
        List<List<Integer>> assignment = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int partition = firstPartition + i;
            int first = (int) (((long) partition + startIndex) % n);
            long stride = 0;
            if (n > 1) {
                long shift = ((long) nextReplicaShift + partition / n) % (n - 1);
                stride = shift * Math.max(1, layout.rackCount) % (n - 1);
            }
            assignment.add(replicas(layout, replicationFactor, first, stride));
        }
        return List.copyOf(assignment);
    }

    private static List<Integer> replicas(Layout layout, int replicationFactor, int first, long stride) {
        int n = layout.ids.length;
        boolean[] taken = new boolean[n];
        Set<String> racksTaken = new HashSet<>();
        List<Integer> replicas = new ArrayList<>(replicationFactor);
        taken[first] = true;
        racksTaken.add(layout.racks[first]);
        replicas.add(layout.ids[first]);
        // Terminates: the candidates cycle through all n - 1 other positions, and while some rack
        // holds no replica, one of its brokers is among them and free.
        for (long k = 0; replicas.size() < replicationFactor; k++) {
            int candidate = (int) ((first + 1 + (stride + k) % (n - 1)) % n);
            String rack = layout.racks[candidate];
            boolean rackTaken = racksTaken.contains(rack) && racksTaken.size() < layout.rackCount;
            if (!taken[candidate] && !rackTaken) {
                taken[candidate] = true;
                racksTaken.add(rack);
                replicas.add(layout.ids[candidate]);
            }
        }
        return List.copyOf(replicas);
    }
}
