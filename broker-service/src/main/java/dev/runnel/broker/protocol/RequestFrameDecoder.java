package dev.runnel.broker.protocol;

import java.nio.ByteBuffer;

import dev.runnel.broker.security.Session;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;

/**
 * Splits a connection's bytes into request frames and reads each frame once, straight from
 * Netty's read buffers into one heap buffer of the frame's size: no cumulation buffer holding a
 * second copy of a large request.
 *
 * <pre>
 * +--------+--------------------------------+--------+------------
 * | size   | request: header, body          | size   | request ...
 * | int32  | (size bytes)                   | int32  |
 * +--------+--------------------------------+--------+------------
 * </pre>
 *
 * A size below zero or above {@code socket.request.max.bytes} (on a SASL listener, before the
 * connection has authenticated: {@code sasl.server.max.receive.size}) is bad framing: the connection is
 * closed ({@link TooLongFrameException}). A frame's memory is reserved from the listener's
 * {@link RequestMemoryPool} before its buffer exists; while the pool cannot cover it, the
 * connection stops reading (the bytes already read wait here) until memory comes back. The
 * buffer of a frame whose connection closes half-read is given back at once; a whole frame's
 * once its request has been handled ({@link RequestFrame#release}). Once the connection is closing
 * (bad framing found in an earlier frame), nothing more is read from what is left. Event loop only.
 */
final class RequestFrameDecoder extends ChannelInboundHandlerAdapter {

    private final int maxFrameBytes;
    private final int maxUnauthenticatedFrameBytes;
    private final Session session;
    private final RequestMemoryPool pool;
    /** Bytes read and not yet consumed: only while waiting for memory or between reads. */
    private ByteBuf pending;
    private int sizeBytesRead;
    private int size;
    private ByteBuffer frame;
    private boolean waitingForMemory;
    private boolean closed;

    RequestFrameDecoder(int maxFrameBytes, RequestMemoryPool pool) {
        this(maxFrameBytes, maxFrameBytes, Session.anonymous(), pool);
    }

    /**
     * @param maxUnauthenticatedFrameBytes the largest frame a connection of a SASL listener may send
     *                                     before it has authenticated ({@code sasl.server.max.receive.size})
     */
    RequestFrameDecoder(int maxFrameBytes, int maxUnauthenticatedFrameBytes, Session session, RequestMemoryPool pool) {
        this.maxFrameBytes = maxFrameBytes;
        this.maxUnauthenticatedFrameBytes = Math.min(maxFrameBytes, maxUnauthenticatedFrameBytes);
        this.session = session;
        this.pool = pool;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (closed) {
            in.release();
            return;
        }
        if (pending == null) {
            pending = in;
        } else {
            CompositeByteBuf both = ctx.alloc().compositeBuffer(2);
            both.addComponent(true, pending);
            both.addComponent(true, in);
            pending = both;
        }
        decode(ctx);
    }

    private void decode(ChannelHandlerContext ctx) {
        while (!closed && ctx.channel().isActive()) {
            if (sizeBytesRead < 4) {
                if (pending == null || !pending.isReadable()) {
                    break;
                }
                size = (size << 8) | pending.readUnsignedByte();
                if (++sizeBytesRead < 4) {
                    continue;
                }
                int max = session.protocol().sasl() && !session.authenticated() ? maxUnauthenticatedFrameBytes
                        : maxFrameBytes;
                if (size < 0 || size > max) {
                    fail(ctx, new TooLongFrameException("request frame of " + Integer.toUnsignedLong(size)
                            + " bytes; at most " + max + " are accepted" + (max < maxFrameBytes
                                    ? " before SASL authentication (sasl.server.max.receive.size)" : "")));
                    return;
                }
            }
            if (frame == null) {
                if (!pool.reserve(size, () -> ctx.executor().execute(() -> memoryReturned(ctx)))) {
                    waitingForMemory = true;
                    ReadGate.of(ctx.channel()).close(ReadGate.Reason.MEMORY);
                    break;
                }
                waitingForMemory = false;
                try {
                    frame = ByteBuffer.allocate(size);
                } catch (Throwable e) {
                    pool.release(size);
                    throw e;
                }
            }
            if (pending != null) {
                int n = Math.min(frame.remaining(), pending.readableBytes());
                pending.readBytes(frame.array(), frame.position(), n);
                frame.position(frame.position() + n);
            }
            if (frame.hasRemaining()) {
                break;
            }
            emit(ctx);
        }
        if (pending != null && !pending.isReadable()) {
            pending.release();
            pending = null;
        }
    }

    private void emit(ChannelHandlerContext ctx) {
        RequestFrame whole = new RequestFrame(frame.flip(), pool);
        frame = null;
        sizeBytesRead = 0;
        size = 0;
        ctx.fireChannelRead(whole);
    }

    private void memoryReturned(ChannelHandlerContext ctx) {
        if (closed || !ctx.channel().isActive()) {
            return;
        }
        if (waitingForMemory) {
            decode(ctx);
        }
        if (!waitingForMemory) {
            ReadGate.of(ctx.channel()).open(ReadGate.Reason.MEMORY);
        }
    }

    private void fail(ChannelHandlerContext ctx, Exception cause) {
        discard();
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        discard();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        discard();
    }

    private void discard() {
        closed = true;
        if (pending != null) {
            pending.release();
            pending = null;
        }
        if (frame != null) {
            pool.release(frame.capacity());
            frame = null;
        }
    }
}
