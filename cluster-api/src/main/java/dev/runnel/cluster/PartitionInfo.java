package dev.runnel.cluster;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One partition's full description in controller commands and the metadata view.
 *
 * @param partition        the partition index
 * @param replicas         the assigned replicas, preferred leader first; while the partition is
 *                         reassigned, the targets and then the replicas being removed
 * @param state            leader, epochs and ISR
 * @param addingReplicas   the replicas an ongoing reassignment adds (KIP-455); omitted from the JSON when none
 * @param removingReplicas the replicas an ongoing reassignment removes; omitted from the JSON when none
 */
public record PartitionInfo(int partition, List<Integer> replicas, PartitionState state,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Integer> addingReplicas,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Integer> removingReplicas) {

    public PartitionInfo {
        replicas = List.copyOf(replicas);
        addingReplicas = addingReplicas == null ? List.of() : List.copyOf(addingReplicas);
        removingReplicas = removingReplicas == null ? List.of() : List.copyOf(removingReplicas);
    }

    /** A partition that is not being reassigned. */
    public PartitionInfo(int partition, List<Integer> replicas, PartitionState state) {
        this(partition, replicas, state, List.of(), List.of());
    }

    /** Whether a reassignment of this partition is under way. */
    public boolean reassigning() {
        return !addingReplicas.isEmpty() || !removingReplicas.isEmpty();
    }
}
