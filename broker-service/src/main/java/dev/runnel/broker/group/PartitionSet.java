package dev.runnel.broker.group;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BiPredicate;

/**
 * An immutable set of partitions by topic id: a member's assignment, target or partitions pending
 * revocation in the consumer group protocol (KIP-848 names topics by id). Topics without
 * partitions are never held, so two sets with the same partitions are equal.
 */
public final class PartitionSet {

    public static final PartitionSet EMPTY = new PartitionSet(new TreeMap<>());

    private final SortedMap<UUID, SortedSet<Integer>> partitions;

    private PartitionSet(SortedMap<UUID, SortedSet<Integer>> partitions) {
        this.partitions = partitions;
    }

    /** The set of these partitions by topic id (topics listing none are left out). */
    public static PartitionSet of(Map<UUID, ? extends Collection<Integer>> byTopic) {
        Builder b = new Builder();
        byTopic.forEach((topic, ps) -> ps.forEach(p -> b.add(topic, p)));
        return b.build();
    }

    public Map<UUID, SortedSet<Integer>> asMap() {
        return Collections.unmodifiableSortedMap(partitions);
    }

    public Set<UUID> topics() {
        return Collections.unmodifiableSet(partitions.keySet());
    }

    public SortedSet<Integer> partitions(UUID topic) {
        SortedSet<Integer> ps = partitions.get(topic);
        return ps == null ? Collections.emptySortedSet() : Collections.unmodifiableSortedSet(ps);
    }

    public boolean contains(UUID topic, int partition) {
        SortedSet<Integer> ps = partitions.get(topic);
        return ps != null && ps.contains(partition);
    }

    public boolean isEmpty() {
        return partitions.isEmpty();
    }

    public int size() {
        return partitions.values().stream().mapToInt(Set::size).sum();
    }

    public PartitionSet union(PartitionSet other) {
        Builder b = new Builder().addAll(this);
        return b.addAll(other).build();
    }

    public PartitionSet minus(PartitionSet other) {
        return filter((t, p) -> !other.contains(t, p));
    }

    public PartitionSet intersect(PartitionSet other) {
        return filter(other::contains);
    }

    public boolean intersects(PartitionSet other) {
        return !intersect(other).isEmpty();
    }

    public boolean containsAll(PartitionSet other) {
        return other.minus(this).isEmpty();
    }

    /** The partitions for which {@code keep} holds. */
    public PartitionSet filter(BiPredicate<UUID, Integer> keep) {
        Builder b = new Builder();
        partitions.forEach((t, ps) -> ps.forEach(p -> {
            if (keep.test(t, p)) {
                b.add(t, p);
            }
        }));
        return b.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PartitionSet other && partitions.equals(other.partitions);
    }

    @Override
    public int hashCode() {
        return partitions.hashCode();
    }

    @Override
    public String toString() {
        return partitions.toString();
    }

    /** Collects partitions into a set. */
    public static final class Builder {
        private final SortedMap<UUID, SortedSet<Integer>> partitions = new TreeMap<>();

        public Builder add(UUID topic, int partition) {
            partitions.computeIfAbsent(topic, t -> new TreeSet<>()).add(partition);
            return this;
        }

        public Builder addAll(PartitionSet set) {
            set.partitions.forEach((t, ps) -> ps.forEach(p -> add(t, p)));
            return this;
        }

        public PartitionSet build() {
            SortedMap<UUID, SortedSet<Integer>> copy = new TreeMap<>();
            partitions.forEach((t, ps) -> {
                if (!ps.isEmpty()) {
                    copy.put(t, Collections.unmodifiableSortedSet(new TreeSet<>(ps)));
                }
            });
            return copy.isEmpty() ? EMPTY : new PartitionSet(copy);
        }
    }
}
