package dev.runnel.broker.protocol;

import java.util.EnumSet;
import java.util.Set;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * Why a connection has stopped reading from its socket. Each reason is set and cleared by the
 * handler that owns it, and the channel reads again only once no reason is left, so one handler
 * cannot resume reads that another has paused (Kafka's channel mute states). Event loop only.
 */
final class ReadGate {

    /** A reason to stop reading. */
    enum Reason {
        /** Too many requests of this connection wait for their answers. */
        IN_FLIGHT,
        /** The listener's request memory cannot hold this connection's next frame yet. */
        MEMORY,
        /** {@code queued.max.requests} requests wait for a request-handler thread. */
        QUEUE,
        /** The client is over a quota: the connection is muted for its throttle time (KIP-219). */
        THROTTLE
    }

    private static final AttributeKey<ReadGate> KEY = AttributeKey.valueOf(ReadGate.class, "gate");

    private final Channel channel;
    private final Set<Reason> closed = EnumSet.noneOf(Reason.class);

    private ReadGate(Channel channel) {
        this.channel = channel;
    }

    static ReadGate of(Channel channel) {
        ReadGate gate = channel.attr(KEY).get();
        if (gate == null) {
            gate = new ReadGate(channel);
            channel.attr(KEY).set(gate);
        }
        return gate;
    }

    void close(Reason reason) {
        closed.add(reason);
        channel.config().setAutoRead(false);
    }

    void open(Reason reason) {
        if (closed.remove(reason) && closed.isEmpty()) {
            channel.config().setAutoRead(true); // which also asks for the next read
        }
    }

    boolean isClosed(Reason reason) {
        return closed.contains(reason);
    }
}
