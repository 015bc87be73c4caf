package dev.runnel.gateway.proxy;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.cluster.ControllerInfo;
import dev.runnel.gateway.GatewayClients;
import dev.runnel.gateway.GatewayProperties;
import dev.runnel.gateway.routing.ControllerLocator;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/**
 * {@code GET /cluster}: the cluster at a glance, in one call (the console's overview page polls
 * it): brokers up and down, the active controller, every topic's partition health, and the sum of
 * all end offsets, whose growth between two calls is the cluster's produce rate.
 */
@RestController
@Tag(name = "Cluster")
class OverviewController {

    record BrokerStatus(int id, String host, Integer port, String rack, String status, int leaderships, int replicas) {
    }

    record TopicSummary(String name, boolean internal, int partitions, int replicationFactor, int underReplicated,
            int offline, long records) {
    }

    record ControllerStatus(Integer activeId, String activeUrl, Integer epoch, List<String> registered) {
    }

    record Overview(String clusterId, ControllerStatus controller, List<BrokerStatus> brokers, int topicCount,
            int partitionCount, int underReplicatedPartitions, int offlinePartitions, long endOffsetTotal,
            List<TopicSummary> topics, long at) {
    }

    private final GatewayClients clients;
    private final GatewayProperties properties;
    private final ControllerLocator controllers;
    private final Clock clock;

    OverviewController(GatewayClients clients, GatewayProperties properties, ControllerLocator controllers,
            Clock gatewayClock) {
        this.clients = clients;
        this.properties = properties;
        this.controllers = controllers;
        this.clock = gatewayClock;
    }

    @GetMapping("/cluster")
    @Operation(summary = "Brokers with status and rack, the active controller, partition health and the end-offset total")
    Overview overview() throws InterruptedException {
        DescribeClusterResult cluster = clients.admin().describeCluster();
        Collection<Node> live = await(cluster.nodes());
        String clusterId = await(cluster.clusterId());
        Set<String> names = await(clients.admin().listTopics(new ListTopicsOptions().listInternal(true)).names());
        Map<String, TopicDescription> described = names.isEmpty() ? Map.of()
                : await(clients.admin().describeTopics(names).allTopicNames());
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        described.values().forEach(t -> t.partitions().forEach(p -> latest.put(new TopicPartition(t.name(),
                p.partition()), OffsetSpec.latest())));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = latest.isEmpty() ? Map.of()
                : await(clients.admin().listOffsets(latest).all());

        Map<Integer, int[]> load = new TreeMap<>(); // broker id -> {leaderships, replicas}
        live.forEach(n -> load.put(n.id(), new int[2]));
        List<TopicSummary> topics = new ArrayList<>();
        int partitionCount = 0;
        int underReplicated = 0;
        int offline = 0;
        long endTotal = 0;
        for (TopicDescription t : described.values()) {
            int topicUnder = 0;
            int topicOffline = 0;
            long records = 0;
            for (TopicPartitionInfo p : t.partitions()) {
                if (p.leader() == null || p.leader().isEmpty()) {
                    topicOffline++;
                } else {
                    load.computeIfAbsent(p.leader().id(), id -> new int[2])[0]++;
                }
                if (p.isr().size() < p.replicas().size()) {
                    topicUnder++;
                }
                p.replicas().forEach(r -> load.computeIfAbsent(r.id(), id -> new int[2])[1]++);
                ListOffsetsResult.ListOffsetsResultInfo end = ends.get(new TopicPartition(t.name(), p.partition()));
                records += end == null ? 0 : end.offset();
            }
            partitionCount += t.partitions().size();
            underReplicated += topicUnder;
            offline += topicOffline;
            endTotal += records;
            topics.add(new TopicSummary(t.name(), t.isInternal(), t.partitions().size(),
                    t.partitions().isEmpty() ? 0 : t.partitions().get(0).replicas().size(), topicUnder, topicOffline,
                    records));
        }
        topics.sort(Comparator.comparing(TopicSummary::name));
        Map<Integer, Node> liveById = new HashMap<>();
        live.forEach(n -> liveById.put(n.id(), n));
        List<BrokerStatus> brokers = new ArrayList<>();
        load.forEach((id, counts) -> {
            Node node = liveById.get(id);
            brokers.add(node == null ? new BrokerStatus(id, null, null, null, "offline", counts[0], counts[1])
                    : new BrokerStatus(id, node.host(), node.port(), node.rack(), "online", counts[0], counts[1]));
        });
        ControllerInfo active = controllers.active().orElse(null);
        List<String> registered = new ArrayList<>(new TreeSet<>(controllers.registered().stream()
                .map(Object::toString).toList()));
        return new Overview(clusterId, new ControllerStatus(active == null ? null : active.id(),
                active == null ? null : active.url(), active == null ? null : active.epoch(), registered), brokers,
                described.size(), partitionCount, underReplicated, offline, endTotal, topics, clock.millis());
    }

    private <T> T await(KafkaFuture<T> future) throws InterruptedException {
        return AdminCalls.await(future, properties.getAdminTimeout());
    }
}
