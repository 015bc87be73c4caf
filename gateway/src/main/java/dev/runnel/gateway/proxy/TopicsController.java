package dev.runnel.gateway.proxy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.gateway.GatewayClients;
import dev.runnel.gateway.GatewayProperties;

/** {@code GET /topics} and {@code GET /topics/{topic}}: names, and each partition's replicas and offsets. */
@RestController
class TopicsController {

    /** One partition as the proxy shows it. */
    record PartitionView(int partition, Integer leader, List<Integer> replicas, List<Integer> isr, long beginningOffset,
            long endOffset) {
    }

    /** A topic as the proxy shows it. */
    record TopicView(String name, String topicId, List<PartitionView> partitions) {
    }

    private final GatewayClients clients;
    private final GatewayProperties properties;

    TopicsController(GatewayClients clients, GatewayProperties properties) {
        this.clients = clients;
        this.properties = properties;
    }

    @GetMapping("/topics")
    List<String> topics() throws InterruptedException {
        return new ArrayList<>(new TreeSet<>(await(clients.admin().listTopics().names())));
    }

    @GetMapping("/topics/{topic}")
    TopicView topic(@PathVariable String topic) throws InterruptedException {
        TopicDescription described = await(clients.admin().describeTopics(List.of(topic)).allTopicNames()).get(topic);
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicPartitionInfo p : described.partitions()) {
            earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
            latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> begin = await(clients.admin().listOffsets(earliest).all());
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = await(clients.admin().listOffsets(latest).all());
        List<PartitionView> partitions = new ArrayList<>();
        for (TopicPartitionInfo p : described.partitions()) {
            TopicPartition tp = new TopicPartition(topic, p.partition());
            partitions.add(new PartitionView(p.partition(), p.leader() == null || p.leader().isEmpty() ? null
                    : p.leader().id(), p.replicas().stream().map(Node::id).toList(), p.isr().stream().map(Node::id).toList(),
                    begin.get(tp).offset(), end.get(tp).offset()));
        }
        return new TopicView(topic, described.topicId().toString(), partitions);
    }

    private <T> T await(KafkaFuture<T> future) throws InterruptedException {
        return AdminCalls.await(future, properties.getAdminTimeout());
    }
}
