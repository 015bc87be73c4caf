package dev.runnel.broker.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.kafka.ResponseFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;

/**
 * One client connection, after the frame decoder: parses each request, hands it to its API's
 * handler, and writes the answers strictly in request order, even when an earlier request is
 * still waiting (its later neighbours' answers are held until it completes). A frame that cannot
 * be a request (garbage, an unknown API, a truncated header) closes the connection with a log line;
 * other connections are not affected. Runs on the channel's event loop only.
 */
final class KafkaConnection extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(KafkaConnection.class);

    /** Unanswered requests a connection may have before the broker stops reading from it. */
    static final int MAX_IN_FLIGHT = 100;

    /** An answer to send, or null for a request that gets none (acks=0). */
    private record Pending(CompletableFuture<ResponseFrame> answer) {
    }

    private final Map<ApiKeys, ApiHandler> handlers;
    private final KafkaMetrics metrics;
    private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();

    KafkaConnection(Map<ApiKeys, ApiHandler> handlers, KafkaMetrics metrics) {
        this.handlers = handlers;
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuffer frame;
        ByteBuf buf = (ByteBuf) msg;
        try {
            // Copied out of Netty's buffer: parsed requests point into the bytes they were read from.
            frame = ByteBuffer.allocate(buf.readableBytes());
            buf.readBytes(frame);
            frame.flip();
        } finally {
            buf.release();
        }
        CompletableFuture<ResponseFrame> answer = answer(ctx, frame);
        if (answer == null) {
            return;
        }
        inFlight.add(new Pending(answer));
        if (inFlight.size() >= MAX_IN_FLIGHT) {
            // A client pipelining behind a waiting request: stop reading until answers drain.
            ctx.channel().config().setAutoRead(false);
        }
        answer.whenComplete((r, e) -> ctx.executor().execute(() -> writeReady(ctx)));
    }

    /** The answer to one frame; null after closing the connection. */
    private CompletableFuture<ResponseFrame> answer(ChannelHandlerContext ctx, ByteBuffer frame) {
        int[] head = KafkaWire.peekHeader(frame);
        if (head == null) {
            return close(ctx, "a request frame of " + frame.remaining() + " bytes is too short for a header");
        }
        int apiKey = head[0];
        short version = (short) head[1];
        if (!KafkaWire.knownApiKey(apiKey)) {
            return close(ctx, "unknown API key " + apiKey);
        }
        ApiKeys key = ApiKeys.forId(apiKey);
        metrics.received(key, frame.remaining());
        if (key == ApiKeys.API_VERSIONS && !ApiVersionTable.serves(key, version)) {
            return CompletableFuture.completedFuture(KafkaWire.apiVersionsFallback(head[2], ApiVersionTable.asResponse()));
        }
        KafkaWire.Request request;
        try {
            request = KafkaWire.decode(frame).withClientHost(clientHost(ctx));
        } catch (KafkaWire.InvalidRequestException e) {
            return close(ctx, key + " v" + version + ": " + e.getMessage());
        }
        ApiHandler handler = handlers.get(key);
        if (handler == null || !ApiVersionTable.serves(key, version)) {
            return CompletableFuture.completedFuture(
                    KafkaWire.encode(request, KafkaWire.errorResponse(request, Errors.UNSUPPORTED_VERSION)));
        }
        CompletableFuture<ApiMessage> response;
        try {
            response = handler.handle(request);
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        return response.handle((message, failure) -> {
            if (failure != null && unwrap(failure) instanceof CloseConnectionException close) {
                throw close;
            }
            if (failure != null) {
                log.error("{} from {} failed", key, request.clientId(), failure);
                return KafkaWire.encode(request, KafkaWire.errorResponse(request, Errors.UNKNOWN_SERVER_ERROR));
            }
            return message == null ? null : KafkaWire.encode(request, message);
        });
    }

    private static String clientHost(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress address && address.getAddress() != null
                ? address.getAddress().toString() : "";
    }

    /** Writes every completed answer at the head of the queue, in order. */
    private void writeReady(ChannelHandlerContext ctx) {
        boolean wrote = false;
        while (!inFlight.isEmpty() && inFlight.peek().answer().isDone()) {
            ResponseFrame answer;
            try {
                answer = inFlight.poll().answer().join();
            } catch (RuntimeException e) {
                if (unwrap(e) instanceof CloseConnectionException close) {
                    log.info("Closing the connection from {}: {}", ctx.channel().remoteAddress(), close.getMessage());
                    inFlight.clear();
                    ctx.flush();
                    ctx.close();
                    return;
                }
                // The answer could not even be serialised: the client would wait for it forever.
                log.error("Cannot answer a request from {}; closing the connection", ctx.channel().remoteAddress(), e);
                inFlight.clear();
                ctx.close();
                return;
            }
            if (answer != null && ctx.channel().isActive()) {
                write(ctx, answer);
                metrics.sent(answer.size());
                wrote = true;
            }
        }
        if (wrote) {
            ctx.flush();
        }
        if (inFlight.size() < MAX_IN_FLIGHT && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** Heap parts as wrapped buffers, record bytes of segment files as zero-copy file regions. */
    private static void write(ChannelHandlerContext ctx, ResponseFrame answer) {
        for (ResponseFrame.Part part : answer.parts()) {
            if (part instanceof ResponseFrame.Bytes bytes) {
                ctx.write(Unpooled.wrappedBuffer(bytes.buffer()));
            } else {
                ctx.write(new SegmentFileRegion(((ResponseFrame.File) part).slice()));
            }
        }
    }

    private CompletableFuture<ResponseFrame> close(ChannelHandlerContext ctx, String reason) {
        log.warn("Closing the connection from {}: {}", ctx.channel().remoteAddress(), reason);
        ctx.close();
        return null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            log.warn("Closing the connection from {}: {} (socket.request.max.bytes)", ctx.channel().remoteAddress(),
                    cause.getMessage());
        } else {
            log.warn("Closing the connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }
}
