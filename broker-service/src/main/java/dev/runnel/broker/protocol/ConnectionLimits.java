package dev.runnel.broker.protocol;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;

/**
 * How many connections the listeners hold, from one address and in all (Kafka's
 * {@code max.connections.per.ip}, {@code max.connections.per.ip.overrides} and
 * {@code max.connections}). A connection over a limit is closed as soon as it is accepted, and
 * counted; the inter-broker listener's connections count towards the per-address limits only, so
 * clients can never crowd out replication. (Kafka lets a connection over {@code max.connections}
 * wait in the accept queue instead; closing it costs the client one reconnect and the broker
 * nothing.) Shared by every connection; thread-safe.
 */
@ChannelHandler.Sharable
final class ConnectionLimits extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ConnectionLimits.class);
    private static final AttributeKey<Counted> COUNTED = AttributeKey.valueOf("runnel.connection.counted");

    /** What a connection was counted as, to uncount it once. */
    private record Counted(InetAddress address, boolean towardsTotal) {
    }

    private final int maxConnections;
    private final int maxPerAddress;
    private final Map<InetAddress, Integer> overrides;
    private final Map<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();

    /**
     * @param maxConnections the most connections of all listeners but the inter-broker one
     * @param maxPerAddress  the most connections from one address
     * @param overrides      other per-address limits, by address
     */
    ConnectionLimits(int maxConnections, int maxPerAddress, Map<InetAddress, Integer> overrides) {
        if (maxConnections < 1 || maxPerAddress < 0 || overrides.values().stream().anyMatch(n -> n < 0)) {
            throw new IllegalArgumentException("max.connections must be positive, and max.connections.per.ip and its"
                    + " overrides 0 or more");
        }
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.overrides = Map.copyOf(overrides);
    }

    static ConnectionLimits unlimited() {
        return new ConnectionLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, Map.of());
    }

    /** The handler for one listener's connections. */
    ChannelHandler forListener(boolean interBroker) {
        return interBroker ? new InterBroker() : this;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (admit(ctx, true)) {
            super.channelActive(ctx);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        release(ctx);
        super.channelInactive(ctx);
    }

    /** Counts the connection, or closes it if that would pass a limit. */
    private boolean admit(ChannelHandlerContext ctx, boolean towardsTotal) {
        InetAddress address = ctx.channel().remoteAddress() instanceof InetSocketAddress socket ? socket.getAddress()
                : null;
        if (address != null) {
            int limit = overrides.getOrDefault(address, maxPerAddress);
            boolean[] room = {false};
            perAddress.compute(address, (a, count) -> {
                int now = count == null ? 0 : count;
                room[0] = now < limit;
                return room[0] ? now + 1 : count;
            });
            if (!room[0]) {
                refuse(ctx, "max.connections.per.ip (" + limit + ") from " + address.getHostAddress());
                return false;
            }
        }
        if (towardsTotal && total.incrementAndGet() > maxConnections) {
            total.decrementAndGet();
            if (address != null) {
                uncount(address);
            }
            refuse(ctx, "max.connections (" + maxConnections + ")");
            return false;
        }
        ctx.channel().attr(COUNTED).set(new Counted(address, towardsTotal));
        return true;
    }

    private void release(ChannelHandlerContext ctx) {
        Counted counted = ctx.channel().attr(COUNTED).getAndSet(null);
        if (counted == null) {
            return;
        }
        if (counted.towardsTotal()) {
            total.decrementAndGet();
        }
        if (counted.address() != null) {
            uncount(counted.address());
        }
    }

    private void uncount(InetAddress address) {
        perAddress.compute(address, (a, count) -> count == null || count <= 1 ? null : count - 1);
    }

    private void refuse(ChannelHandlerContext ctx, String limit) {
        long n = refused.incrementAndGet();
        if (Long.bitCount(n) == 1) {
            // 1st, 2nd, 4th, 8th...: a flood is seen without a line per connection.
            log.warn("Closing a new connection from {}: over {} ({} refused so far)", ctx.channel().remoteAddress(),
                    limit, n);
        }
        ctx.close();
    }

    /** Connections counted now. */
    int connections() {
        return total.get();
    }

    /** Connections refused since the start. */
    long refused() {
        return refused.get();
    }

    /** The inter-broker listener's view: per-address limits only. */
    @ChannelHandler.Sharable
    private final class InterBroker extends ChannelInboundHandlerAdapter {

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (admit(ctx, false)) {
                super.channelActive(ctx);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            release(ctx);
            super.channelInactive(ctx);
        }
    }
}
