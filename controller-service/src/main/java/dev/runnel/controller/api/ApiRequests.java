package dev.runnel.controller.api;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The bodies of the admin API's requests and summaries. */
final class ApiRequests {

    private ApiRequests() {
    }

    /**
     * POST /api/v1/topics; absent counts take the controller's defaults. {@code assignments} (replica
     * lists by partition) places the replicas by hand, instead of the counts.
     */
    record CreateTopic(String name, Integer partitions, Integer replicationFactor, Map<String, String> configs,
            List<List<Integer>> assignments) {
    }

    /** PATCH /api/v1/topics/{name}/configs: configs to set and names to remove. */
    record AlterConfigs(Map<String, String> set, List<String> delete) {
    }

    /** POST /api/v1/topics/{name}/partitions: the new total partition count, and optionally the new partitions' replicas. */
    record CreatePartitions(Integer count, List<List<Integer>> assignments) {
    }

    /** An entry of GET /api/v1/topics. */
    record TopicSummary(String name, UUID topicId, int partitions, int replicationFactor) {
    }
}
