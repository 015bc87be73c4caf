package dev.runnel.cluster;

/**
 * A live broker as it registers itself in ZooKeeper ({@link ZkPaths#broker(int)}) and as the
 * controller describes it to every broker.
 *
 * @param id        the configured, cluster-unique broker id
 * @param host      the advertised host for Kafka clients and the internal HTTP API
 * @param kafkaPort the advertised Kafka protocol port
 * @param httpPort  the port of the internal HTTP API and Actuator
 * @param rack      the rack (or zone), or null when racks are not used
 * @param epoch     the broker epoch: the ZooKeeper transaction id that created its registration, so a
 *                  restarted broker is told apart from its previous life; 0 inside the registration
 *                  itself, where ZooKeeper's own stat carries it
 */
public record BrokerInfo(int id, String host, int kafkaPort, int httpPort, String rack, long epoch) {

    public BrokerInfo withEpoch(long newEpoch) {
        return new BrokerInfo(id, host, kafkaPort, httpPort, rack, newEpoch);
    }

    /** The base URL of the broker's internal HTTP API. */
    public String httpUrl() {
        return "http://" + host + ":" + httpPort;
    }
}
