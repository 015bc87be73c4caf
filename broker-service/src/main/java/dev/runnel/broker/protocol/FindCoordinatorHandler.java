package dev.runnel.broker.protocol;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.group.GroupSettings;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;

/**
 * FindCoordinator (v0-6; batched keys from v4): the coordinator of a group is the leader of its
 * {@code __consumer_offsets} partition. The first request in a cluster without that topic asks the
 * controller to create it and answers COORDINATOR_NOT_AVAILABLE, so the client asks again; while
 * fewer brokers are alive than its replication factor it is not created (as Kafka), and every
 * request gets COORDINATOR_NOT_AVAILABLE saying so.
 * Transaction coordinators do not exist yet: such keys get INVALID_REQUEST.
 */
final class FindCoordinatorHandler implements ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(FindCoordinatorHandler.class);
    private static final byte GROUP = 0;

    private final MetadataCache metadata;
    private final GroupMetadataManager groups;
    private final ControllerAdminClient controller;
    private final GroupSettings settings;
    private static final long TOO_FEW_BROKERS_WARNING_INTERVAL_MS = Duration.ofMinutes(1).toMillis();

    private final AtomicBoolean creating = new AtomicBoolean();
    private final Clock clock;
    private volatile long lastTooFewBrokersWarning = Long.MIN_VALUE;

    FindCoordinatorHandler(MetadataCache metadata, GroupMetadataManager groups, ControllerAdminClient controller,
            GroupSettings settings, Clock clock) {
        this.clock = clock;
        this.metadata = metadata;
        this.groups = groups;
        this.controller = controller;
        this.settings = settings;
    }

    /** A coordinator's address, or why there is none. */
    private record Found(Errors error, String message, BrokerInfo broker) {
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        FindCoordinatorRequestData data = (FindCoordinatorRequestData) request.body();
        FindCoordinatorResponseData response = new FindCoordinatorResponseData();
        if (request.version() >= 4) {
            for (String key : data.coordinatorKeys()) {
                Found found = find(data.keyType(), key);
                response.coordinators().add(new FindCoordinatorResponseData.Coordinator().setKey(key)
                        .setErrorCode(found.error().code()).setErrorMessage(found.message())
                        .setNodeId(found.broker() == null ? -1 : found.broker().id())
                        .setHost(found.broker() == null ? "" : found.broker().host())
                        .setPort(found.broker() == null ? -1 : found.broker().kafkaPort()));
            }
        } else {
            Found found = find(data.keyType(), data.key());
            response.setErrorCode(found.error().code()).setErrorMessage(found.message())
                    .setNodeId(found.broker() == null ? -1 : found.broker().id())
                    .setHost(found.broker() == null ? "" : found.broker().host())
                    .setPort(found.broker() == null ? -1 : found.broker().kafkaPort());
        }
        return CompletableFuture.completedFuture(response);
    }

    private Found find(byte keyType, String key) {
        if (keyType != GROUP) {
            return new Found(Errors.INVALID_REQUEST, "Runnel has no transaction coordinator (key type " + keyType + ")",
                    null);
        }
        if (key == null || key.isEmpty()) {
            return new Found(Errors.INVALID_REQUEST, "the group id is empty", null);
        }
        MetadataCache.Snapshot view = metadata.snapshot();
        TopicInfo topic = view.topic(InternalTopics.CONSUMER_OFFSETS).orElse(null);
        if (topic == null) {
            int live = view.brokers().size();
            int replicationFactor = settings.offsetsTopicReplicationFactor();
            if (live < replicationFactor) {
                // As Kafka: never created under-replicated; the group waits until enough brokers are up.
                String message = InternalTopics.CONSUMER_OFFSETS + " needs " + replicationFactor
                        + " live brokers (offsets.topic.replication.factor, runnel.broker.offsets-topic.replication-factor);"
                        + " " + live + (live == 1 ? " is" : " are") + " alive";
                warnTooFewBrokers(message);
                return new Found(Errors.COORDINATOR_NOT_AVAILABLE, message, null);
            }
            createOffsetsTopic(replicationFactor);
            return new Found(Errors.COORDINATOR_NOT_AVAILABLE, "the offsets topic is being created", null);
        }
        int partition = groups.partitionFor(key);
        PartitionInfo info = topic.partitions().stream().filter(p -> p.partition() == partition).findFirst().orElse(null);
        int leader = info == null ? -1 : info.state().leader();
        BrokerInfo broker = leader < 0 ? null : view.brokers().get(leader);
        if (broker == null) {
            return new Found(Errors.COORDINATOR_NOT_AVAILABLE, InternalTopics.CONSUMER_OFFSETS + "-" + partition
                    + " has no live leader", null);
        }
        return new Found(Errors.NONE, null, broker);
    }

    private void warnTooFewBrokers(String message) {
        long now = clock.millis();
        long last = lastTooFewBrokersWarning;
        if (last == Long.MIN_VALUE || now - last > TOO_FEW_BROKERS_WARNING_INTERVAL_MS) {
            lastTooFewBrokersWarning = now;
            log.warn("Cannot create {}: {}", InternalTopics.CONSUMER_OFFSETS, message);
        }
    }

    private void createOffsetsTopic(int replicationFactor) {
        if (!creating.compareAndSet(false, true)) {
            return;
        }
        Map<String, Object> body = Map.of("name", InternalTopics.CONSUMER_OFFSETS,
                "partitions", settings.offsetsTopicPartitions(),
                "replicationFactor", replicationFactor,
                "configs", Map.of("cleanup.policy", "compact",
                        "segment.bytes", Integer.toString(settings.offsetsTopicSegmentBytes()),
                        "compression.type", "producer"));
        log.info("Creating {} with {} partitions and replication factor {}", InternalTopics.CONSUMER_OFFSETS,
                settings.offsetsTopicPartitions(), replicationFactor);
        controller.call("POST", "/topics", body, Duration.ofSeconds(30)).whenComplete((answer, failure) -> {
            creating.set(false);
            if (failure != null) {
                log.warn("Cannot create {}: {}", InternalTopics.CONSUMER_OFFSETS, failure.toString());
            } else if (!answer.ok() && answer.status() != 409) {
                log.warn("Cannot create {}: {} {}", InternalTopics.CONSUMER_OFFSETS, answer.problemType(), answer.detail());
            }
        });
    }
}
