package dev.runnel.broker.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.util.unit.DataSize;

/**
 * The {@code runnel.broker.*} names users set (README, docs, Helm chart, quickstart) bind to
 * {@link BrokerProperties} and its nested groups, whichever class holds each group.
 */
class BrokerPropertiesBindingTest {

    private static BrokerProperties bind(Map<String, String> settings) {
        Binder binder = new Binder(new MapConfigurationPropertySource(settings));
        return binder.bindOrCreate("runnel.broker", Bindable.of(BrokerProperties.class));
    }

    @Test
    void flatSettingsBindUnderRunnelBroker() {
        BrokerProperties p = bind(Map.of(
                "runnel.broker.id", "7",
                "runnel.broker.kafka-port", "0",
                "runnel.broker.rack", "zone-b",
                "runnel.broker.log-dirs", "/a,/b",
                "runnel.broker.num-io-threads", "0",
                "runnel.broker.socket-request-max-bytes", "1MB",
                "runnel.broker.replica-lag-time-max", "12s",
                "runnel.broker.auto-create-topics-enable", "true"));

        assertThat(p.getId()).isEqualTo(7);
        assertThat(p.getKafkaPort()).isZero();
        assertThat(p.getRack()).isEqualTo("zone-b");
        assertThat(p.getLogDirs()).containsExactly(Path.of("/a"), Path.of("/b"));
        assertThat(p.getNumIoThreads()).isZero();
        assertThat(p.getSocketRequestMaxBytes()).isEqualTo(DataSize.ofMegabytes(1));
        assertThat(p.getReplicaLagTimeMax()).isEqualTo(Duration.ofSeconds(12));
        assertThat(p.isAutoCreateTopicsEnable()).isTrue();
    }

    @Test
    void groupSettingsBindUnderRunnelBrokerGroup() {
        BrokerProperties p = bind(Map.of(
                "runnel.broker.group.initial-rebalance-delay", "0s",
                "runnel.broker.group.min-session-timeout", "100ms",
                "runnel.broker.group.max-size", "3",
                "runnel.broker.group.consumer.session-timeout", "9s",
                "runnel.broker.group.consumer.assignors", "range",
                "runnel.broker.group.consumer.migration-policy", "disabled",
                "runnel.broker.group.share.max-size", "4"));

        GroupProperties group = p.getGroup();
        assertThat(group.getInitialRebalanceDelay()).isZero();
        assertThat(group.getMinSessionTimeout()).isEqualTo(Duration.ofMillis(100));
        assertThat(group.getMaxSize()).isEqualTo(3);
        assertThat(group.getConsumer().getSessionTimeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(group.getConsumer().getAssignors()).isEqualTo(List.of("range"));
        assertThat(group.getConsumer().getMigrationPolicy()).isEqualTo("disabled");
        assertThat(group.getShare().getMaxSize()).isEqualTo(4);
    }

    @Test
    void offsetsTopicLogCleanerAndControlledShutdownBindUnderTheirPaths() {
        BrokerProperties p = bind(Map.of(
                "runnel.broker.offsets-topic.partitions", "3",
                "runnel.broker.offsets-topic.replication-factor", "1",
                "runnel.broker.offsets-topic.segment-bytes", "1MB",
                "runnel.broker.log-cleaner.enabled", "false",
                "runnel.broker.log-cleaner.dedupe-buffer-size", "2MB",
                "runnel.broker.log-cleaner.backoff", "50ms",
                "runnel.broker.controlled-shutdown.enabled", "false",
                "runnel.broker.controlled-shutdown.max-attempts", "5"));

        assertThat(p.getOffsetsTopic().getPartitions()).isEqualTo(3);
        assertThat(p.getOffsetsTopic().getReplicationFactor()).isEqualTo(1);
        assertThat(p.getOffsetsTopic().getSegmentBytes()).isEqualTo(DataSize.ofMegabytes(1));
        assertThat(p.getLogCleaner().isEnabled()).isFalse();
        assertThat(p.getLogCleaner().getDedupeBufferSize()).isEqualTo(DataSize.ofMegabytes(2));
        assertThat(p.getLogCleaner().getBackoff()).isEqualTo(Duration.ofMillis(50));
        assertThat(p.getControlledShutdown().isEnabled()).isFalse();
        assertThat(p.getControlledShutdown().getMaxAttempts()).isEqualTo(5);
    }

    @Test
    void unsetSettingsKeepTheirDefaults() {
        BrokerProperties p = bind(Map.of());

        assertThat(p.getKafkaPort()).isEqualTo(9092);
        assertThat(p.getGroup().getInitialRebalanceDelay()).isEqualTo(Duration.ofSeconds(3));
        assertThat(p.getGroup().getConsumer().getAssignors()).containsExactly("uniform", "range");
        assertThat(p.getOffsetsTopic().getPartitions()).isEqualTo(50);
        assertThat(p.getLogCleaner().isEnabled()).isTrue();
        assertThat(p.getControlledShutdown().getMaxAttempts()).isEqualTo(3);
    }
}
