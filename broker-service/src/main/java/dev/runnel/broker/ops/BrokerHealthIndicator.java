package dev.runnel.broker.ops;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

import dev.runnel.broker.cluster.BrokerRegistration;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.cluster.BrokerInfo;

/** The {@code broker} health component: UP while registered in the cluster, with its id and epoch. */
@Component("broker")
class BrokerHealthIndicator implements HealthIndicator {

    private final BrokerRegistration registration;
    private final ReplicaManager replicas;

    BrokerHealthIndicator(BrokerRegistration registration, ReplicaManager replicas) {
        this.registration = registration;
        this.replicas = replicas;
    }

    @Override
    public Health health() {
        BrokerInfo info = registration.current();
        if (info == null) {
            return Health.down().withDetail("registered", false).build();
        }
        return Health.up().withDetail("id", info.id()).withDetail("epoch", info.epoch())
                .withDetail("controllerEpoch", replicas.highestControllerEpoch())
                .withDetail("servesClients", replicas.servesClients())
                .withDetail("partitions", replicas.hostedPartitions().size())
                .withDetail("underReplicatedPartitions", replicas.partitions().stream()
                        .filter(Partition::isUnderReplicated).count())
                .withDetail("underMinIsrPartitions", replicas.partitions().stream()
                        .filter(Partition::isUnderMinIsr).count())
                .build();
    }
}
