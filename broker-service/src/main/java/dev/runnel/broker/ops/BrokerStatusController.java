package dev.runnel.broker.ops;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.broker.cluster.BrokerRegistration;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.HostedPartition;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.GroupView;

/**
 * {@code GET /api/v1/broker}: this broker's registration, its view of the cluster and the partitions
 * it hosts, for operators and tests (read-only, no secret).
 */
@RestController
class BrokerStatusController {

    /** What this broker knows. */
    record Status(BrokerInfo registration, int highestControllerEpoch, MetadataCache.Snapshot metadata,
            Map<String, HostedPartition> hostedPartitions) {
    }

    private final BrokerRegistration registration;
    private final ReplicaManager replicas;
    private final MetadataCache metadata;
    private final GroupViews groupViews;

    BrokerStatusController(BrokerRegistration registration, ReplicaManager replicas, MetadataCache metadata,
            GroupViews groupViews) {
        this.groupViews = groupViews;
        this.registration = registration;
        this.replicas = replicas;
        this.metadata = metadata;
    }

    /** {@code GET /api/v1/broker/groups}: the consumer groups this broker coordinates. */
    @GetMapping("/api/v1/broker/groups")
    List<GroupView> groups() {
        return groupViews.all();
    }

    /** {@code GET /api/v1/broker/high-watermarks}: the high watermark of each partition this broker leads. */
    @GetMapping("/api/v1/broker/high-watermarks")
    Map<String, Long> highWatermarks() {
        return groupViews.highWatermarks();
    }

    @GetMapping("/api/v1/broker")
    Status status() {
        Map<String, HostedPartition> hosted = new TreeMap<>();
        replicas.hostedPartitions().forEach((tp, p) -> hosted.put(tp.toString(), p));
        return new Status(registration.current(), replicas.highestControllerEpoch(), metadata.snapshot(), hosted);
    }
}
