package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.sharestate.ShareStatePersister;

/**
 * Initializes the share-partition state of the partitions a share group has just subscribed to
 * (Kafka's InitializeShareGroupState from the group coordinator). A heartbeat that subscribes the
 * group to a partition it has no state for writes it into the group's state partitions as
 * initializing; this then asks the share coordinator to initialize it at state epoch 0 (start
 * offset -1 for a topic new to the group: the share-partition leader resolves
 * {@code share.auto.offset.reset}; 0 for a new partition of a topic it reads already), unless it
 * has state already (an initialization whose record was lost with a coordinator move), and writes
 * it as initialized with a new group epoch: only then is it assigned to members. A failed
 * initialization leaves the partition initializing, to be retried after the group's next
 * heartbeat, or when a coordinator loads the group.
 *
 * <p>Runs on the group's queue; one initialization of a group at a time.
 */
final class ShareStateInitializer {

    private static final Logger log = LoggerFactory.getLogger(ShareStateInitializer.class);

    private final GroupMetadataManager groups;
    private final GroupWrites writes;
    private final Supplier<ShareStatePersister> persister;

    ShareStateInitializer(GroupMetadataManager groups, GroupWrites writes, Supplier<ShareStatePersister> persister) {
        this.groups = groups;
        this.writes = writes;
        this.persister = persister;
    }

    /** Starts initializing the group's initializing partitions, unless that is under way or there are none. */
    void maybeInitialize(ClassicGroup g) {
        ShareGroup sg = g.share();
        ShareStatePersister state = persister.get();
        if (sg == null || sg.initializationInFlight || sg.statePartitions().initializing().isEmpty() || state == null) {
            return;
        }
        sg.initializationInFlight = true;
        List<GroupRecord.ShareTopicPartitions> pending = sg.statePartitions().initializing();
        Set<UUID> known = new TreeSet<>();
        sg.statePartitions().initialized().forEach(t -> known.add(t.topicId()));
        List<CompletableFuture<Map.Entry<UUID, Integer>>> each = new ArrayList<>();
        for (GroupRecord.ShareTopicPartitions topic : pending) {
            // A new partition of a topic the group reads already starts at 0, so nothing produced to it
            // before it was assigned is skipped; a new topic's where share.auto.offset.reset says.
            long startOffset = known.contains(topic.topicId()) ? 0 : -1;
            for (int p : topic.partitions()) {
                ShareStatePersister.Key key = ShareGroupOffsets.key(g.groupId, topic.topicId(), p);
                each.add(state.readSummary(key)
                        .thenCompose(summary -> summary.isPresent() ? CompletableFuture.<Void>completedFuture(null)
                                : state.initialize(key, 0, startOffset))
                        .handle((v, e) -> {
                            if (e != null) {
                                log.info("Cannot initialize the state of share partition {}: {}", key, e.getMessage());
                                return null;
                            }
                            return Map.entry(topic.topicId(), p);
                        }));
            }
        }
        CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> g.queue.execute(() -> {
            sg.initializationInFlight = false;
            Map<UUID, Set<Integer>> done = new LinkedHashMap<>();
            each.stream().map(CompletableFuture::join).filter(x -> x != null)
                    .forEach(x -> done.computeIfAbsent(x.getKey(), t -> new TreeSet<>()).add(x.getValue()));
            if (!done.isEmpty() && groups.group(g.groupId) == g) {
                writes.serialized(g, error -> error, group -> initialized(group, done), (group, error) -> { });
            }
        }));
    }

    /** The record moving {@code done} from initializing to initialized, if the group still has them initializing. */
    private static CoordinatorResult<Errors> initialized(ClassicGroup g, Map<UUID, Set<Integer>> done) {
        if (!g.isShareGroup()) {
            return new CoordinatorResult<>(List.of(), Errors.NONE);
        }
        GroupRecord.StoredShareStatePartitions before = g.share().statePartitions();
        Map<UUID, GroupRecord.ShareTopicPartitions> initialized = new LinkedHashMap<>();
        before.initialized().forEach(t -> initialized.put(t.topicId(), t));
        List<GroupRecord.ShareTopicPartitions> initializing = new ArrayList<>();
        boolean moved = false;
        for (GroupRecord.ShareTopicPartitions t : before.initializing()) {
            Set<Integer> ok = done.getOrDefault(t.topicId(), Set.of());
            List<Integer> still = t.partitions().stream().filter(p -> !ok.contains(p)).toList();
            List<Integer> now = t.partitions().stream().filter(ok::contains).toList();
            if (!still.isEmpty()) {
                initializing.add(new GroupRecord.ShareTopicPartitions(t.topicId(), t.topicName(), still));
            }
            if (!now.isEmpty()) {
                moved = true;
                TreeSet<Integer> partitions = new TreeSet<>(now);
                GroupRecord.ShareTopicPartitions had = initialized.get(t.topicId());
                if (had != null) {
                    partitions.addAll(had.partitions());
                }
                initialized.put(t.topicId(), new GroupRecord.ShareTopicPartitions(t.topicId(), t.topicName(),
                        List.copyOf(partitions)));
            }
        }
        if (!moved) {
            return new CoordinatorResult<>(List.of(), Errors.NONE);
        }
        // The partitions are assignable now: a new group epoch makes the next heartbeat compute a target with them.
        ShareGroup sg = g.share();
        return new CoordinatorResult<>(List.of(new GroupRecord.ShareStatePartitions(g.groupId,
                new GroupRecord.StoredShareStatePartitions(initializing, List.copyOf(initialized.values()),
                        before.deleting())), new GroupRecord.ShareGroupMetadata(g.groupId,
                new GroupRecord.StoredShareGroup(sg.groupEpoch() + 1, sg.metadataHash()))), Errors.NONE);
    }
}
