package dev.runnel.controller.ops;

import java.util.Locale;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

import dev.runnel.controller.election.ActiveController;
import dev.runnel.controller.metadata.ClusterView;

/**
 * The {@code controller} health component: UP whether active or standing by (a standby is healthy),
 * with the role and, when active, the epoch and cluster counts in the details.
 */
@Component("controller")
class ControllerHealthIndicator implements HealthIndicator {

    private final ActiveController controller;

    ControllerHealthIndicator(ActiveController controller) {
        this.controller = controller;
    }

    @Override
    public Health health() {
        Health.Builder health = Health.up().withDetail("id", controller.controllerId())
                .withDetail("role", controller.role().name().toLowerCase(Locale.ROOT));
        ClusterView view = controller.view();
        if (view != null) {
            health.withDetail("epoch", view.controllerEpoch())
                    .withDetail("brokers", view.brokers().size())
                    .withDetail("offlinePartitions", view.offlinePartitionCount());
        }
        return health.build();
    }
}
