package dev.runnel.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import dev.runnel.broker.storage.LogConfig;
import dev.runnel.cluster.TopicConfigs;

/** The defaults DescribeConfigs reports are the ones the storage engine applies. */
class TopicConfigDefaultsTest {

    @Test
    void everyAcceptedConfigHasADefaultThatItsOwnRuleAccepts() {
        Map<String, String> defaults = new TreeMap<>();
        TopicConfigs.names().forEach(name -> defaults.put(name, TopicConfigs.defaultValue(name)));

        assertThat(defaults).doesNotContainValue(null);
        TopicConfigs.validate(defaults);
    }

    @Test
    void theStorageDefaultsAreTheLogConfigDefaults() {
        Map<String, String> defaults = new TreeMap<>();
        TopicConfigs.names().forEach(name -> defaults.put(name, TopicConfigs.defaultValue(name)));

        assertThat(HostedLogs.storageConfig(defaults)).isEqualTo(LogConfig.DEFAULTS);
    }

    @Test
    void aCleanupPolicyWithCompactRequiresKeysAndOneWithoutDoesNot() {
        assertThat(HostedLogs.storageConfig(Map.of("cleanup.policy", "compact")).compact()).isTrue();
        assertThat(HostedLogs.storageConfig(Map.of("cleanup.policy", "delete, compact")).compact()).isTrue();
        assertThat(HostedLogs.storageConfig(Map.of("cleanup.policy", "delete")).compact()).isFalse();
        assertThat(LogConfig.DEFAULTS.compact()).isFalse();
    }
}
