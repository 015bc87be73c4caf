package dev.runnel.controller.api;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The bodies of the admin API's requests and summaries. */
final class ApiRequests {

    private ApiRequests() {
    }

    /** POST /api/v1/topics; absent counts take the controller's defaults. */
    record CreateTopic(String name, Integer partitions, Integer replicationFactor, Map<String, String> configs) {
    }

    /** PATCH /api/v1/topics/{name}/configs: configs to set and names to remove. */
    record AlterConfigs(Map<String, String> set, List<String> delete) {
    }

    /** POST /api/v1/topics/{name}/partitions: the new total partition count. */
    record CreatePartitions(Integer count) {
    }

    /** An entry of GET /api/v1/topics. */
    record TopicSummary(String name, UUID topicId, int partitions, int replicationFactor) {
    }
}
