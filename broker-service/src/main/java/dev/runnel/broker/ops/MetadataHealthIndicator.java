package dev.runnel.broker.ops;

import java.time.Duration;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

import dev.runnel.broker.cluster.ControllerCommands;
import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.metadata.MetadataCache;

/**
 * The {@code metadata} health component, part of readiness: DOWN while a command from the controller
 * has waited longer than {@code runnel.broker.metadata-max-lag} to be applied, so this broker's
 * view of the cluster is that far behind the controller's (a load balancer or Kubernetes then stops
 * sending it clients until it catches up).
 */
@Component("metadata")
class MetadataHealthIndicator implements HealthIndicator {

    private final ControllerCommands commands;
    private final MetadataCache metadata;
    private final Duration maxLag;

    MetadataHealthIndicator(ControllerCommands commands, MetadataCache metadata, BrokerProperties properties) {
        this.commands = commands;
        this.metadata = metadata;
        this.maxLag = properties.getMetadataMaxLag();
    }

    @Override
    public Health health() {
        Duration lag = commands.lag();
        MetadataCache.Snapshot view = metadata.snapshot();
        Health.Builder health = lag.compareTo(maxLag) > 0 ? Health.down() : Health.up();
        return health.withDetail("controllerEpoch", view.controllerEpoch())
                .withDetail("metadataVersion", view.metadataVersion())
                .withDetail("pendingControllerCommands", commands.pendingCount())
                .withDetail("lagMs", lag.toMillis())
                .withDetail("maxLagMs", maxLag.toMillis())
                .build();
    }
}
