package dev.runnel.gateway.proxy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.gateway.GatewayClients;
import dev.runnel.gateway.GatewayProperties;

/** {@code GET /brokers}, {@code GET /consumer-groups} and {@code GET /consumer-groups/{group}} (members and lag). */
@RestController
class ClusterController {

    /** A broker as the proxy shows it. */
    record BrokerView(int id, String host, int port, String rack, boolean controller) {
    }

    /** One partition of a group: committed offset, the partition's end, and the difference. */
    record GroupOffsetView(String topic, int partition, long committedOffset, long endOffset, long lag) {
    }

    /** A member and the partitions it holds. */
    record MemberView(String memberId, String clientId, String host, List<String> partitions) {
    }

    /** A consumer group as the proxy shows it. */
    record GroupView(String groupId, String state, Integer coordinator, List<MemberView> members,
            List<GroupOffsetView> offsets, long totalLag) {
    }

    private final GatewayClients clients;
    private final GatewayProperties properties;

    ClusterController(GatewayClients clients, GatewayProperties properties) {
        this.clients = clients;
        this.properties = properties;
    }

    @GetMapping("/brokers")
    List<BrokerView> brokers() throws InterruptedException {
        DescribeClusterResult cluster = clients.admin().describeCluster();
        Collection<Node> nodes = await(cluster.nodes());
        Node controller = await(cluster.controller());
        return nodes.stream().sorted(Comparator.comparingInt(Node::id))
                .map(n -> new BrokerView(n.id(), n.host(), n.port(), n.rack(), controller != null && controller.id() == n.id()))
                .toList();
    }

    @GetMapping("/consumer-groups")
    List<Map<String, Object>> groups() throws InterruptedException {
        Collection<GroupListing> listings = await(clients.admin().listGroups().all());
        List<Map<String, Object>> out = new ArrayList<>();
        listings.stream().sorted(Comparator.comparing(GroupListing::groupId)).forEach(g -> {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("groupId", g.groupId());
            view.put("state", g.groupState().map(Object::toString).orElse("Unknown"));
            view.put("type", g.type().map(Object::toString).orElse("Unknown"));
            out.add(view);
        });
        return out;
    }

    @GetMapping("/consumer-groups/{group}")
    GroupView group(@PathVariable String group) throws InterruptedException {
        ConsumerGroupDescription described = await(clients.admin().describeConsumerGroups(List.of(group)).all()).get(group);
        Map<TopicPartition, OffsetAndMetadata> committed = await(
                clients.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
        if (described.groupState() == org.apache.kafka.common.GroupState.DEAD && committed.isEmpty()) {
            throw new ProxyException(HttpStatus.NOT_FOUND, "unknown-group", "there is no consumer group " + group);
        }
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = latest.isEmpty() ? Map.of()
                : await(clients.admin().listOffsets(latest).all());
        List<GroupOffsetView> offsets = new ArrayList<>();
        long totalLag = 0;
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
            if (e.getValue() == null) {
                continue;
            }
            long end = ends.get(e.getKey()).offset();
            long lag = Math.max(0, end - e.getValue().offset());
            totalLag += lag;
            offsets.add(new GroupOffsetView(e.getKey().topic(), e.getKey().partition(), e.getValue().offset(), end, lag));
        }
        offsets.sort(Comparator.comparing(GroupOffsetView::topic).thenComparingInt(GroupOffsetView::partition));
        List<MemberView> members = new ArrayList<>();
        for (MemberDescription m : described.members()) {
            members.add(new MemberView(m.consumerId(), m.clientId(), m.host(), m.assignment().topicPartitions().stream()
                    .map(TopicPartition::toString).sorted().toList()));
        }
        Node coordinator = described.coordinator();
        return new GroupView(group, described.groupState().toString(), coordinator == null ? null : coordinator.id(),
                members, offsets, totalLag);
    }

    private <T> T await(KafkaFuture<T> future) throws InterruptedException {
        return AdminCalls.await(future, properties.getAdminTimeout());
    }
}
