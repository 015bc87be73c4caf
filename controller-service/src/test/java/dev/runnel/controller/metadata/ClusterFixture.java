package dev.runnel.controller.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.TopicRecord;
import dev.runnel.cluster.UpdateMetadataRequest;

/**
 * Builds {@link ControllerStateMachine}s from hand-written {@link LoadedMetadata}, and reads their
 * decisions, for the state machine tests.
 */
final class ClusterFixture {

    static final int CONTROLLER_ID = 100;
    static final int CONTROLLER_EPOCH = 7;
    static final long SEED = 42;

    private final List<BrokerInfo> brokers = new ArrayList<>();
    private final Map<String, TopicRecord> topics = new TreeMap<>();
    private final Map<String, Map<Integer, PartitionState>> states = new TreeMap<>();

    private ClusterFixture() {
    }

    /** An empty cluster to build on. */
    static ClusterFixture cluster() {
        return new ClusterFixture();
    }

    /** Registers brokers without racks, each with {@link #broker(int)}'s epoch. */
    ClusterFixture brokers(int... ids) {
        for (int id : ids) {
            brokers.add(broker(id));
        }
        return this;
    }

    ClusterFixture broker(BrokerInfo broker) {
        brokers.add(broker);
        return this;
    }

    /** Adds a topic with no partitions yet and these configs. */
    ClusterFixture topic(String name, Map<String, String> configs) {
        topics.put(name, new TopicRecord(topicId(name), List.of(), configs));
        states.put(name, new TreeMap<>());
        return this;
    }

    /** Appends the next partition of {@code topic} (creating the topic without configs if needed). */
    ClusterFixture partition(String topic, List<Integer> replicas, PartitionState state) {
        if (!topics.containsKey(topic)) {
            topic(topic, Map.of());
        }
        TopicRecord record = topics.get(topic);
        List<List<Integer>> all = new ArrayList<>(record.replicas());
        states.get(topic).put(all.size(), state);
        all.add(replicas);
        topics.put(topic, record.withReplicas(all));
        return this;
    }

    /** Marks partition {@code partition} of {@code topic} as being reassigned (its replicas as given). */
    ClusterFixture reassigning(String topic, int partition, List<Integer> adding, List<Integer> removing) {
        TopicRecord record = topics.get(topic);
        topics.put(topic, record.withPartition(partition, record.replicas().get(partition),
                new TopicRecord.Reassignment(adding, removing)));
        return this;
    }

    LoadedMetadata load() {
        return new LoadedMetadata(List.copyOf(brokers), Map.copyOf(topics), Map.copyOf(states));
    }

    ControllerStateMachine machine() {
        return machine(SEED);
    }

    ControllerStateMachine machine(long seed) {
        return new ControllerStateMachine(CONTROLLER_ID, CONTROLLER_EPOCH, load(), new Random(seed));
    }

    // ---- building blocks ----

    static BrokerInfo broker(int id) {
        return broker(id, null);
    }

    static BrokerInfo broker(int id, String rack) {
        return new BrokerInfo(id, "host-" + id, 9000 + id, 8000 + id, rack, 1000L + id);
    }

    /** The same broker registered again after a restart: a new (higher) broker epoch. */
    static BrokerInfo restarted(BrokerInfo broker) {
        return broker.withEpoch(broker.epoch() + 5000);
    }

    static PartitionState state(int leader, int leaderEpoch, List<Integer> isr, int partitionEpoch) {
        return new PartitionState(leader, leaderEpoch, isr, partitionEpoch);
    }

    static UUID topicId(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
    }

    static PartitionRef tp(String topic, int partition) {
        return new PartitionRef(topic, partition);
    }

    static ZkWrite.SetPartitionState write(String topic, int partition, PartitionState state) {
        return new ZkWrite.SetPartitionState(topic, partition, state);
    }

    // ---- reading machines and decisions ----

    static PartitionState stateOf(ControllerStateMachine machine, String topic, int partition) {
        return machine.view().state(topic, partition).orElseThrow();
    }

    static <T extends BrokerCommand> List<T> commands(Decision decision, Class<T> type) {
        return decision.commands().stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The brokers that get at least one command of {@code type}. */
    static Set<Integer> targets(Decision decision, Class<? extends BrokerCommand> type) {
        Set<Integer> ids = new TreeSet<>();
        commands(decision, type).forEach(c -> ids.add(c.brokerId()));
        return ids;
    }

    /** Every broker that gets any command. */
    static Set<Integer> targets(Decision decision) {
        return targets(decision, BrokerCommand.class);
    }

    /** The commands one broker gets, in order. */
    static List<BrokerCommand> commandsFor(Decision decision, int brokerId) {
        return decision.commands().stream().filter(c -> c.brokerId() == brokerId).toList();
    }

    /** The kinds of the commands one broker gets, in order. */
    static List<Class<?>> kindsFor(Decision decision, int brokerId) {
        return commandsFor(decision, brokerId).stream().<Class<?>>map(Object::getClass).toList();
    }

    /** By broker, the partitions its LeaderAndIsr lists. */
    static Map<Integer, Set<PartitionRef>> leaderAndIsrPartitions(Decision decision) {
        Map<Integer, Set<PartitionRef>> byBroker = new TreeMap<>();
        for (BrokerCommand.LeaderAndIsr command : commands(decision, BrokerCommand.LeaderAndIsr.class)) {
            assertThat(byBroker).as("one LeaderAndIsr per broker").doesNotContainKey(command.brokerId());
            byBroker.put(command.brokerId(), partitions(command.request()));
        }
        return byBroker;
    }

    static Set<PartitionRef> partitions(LeaderAndIsrRequest request) {
        Set<PartitionRef> refs = new TreeSet<>((a, b) -> a.topic().equals(b.topic())
                ? Integer.compare(a.partition(), b.partition()) : a.topic().compareTo(b.topic()));
        for (TopicInfo topic : request.topics()) {
            topic.partitions().forEach(p -> refs.add(tp(topic.name(), p.partition())));
        }
        return refs;
    }

    static BrokerCommand.LeaderAndIsr leaderAndIsrFor(Decision decision, int brokerId) {
        return commands(decision, BrokerCommand.LeaderAndIsr.class).stream()
                .filter(c -> c.brokerId() == brokerId).findFirst().orElseThrow();
    }

    static UpdateMetadataRequest updateMetadataFor(Decision decision, int brokerId) {
        List<BrokerCommand.UpdateMetadata> updates = commands(decision, BrokerCommand.UpdateMetadata.class).stream()
                .filter(c -> c.brokerId() == brokerId).toList();
        assertThat(updates).as("UpdateMetadata commands for broker %d", brokerId).hasSize(1);
        return updates.get(0).request();
    }

    /** The SetPartitionState writes, keyed by partition; fails if one partition is written twice. */
    static Map<PartitionRef, PartitionState> stateWrites(Decision decision) {
        Map<PartitionRef, PartitionState> byPartition = new LinkedHashMap<>();
        for (ZkWrite write : decision.writes()) {
            if (write instanceof ZkWrite.SetPartitionState set) {
                PartitionState previous = byPartition.put(tp(set.topic(), set.partition()), set.state());
                assertThat(previous).as("a second write of %s-%d in one decision", set.topic(), set.partition())
                        .isNull();
            }
        }
        return byPartition;
    }

    /**
     * Every command carries this controller's id and epoch, and every LeaderAndIsr and StopReplica
     * the epoch of the target broker's current registration.
     */
    static void assertFenced(Decision decision, ControllerStateMachine machine) {
        Map<Integer, BrokerInfo> live = machine.view().brokers();
        for (BrokerCommand command : decision.commands()) {
            assertThat(live).as("target of %s", command).containsKey(command.brokerId());
            long brokerEpoch = live.get(command.brokerId()).epoch();
            if (command instanceof BrokerCommand.LeaderAndIsr l) {
                assertThat(l.request().controllerId()).isEqualTo(CONTROLLER_ID);
                assertThat(l.request().controllerEpoch()).isEqualTo(CONTROLLER_EPOCH);
                assertThat(l.request().brokerEpoch()).as("broker epoch in %s", command).isEqualTo(brokerEpoch);
            } else if (command instanceof BrokerCommand.StopReplica s) {
                assertThat(s.request().controllerId()).isEqualTo(CONTROLLER_ID);
                assertThat(s.request().controllerEpoch()).isEqualTo(CONTROLLER_EPOCH);
                assertThat(s.request().brokerEpoch()).as("broker epoch in %s", command).isEqualTo(brokerEpoch);
            } else if (command instanceof BrokerCommand.UpdateMetadata u) {
                assertThat(u.request().controllerId()).isEqualTo(CONTROLLER_ID);
                assertThat(u.request().controllerEpoch()).isEqualTo(CONTROLLER_EPOCH);
            }
        }
    }

    /** Asserts that {@code event} is refused for {@code reason} and leaves the machine as it was. */
    static AdminException assertRefused(ControllerStateMachine machine, ControllerEvent event,
            AdminException.Reason reason) {
        ClusterView before = machine.view();
        AdminException refused = catchThrowableOfType(AdminException.class, () -> machine.handle(event));
        assertThat(refused).as("refusal of %s", event).isNotNull();
        assertThat(refused.reason()).as("reason for refusing %s (%s)", event, refused.getMessage())
                .isEqualTo(reason);
        assertThat(refused.getMessage()).isNotBlank();
        assertThat(machine.view()).as("view after refusing %s", event).isEqualTo(before);
        return refused;
    }
}
