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
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.gateway.GatewayClients;
import dev.runnel.gateway.GatewayProperties;
import dev.runnel.gateway.web.ProxyException;
import io.swagger.v3.oas.annotations.Operation;

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
        if (described.groupState() == GroupState.DEAD && committed.isEmpty()) {
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

    /** What {@code POST /consumer-groups/{group}/offsets/reset} takes. */
    record ResetRequest(String topic, List<Integer> partitions, String to, Long offset, Long timestamp) {
    }

    /**
     * Moves an idle group's committed offsets on one topic (all its partitions, or those listed) to
     * the earliest or latest offset, a given offset (kept within the partition), or the first
     * offset at or after a timestamp. A group with members is refused: they would overwrite it.
     */
    @PostMapping("/consumer-groups/{group}/offsets/reset")
    @Operation(summary = "Reset an empty group's committed offsets on a topic to earliest, latest, an offset or a timestamp")
    List<GroupOffsetView> reset(@PathVariable String group, @RequestBody ResetRequest request)
            throws InterruptedException {
        if (request == null || request.topic() == null || request.to() == null) {
            throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-reset",
                    "give 'topic' and 'to' (earliest, latest, offset or timestamp)");
        }
        OffsetSpec spec = switch (request.to()) {
            case "earliest" -> OffsetSpec.earliest();
            case "latest" -> OffsetSpec.latest();
            case "timestamp" -> {
                if (request.timestamp() == null) {
                    throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-reset", "'to': 'timestamp' needs 'timestamp' (ms)");
                }
                yield OffsetSpec.forTimestamp(request.timestamp());
            }
            case "offset" -> {
                if (request.offset() == null || request.offset() < 0) {
                    throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-reset", "'to': 'offset' needs 'offset' >= 0");
                }
                yield null;
            }
            default -> throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-reset",
                    "'to' must be earliest, latest, offset or timestamp");
        };
        TopicDescription topic = await(clients.admin().describeTopics(List.of(request.topic())).allTopicNames())
                .get(request.topic());
        List<Integer> partitions = request.partitions() == null || request.partitions().isEmpty()
                ? topic.partitions().stream().map(p -> p.partition()).toList() : request.partitions();
        for (int p : partitions) {
            if (p < 0 || p >= topic.partitions().size()) {
                throw new ProxyException(HttpStatus.NOT_FOUND, "unknown-partition", "topic " + request.topic()
                        + " has no partition " + p);
            }
        }
        ConsumerGroupDescription described = await(clients.admin().describeConsumerGroups(List.of(group)).all()).get(group);
        if (!described.members().isEmpty()) {
            throw new ProxyException(HttpStatus.CONFLICT, "group-active", "group " + group + " has "
                    + described.members().size() + " members; stop them before resetting its offsets");
        }
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> wanted = new HashMap<>();
        for (int p : partitions) {
            TopicPartition tp = new TopicPartition(request.topic(), p);
            earliest.put(tp, OffsetSpec.earliest());
            latest.put(tp, OffsetSpec.latest());
            if (spec != null) {
                wanted.put(tp, spec);
            }
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> begins = await(clients.admin().listOffsets(earliest).all());
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = await(clients.admin().listOffsets(latest).all());
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> found = wanted.isEmpty() ? Map.of()
                : await(clients.admin().listOffsets(wanted).all());
        Map<TopicPartition, OffsetAndMetadata> target = new HashMap<>();
        List<GroupOffsetView> result = new ArrayList<>();
        for (TopicPartition tp : earliest.keySet()) {
            long begin = begins.get(tp).offset();
            long end = ends.get(tp).offset();
            long offset = spec == null ? request.offset() : found.get(tp).offset();
            offset = offset < 0 ? end : Math.max(begin, Math.min(offset, end)); // -1: no record at or after the time
            target.put(tp, new OffsetAndMetadata(offset));
            result.add(new GroupOffsetView(tp.topic(), tp.partition(), offset, end, end - offset));
        }
        await(clients.admin().alterConsumerGroupOffsets(group, target).all());
        result.sort(Comparator.comparingInt(GroupOffsetView::partition));
        return result;
    }

    private <T> T await(KafkaFuture<T> future) throws InterruptedException {
        return AdminCalls.await(future, properties.getAdminTimeout());
    }
}
