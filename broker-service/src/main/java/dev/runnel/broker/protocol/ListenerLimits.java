package dev.runnel.broker.protocol;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;

/**
 * What the Kafka listener lets one client, and all of them together, hold.
 *
 * @param maxRequestBytes       the largest request frame ({@code socket.request.max.bytes}); a
 *                              larger one is bad framing and closes its connection
 * @param queuedMaxRequestBytes heap that request frames may hold at once across all connections
 *                              ({@code queued.max.request.bytes}); a connection whose next frame
 *                              does not fit stops reading until memory comes back
 * @param connectionsMaxIdle    a connection that has neither read nor written for this long, with
 *                              no request waiting, is closed ({@code connections.max.idle.ms})
 * @param maxConnections        connections of every listener but the inter-broker one ({@code max.connections})
 * @param maxConnectionsPerIp   connections from one address ({@code max.connections.per.ip})
 * @param maxConnectionsPerIpOverrides other limits for some addresses ({@code max.connections.per.ip.overrides})
 */
public record ListenerLimits(int maxRequestBytes, long queuedMaxRequestBytes, Duration connectionsMaxIdle,
        int maxConnections, int maxConnectionsPerIp, Map<InetAddress, Integer> maxConnectionsPerIpOverrides) {

    /** Kafka's defaults: 100 MiB requests, request memory bounded by the heap alone, 10 minutes idle. */
    public static ListenerLimits defaults() {
        return new ListenerLimits(100 * 1024 * 1024, Long.MAX_VALUE, Duration.ofMinutes(10));
    }

    /** No limit on connections. */
    public ListenerLimits(int maxRequestBytes, long queuedMaxRequestBytes, Duration connectionsMaxIdle) {
        this(maxRequestBytes, queuedMaxRequestBytes, connectionsMaxIdle, Integer.MAX_VALUE, Integer.MAX_VALUE, Map.of());
    }

    public ListenerLimits {
        if (maxRequestBytes < 0 || queuedMaxRequestBytes < 1 || connectionsMaxIdle.isNegative()
                || connectionsMaxIdle.isZero() || maxConnections < 1 || maxConnectionsPerIp < 0) {
            throw new IllegalArgumentException("listener limits must be positive: " + maxRequestBytes + ", "
                    + queuedMaxRequestBytes + ", " + connectionsMaxIdle + ", " + maxConnections + ", "
                    + maxConnectionsPerIp);
        }
        maxConnectionsPerIpOverrides = Map.copyOf(maxConnectionsPerIpOverrides);
    }
}
