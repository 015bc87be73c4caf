package dev.runnel.broker.ops;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.springframework.stereotype.Component;

import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.group.GroupAdmin;
import dev.runnel.broker.group.GroupState;
import dev.runnel.broker.group.OffsetAndMetadata;
import dev.runnel.broker.kafka.ConsumerSubscriptions;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.cluster.GroupView;
import dev.runnel.common.TopicPartition;

/**
 * The groups this broker coordinates, as operators see them: members with their partitions, and
 * committed offsets with the lag behind the high watermark this broker knows (it must host the
 * partition; the controller's admin API fills in the rest from the partitions' leaders).
 */
@Component
public class GroupViews {

    private static final long TIMEOUT_MS = 5_000;

    private final GroupAdmin admin;
    private final ReplicaManager replicas;
    private final int brokerId;

    GroupViews(GroupAdmin admin, ReplicaManager replicas, BrokerProperties properties) {
        this.admin = admin;
        this.replicas = replicas;
        this.brokerId = properties.getId();
    }

    /** Every group coordinated here, by id. */
    public List<GroupView> all() {
        List<GroupView> views = new ArrayList<>();
        for (GroupAdmin.Listing listing : await(admin.list())) {
            one(listing.groupId()).ifPresent(views::add);
        }
        views.sort(Comparator.comparing(GroupView::groupId));
        return views;
    }

    /** The group if this broker coordinates it. */
    public Optional<GroupView> one(String groupId) {
        GroupAdmin.Description d = await(admin.describe(groupId));
        if (d.state() == GroupState.DEAD) {
            return Optional.empty();
        }
        List<GroupView.Member> members = new ArrayList<>();
        for (GroupAdmin.MemberDescription m : d.members()) {
            List<String> assignment;
            try {
                assignment = "consumer".equals(d.protocolType()) ? ConsumerSubscriptions.assignedPartitions(m.assignment())
                        : List.of();
            } catch (IllegalArgumentException e) {
                assignment = List.of();
            }
            members.add(new GroupView.Member(m.memberId(), m.groupInstanceId(), m.clientId(), m.clientHost(), assignment));
        }
        List<GroupView.PartitionOffset> offsets = new ArrayList<>();
        Long total = null;
        Map<TopicPartition, OffsetAndMetadata> sorted = new TreeMap<>(
                Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        sorted.putAll(d.offsets());
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : sorted.entrySet()) {
            Long highWatermark = replicas.partition(e.getKey()).map(Partition::log).map(l -> l.highWatermark()).orElse(null);
            Long lag = highWatermark == null ? null : Math.max(0, highWatermark - e.getValue().offset());
            if (lag != null) {
                total = total == null ? lag : total + lag;
            }
            offsets.add(new GroupView.PartitionOffset(e.getKey().topic(), e.getKey().partition(), e.getValue().offset(),
                    e.getValue().metadata(), highWatermark, lag));
        }
        return Optional.of(new GroupView(d.groupId(), d.stateName(), d.protocolType(), d.protocolName(),
                d.generationId(), brokerId, members, offsets, total));
    }

    /** The high watermark of every partition this broker leads ({@code topic-partition}). */
    public Map<String, Long> highWatermarks() {
        Map<String, Long> marks = new TreeMap<>();
        for (Partition p : replicas.partitions()) {
            if (p.isLeader()) {
                marks.put(p.topicPartition().toString(), p.log().highWatermark());
            }
        }
        return marks;
    }

    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the groups", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the groups: " + e, e);
        }
    }
}
