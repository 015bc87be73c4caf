package dev.runnel.cluster;

import java.util.List;

/**
 * One partition's full description in controller commands and the metadata view.
 *
 * @param partition the partition index
 * @param replicas  the assigned replicas, preferred leader first
 * @param state     leader, epochs and ISR
 */
public record PartitionInfo(int partition, List<Integer> replicas, PartitionState state) {

    public PartitionInfo {
        replicas = List.copyOf(replicas);
    }
}
