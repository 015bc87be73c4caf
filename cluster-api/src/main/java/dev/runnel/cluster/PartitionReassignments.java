package dev.runnel.cluster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The bodies of the controller's reassignment API ({@code /api/v1/reassignments}), which brokers
 * call for Kafka's AlterPartitionReassignments and ListPartitionReassignments (KIP-455).
 */
public final class PartitionReassignments {

    private PartitionReassignments() {
    }

    /**
     * One partition to move: its target replicas, the preferred leader first, or null to cancel the
     * partition's ongoing reassignment.
     */
    public record Target(String topic, Integer partition, List<Integer> replicas) {

        public Target {
            // Keeps null elements, for the controller to refuse with a message rather than a crash.
            replicas = replicas == null ? null : Collections.unmodifiableList(new ArrayList<>(replicas));
        }

        public boolean cancel() {
            return replicas == null;
        }
    }

    /** POST /api/v1/reassignments. */
    public record Request(List<Target> partitions) {
    }

    /**
     * Where a partition's reassignment stands: GET /api/v1/reassignments lists the ongoing ones, a
     * POST answers one for each partition it named (adding and removing empty: nothing is under way,
     * the partition is on its target or back on its original replicas).
     *
     * @param replicas         the targets, then the replicas being removed
     * @param addingReplicas   targets that are not yet replicas in sync
     * @param removingReplicas replicas that go once every adding one is in sync
     */
    public record Progress(String topic, int partition, List<Integer> replicas, List<Integer> addingReplicas,
            List<Integer> removingReplicas) {

        public Progress {
            replicas = List.copyOf(replicas);
            addingReplicas = List.copyOf(addingReplicas);
            removingReplicas = List.copyOf(removingReplicas);
        }
    }
}
