package dev.runnel.cluster;

import java.util.List;
import java.util.Optional;

/**
 * A live broker as it registers itself in ZooKeeper ({@link ZkPaths#broker(int)}) and as the
 * controller describes it to every broker.
 *
 * @param id        the configured, cluster-unique broker id
 * @param host      the host of the internal HTTP API (and of the Kafka listener when there is only one)
 * @param kafkaPort the advertised port of the inter-broker listener (the first endpoint)
 * @param httpPort  the port of the internal HTTP API and Actuator
 * @param rack      the rack (or zone), or null when racks are not used
 * @param epoch     the broker epoch: the ZooKeeper transaction id that created its registration, so a
 *                  restarted broker is told apart from its previous life; 0 inside the registration
 *                  itself, where ZooKeeper's own stat carries it
 * @param endpoints the advertised endpoint of every Kafka listener, the inter-broker listener's first;
 *                  a registration without them (written before listeners were named) has one
 *                  {@code PLAINTEXT} endpoint at {@code host:kafkaPort}
 */
public record BrokerInfo(int id, String host, int kafkaPort, int httpPort, String rack, long epoch,
        List<Endpoint> endpoints) {

    /** A Kafka listener as clients are told of it. */
    public record Endpoint(String listener, String host, int port, String securityProtocol) {
    }

    public BrokerInfo {
        endpoints = endpoints == null || endpoints.isEmpty() ? List.of(new Endpoint("PLAINTEXT", host, kafkaPort,
                "PLAINTEXT")) : List.copyOf(endpoints);
    }

    /** A broker with one {@code PLAINTEXT} listener at {@code host:kafkaPort}. */
    public BrokerInfo(int id, String host, int kafkaPort, int httpPort, String rack, long epoch) {
        this(id, host, kafkaPort, httpPort, rack, epoch, null);
    }

    public BrokerInfo withEpoch(long newEpoch) {
        return new BrokerInfo(id, host, kafkaPort, httpPort, rack, newEpoch, endpoints);
    }

    /** The endpoint of listener {@code name}, if the broker has it. */
    public Optional<Endpoint> endpoint(String name) {
        return endpoints.stream().filter(e -> e.listener().equals(name)).findFirst();
    }

    /** The endpoint brokers replicate over: the inter-broker listener's. */
    public Endpoint interBroker() {
        return endpoints.get(0);
    }
}
