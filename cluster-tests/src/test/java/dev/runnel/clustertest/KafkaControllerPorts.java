package dev.runnel.clustertest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for Apache Kafka's KRaft controller listeners: the one place where the tests choose port
 * numbers. A static quorum names every voter's {@code host:port} in every node's configuration
 * before any node starts, and a node reaches the quorum through those addresses, so a controller
 * listener cannot bind port 0 and report back the way every other listener does (Kafka brokers
 * included: {@code PLAINTEXT://127.0.0.1:0}).
 *
 * <p>The ports are drawn at random below the kernel's ephemeral range ({@code
 * net.ipv4.ip_local_port_range}), from which every port-0 bind and every outgoing connection gets
 * its port: nothing else the tests start can take one. Should another program listen on one, the
 * node exits with "Address already in use" ({@link #bindFailed}) and its harness starts again on
 * new ports. No port comes from opening and closing a probe socket, which another bind may take
 * between the close and the node's own bind.
 */
final class KafkaControllerPorts {

    /** How often a start is tried on new ports before a bind failure fails it. */
    static final int ATTEMPTS = 5;

    private static final int LOWEST = 15_000;

    private KafkaControllerPorts() {
    }

    /** {@code count} distinct ports from {@code [15000, start of the ephemeral range)}. */
    static List<Integer> draw(int count) {
        int end = ephemeralRangeStart();
        Set<Integer> ports = new LinkedHashSet<>();
        while (ports.size() < count) {
            ports.add(ThreadLocalRandom.current().nextInt(LOWEST, end));
        }
        return new ArrayList<>(ports);
    }

    /** Whether a Kafka node's log says it could not bind a listener's port. */
    static boolean bindFailed(String log) {
        return log.contains("Address already in use");
    }

    /** The first port of Linux's ephemeral range; IANA's 49152 where it cannot be read. */
    private static int ephemeralRangeStart() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int start = Integer.parseInt(range.split("\\s+")[0]);
            return Math.max(LOWEST + 1_000, start);
        } catch (IOException | RuntimeException e) {
            return 49_152;
        }
    }
}
