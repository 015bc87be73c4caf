package dev.runnel.broker.protocol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.kafka.ResponseFrame;
import dev.runnel.broker.security.Session;
import dev.runnel.common.time.Ticker;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * One client connection, after the frame decoder: parses each request, hands it to its API's
 * handler, and writes the answers strictly in request order, even when an earlier request is
 * still waiting (its later neighbours' answers are held until it completes).
 *
 * <p>Only bad framing closes the connection: a frame that cannot be a request (garbage, an unknown
 * API, a truncated header or body). A well-framed request whose handler fails, or whose answer
 * cannot be written at the request's version, is answered with UNKNOWN_SERVER_ERROR in the API's
 * own error response, with one log line naming the API and version, and counted in
 * {@code runnel.broker.request.errors}; the connection goes on. A connection idle for
 * {@code connections.max.idle.ms} with no request waiting is closed. Framing, parsing and writing
 * run on the channel's event loop; handlers run where the {@link RequestDispatcher} says (its
 * threads, or this loop while the connection is alone on it), one request of a connection at a time.
 *
 * <p>A client over one of its quotas ({@link RequestThrottler}) gets the throttle time in its
 * answer's {@code throttle_time_ms}, and the connection reads nothing more from it for that time
 * after the answer is written (KIP-219). A client whose request version predates KIP-219 does not
 * throttle itself, so, as Kafka does, its answer is held back for the throttle time instead, with
 * the connection muted meanwhile.
 */
final class KafkaConnection extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(KafkaConnection.class);

    /** Unanswered requests a connection may have before the broker stops reading from it. */
    static final int MAX_IN_FLIGHT = 100;

    /** What a connection may send before it has authenticated on a SASL listener. */
    private static final Set<ApiKeys> SASL_EXEMPT = EnumSet.of(ApiKeys.API_VERSIONS, ApiKeys.SASL_HANDSHAKE,
            ApiKeys.SASL_AUTHENTICATE);

    /** An answer to send, or null for a request that gets none (acks=0). */
    private record Pending(CompletableFuture<Sent> answer) {
    }

    /**
     * An answer ({@code frame} null for none) and how long the connection mutes itself once it is
     * written; {@code holdBack}: an old version's answer, to be held back for that time instead.
     */
    private record Sent(ResponseFrame frame, long throttleMs, boolean holdBack) {

        static Sent of(ResponseFrame frame) {
            return frame == null ? null : new Sent(frame, 0, false);
        }
    }

    private final RequestDispatcher dispatcher;
    /** This connection's requests, one at a time and in order, on the request-handler threads. */
    private final Executor requests;
    private final KafkaMetrics metrics;
    private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();
    /** This connection's listener and authentication. */
    private final Session session;
    private final Ticker ticker;
    /** Whether record bytes must pass through the pipeline (TLS) rather than go zero-copy from the file. */
    private final boolean copyFileRegions;
    /**
     * Set once a request's handler refuses it by closing the connection (the readiness gate, a failed
     * acks=0 produce): its pipelined successors are then not handled. Kafka's broker reads a connection's
     * next request only after answering the last one, so they would not even have been read there;
     * handling them would let a later produce batch in after an earlier one was refused, and a
     * retry of the refused one would then be out of sequence (an idempotent producer bumps its
     * epoch and writes the later batch again).
     */
    private volatile boolean closing;
    /** Event loop only: the end of the current throttle ({@link Ticker} time), and a count of throttles. */
    private long throttledUntil;
    private long throttles;

    KafkaConnection(RequestDispatcher dispatcher, KafkaMetrics metrics) {
        this(dispatcher, metrics, Session.anonymous(), Ticker.SYSTEM);
    }

    KafkaConnection(RequestDispatcher dispatcher, KafkaMetrics metrics, Session session, Ticker ticker) {
        this.dispatcher = dispatcher;
        this.requests = dispatcher.forConnection();
        this.metrics = metrics;
        this.session = session;
        this.ticker = ticker;
        this.copyFileRegions = session.protocol().tls();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        RequestFrame frame = (RequestFrame) msg;
        if (!ctx.channel().isActive() || closing) {
            frame.release(); // read after a bad frame or a refused request: the connection is closing, nothing more is handled
            return;
        }
        CompletableFuture<Sent> answer = answer(ctx, frame);
        if (answer == null) {
            return;
        }
        inFlight.add(new Pending(answer));
        if (inFlight.size() >= MAX_IN_FLIGHT) {
            // A client pipelining behind a waiting request: stop reading until answers drain.
            ReadGate.of(ctx.channel()).close(ReadGate.Reason.IN_FLIGHT);
        }
        answer.whenComplete((r, e) -> ctx.executor().execute(() -> writeReady(ctx)));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        dispatcher.closed(requests);
        ctx.fireChannelInactive();
    }

    /**
     * The answer to one frame; null after closing the connection. The frame is released once its
     * request is handled: what a request keeps of it is then garbage-collected, and request memory
     * counts what is read and not yet handled (as Kafka releases a request's buffer after its
     * handler), so parked produces and long polls do not keep followers' fetches out.
     */
    private CompletableFuture<Sent> answer(ChannelHandlerContext ctx, RequestFrame frame) {
        if (session.expectsRawToken()) {
            CompletableFuture<ResponseFrame> token = rawToken(ctx, frame);
            return token == null ? null : token.thenApply(Sent::of);
        }
        int requestBytes = frame.bytes().remaining(); // before parsing moves the position
        Prepared prepared;
        try {
            prepared = prepare(ctx, frame.bytes());
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
        if (prepared.handler() == null) {
            frame.release();
            return prepared.answered() == null ? null : prepared.answered().thenApply(Sent::of);
        }
        KafkaWire.Request request = prepared.request();
        RequestThrottler throttler = dispatcher.throttler();
        // The one check on the request path when no quota is set: nothing is measured then.
        AtomicLong handlerNanos = throttler.active() ? new AtomicLong() : null;
        CompletableFuture<ApiMessage> response = dispatcher.dispatch(requests,
                () -> handle(prepared.handler(), request, frame, handlerNanos),
                () -> ReadGate.of(ctx.channel()).close(ReadGate.Reason.QUEUE),
                () -> ctx.channel().eventLoop().execute(() -> ReadGate.of(ctx.channel()).open(ReadGate.Reason.QUEUE)));
        CompletableFuture<Sent> sent = response.handle((message, failure) -> {
            if (failure != null && unwrap(failure) instanceof CloseConnectionException close) {
                throw close;
            }
            if (failure != null) {
                return Sent.of(failed(request, "its handler failed", unwrap(failure)));
            }
            long throttle = handlerNanos == null ? 0 : throttler.throttleMs(request, requestBytes, message,
                    handlerNanos.get());
            if (message == null) {
                return throttle > 0 ? new Sent(null, throttle, false) : null;
            }
            try {
                if (throttle > 0) {
                    KafkaWire.setThrottleTime(message, (int) Math.min(Integer.MAX_VALUE, throttle));
                    return new Sent(KafkaWire.encode(request, message), throttle,
                            !KafkaWire.clientThrottles(request, message));
                }
                return Sent.of(KafkaWire.encode(request, message));
            } catch (RuntimeException e) {
                return Sent.of(failed(request, "its answer cannot be written at this version", e));
            }
        });
        // Only a throttled answer can be held back, so without quotas the answer goes as it is.
        return handlerNanos == null ? sent : sent.thenCompose(answer -> answer != null && answer.holdBack()
                ? holdBack(ctx, answer, throttler) : CompletableFuture.completedFuture(answer));
    }

    /**
     * An old version's throttled answer: the connection mutes itself now and the answer is ready
     * once the throttle time has passed (Kafka's behaviour before KIP-219).
     */
    private CompletableFuture<Sent> holdBack(ChannelHandlerContext ctx, Sent sent, RequestThrottler throttler) {
        CompletableFuture<Sent> later = new CompletableFuture<>();
        ctx.channel().eventLoop().execute(() -> throttleReads(ctx, sent.throttleMs()));
        throttler.schedule(() -> later.complete(new Sent(sent.frame(), 0, false)), Duration.ofMillis(sent.throttleMs()));
        return later;
    }

    /**
     * Stops reading from the connection for {@code throttleMs} from now, unless it is already muted
     * for longer. Event loop only.
     */
    private void throttleReads(ChannelHandlerContext ctx, long throttleMs) {
        long until = ticker.nanoTime() + Duration.ofMillis(throttleMs).toNanos();
        ReadGate gate = ReadGate.of(ctx.channel());
        if (gate.isClosed(ReadGate.Reason.THROTTLE) && until - throttledUntil <= 0) {
            return;
        }
        throttledUntil = until;
        long throttle = ++throttles;
        gate.close(ReadGate.Reason.THROTTLE);
        dispatcher.throttler().schedule(() -> {
            try {
                ctx.channel().eventLoop().execute(() -> {
                    if (throttle == throttles) {
                        ReadGate.of(ctx.channel()).open(ReadGate.Reason.THROTTLE);
                    }
                });
            } catch (RejectedExecutionException e) {
                // the event loop is shut down: the broker is stopping
            }
        }, Duration.ofMillis(throttleMs));
    }

    /**
     * A raw SASL token after SaslHandshake v0: no request header, the answer a size-prefixed token,
     * evaluated in turn with the connection's requests.
     */
    private CompletableFuture<ResponseFrame> rawToken(ChannelHandlerContext ctx, RequestFrame frame) {
        SaslHandler sasl = dispatcher.apis().sasl();
        if (sasl == null) {
            frame.release();
            return close(ctx, "a raw SASL token, but this listener serves no SASL");
        }
        String host = clientHost(ctx);
        return dispatcher.dispatch(requests, () -> {
            try {
                return sasl.evaluateRawToken(session, host, frame.bytes());
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(new CloseConnectionException("a raw SASL token failed: " + e));
            } finally {
                frame.release();
            }
        }, () -> ReadGate.of(ctx.channel()).close(ReadGate.Reason.QUEUE),
                () -> ctx.channel().eventLoop().execute(() -> ReadGate.of(ctx.channel()).open(ReadGate.Reason.QUEUE)));
    }

    /**
     * Runs the handler, unless an earlier request of the connection closes it or the connection may
     * not be served yet (SASL not done, its session expired); its failure, or no answer at all, is a
     * failed answer. The frame is released after.
     */
    private CompletableFuture<ApiMessage> handle(ApiHandler handler, KafkaWire.Request request,
            RequestFrame frame, AtomicLong handlerNanos) {
        long start = handlerNanos == null ? 0 : ticker.nanoTime();
        try {
            return handle(handler, request, frame);
        } finally {
            if (handlerNanos != null) {
                handlerNanos.set(ticker.nanoTime() - start);
            }
        }
    }

    private CompletableFuture<ApiMessage> handle(ApiHandler handler, KafkaWire.Request request,
            RequestFrame frame) {
        try {
            if (closing) {
                return CompletableFuture.failedFuture(new CloseConnectionException(request.apiKey() + " v"
                        + request.version() + " not handled: an earlier request of the connection closes it"));
            }
            if (!SASL_EXEMPT.contains(request.apiKey()) && !session.mayServe(ticker.nanoTime())) {
                closing = true;
                return CompletableFuture.failedFuture(new CloseConnectionException(request.apiKey() + " v"
                        + request.version() + " on listener " + session.listener() + (session.failed()
                                ? " after a failed SASL authentication"
                                : session.authenticated() ? " after the SASL session expired (connections.max.reauth.ms)"
                                        : " before SASL authentication")));
            }
            CompletableFuture<ApiMessage> handled = handler.handle(request);
            if (handled == null) {
                return CompletableFuture.failedFuture(new IllegalStateException("the handler gave no answer"));
            }
            if (handled.isCompletedExceptionally()) {
                // A refusal (the readiness gate, a failed acks=0 produce) is known before the handler
                // returns, so it is seen here before the connection's next request runs; nothing is
                // added to an answer that is still to come.
                handled.exceptionally(failure -> {
                    if (unwrap(failure) instanceof CloseConnectionException) {
                        closing = true;
                    }
                    return null;
                });
            }
            return handled;
        } catch (RuntimeException | Error e) {
            // A handler bug, even an Error (a stack overflow, an assertion): answered UNKNOWN_SERVER_ERROR, as Kafka does.
            return CompletableFuture.failedFuture(e);
        } finally {
            frame.release();
        }
    }

    /** A frame read on the event loop: answered already ({@code handler} null), or a request for its handler. */
    private record Prepared(CompletableFuture<ResponseFrame> answered, KafkaWire.Request request, ApiHandler handler) {

        static Prepared answered(CompletableFuture<ResponseFrame> answer) {
            return new Prepared(answer, null, null);
        }
    }

    /** Frames a request on the event loop: what cannot be a request, or is not served, is answered here. */
    private Prepared prepare(ChannelHandlerContext ctx, ByteBuffer frame) {
        int[] head = KafkaWire.peekHeader(frame);
        if (head == null) {
            return Prepared.answered(close(ctx, "a request frame of " + frame.remaining()
                    + " bytes is too short for a header"));
        }
        int apiKey = head[0];
        short version = (short) head[1];
        if (!KafkaWire.knownApiKey(apiKey)) {
            return Prepared.answered(close(ctx, "unknown API key " + apiKey));
        }
        ApiKeys key = ApiKeys.forId(apiKey);
        metrics.received(key, frame.remaining());
        if (key == ApiKeys.API_VERSIONS && !ApiVersionTable.serves(key, version)) {
            metrics.requestError(key, version, Errors.UNSUPPORTED_VERSION);
            return Prepared.answered(CompletableFuture.completedFuture(KafkaWire.apiVersionsFallback(head[2],
                    ApiVersionTable.asResponse())));
        }
        if (!key.isVersionSupported(version)) {
            // Neither readable nor answerable (KIP-896 removed the oldest versions); Kafka closes too.
            metrics.requestError(key, version, Errors.UNSUPPORTED_VERSION);
            return Prepared.answered(close(ctx, key + " v" + version + " is not supported (versions "
                    + key.oldestVersion() + " to " + key.latestVersion() + " exist; see ApiVersions for the ones served)"));
        }
        KafkaWire.Request request;
        try {
            request = KafkaWire.decode(frame).withClientHost(clientHost(ctx)).withSession(session);
        } catch (KafkaWire.InvalidRequestException e) {
            metrics.requestError(key, version, Errors.INVALID_REQUEST);
            return Prepared.answered(close(ctx, key + " v" + version + ": " + e.getMessage()));
        }
        ApiHandler handler = dispatcher.apis().handler(key);
        if (handler == null || !ApiVersionTable.serves(key, version)) {
            metrics.requestError(key, version, Errors.UNSUPPORTED_VERSION);
            try {
                return Prepared.answered(CompletableFuture.completedFuture(
                        KafkaWire.encode(request, KafkaWire.errorResponse(request, Errors.UNSUPPORTED_VERSION))));
            } catch (RuntimeException e) {
                return Prepared.answered(close(ctx, key + " v" + version + " is not served, no error answer: " + e));
            }
        }
        return new Prepared(null, request, handler);
    }

    /**
     * UNKNOWN_SERVER_ERROR in the API's own error response, at the request's version, and the connection
     * goes on; only if even that cannot be written does {@link #writeReady} close the connection.
     */
    private ResponseFrame failed(KafkaWire.Request request, String what, Throwable cause) {
        metrics.requestError(request.apiKey(), request.version(), Errors.UNKNOWN_SERVER_ERROR);
        log.warn("{} v{} from client '{}' answered UNKNOWN_SERVER_ERROR: {}: {}", request.apiKey(), request.version(),
                request.clientId(), what, cause.toString());
        log.debug("{} v{} failure", request.apiKey(), request.version(), cause);
        return KafkaWire.encode(request, KafkaWire.errorResponse(request, Errors.UNKNOWN_SERVER_ERROR));
    }

    private static String clientHost(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress address && address.getAddress() != null
                ? address.getAddress().toString() : "";
    }

    /** Writes every completed answer at the head of the queue, in order. */
    private void writeReady(ChannelHandlerContext ctx) {
        boolean wrote = false;
        while (!inFlight.isEmpty() && inFlight.peek().answer().isDone()) {
            Sent sent;
            try {
                sent = inFlight.poll().answer().join();
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
            ResponseFrame answer = sent == null ? null : sent.frame();
            if (answer != null && ctx.channel().isActive()) {
                try {
                    write(ctx, answer);
                } catch (UncheckedIOException e) {
                    // Record bytes that could not be read for TLS (a segment deleted meanwhile).
                    log.warn("Cannot answer a request from {}; closing the connection: {}",
                            ctx.channel().remoteAddress(), e.getCause().toString());
                    inFlight.clear();
                    ctx.close();
                    return;
                }
                metrics.sent(answer.size());
                wrote = true;
            }
            if (sent != null && sent.throttleMs() > 0 && ctx.channel().isActive()) {
                throttleReads(ctx, sent.throttleMs());
            }
            if (session.failed()) {
                // A failed SASL exchange: its answer is the last thing the connection gets.
                log.debug("Closing the connection from {}: SASL authentication failed", ctx.channel().remoteAddress());
                inFlight.clear();
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                return;
            }
        }
        if (wrote) {
            ctx.flush();
        }
        if (inFlight.size() < MAX_IN_FLIGHT) {
            ReadGate.of(ctx.channel()).open(ReadGate.Reason.IN_FLIGHT);
        }
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** Heap parts as wrapped buffers, record bytes of segment files as zero-copy file regions. */
    private void write(ChannelHandlerContext ctx, ResponseFrame answer) {
        for (ResponseFrame.Part part : answer.parts()) {
            if (part instanceof ResponseFrame.Bytes bytes) {
                ctx.write(Unpooled.wrappedBuffer(bytes.buffer()));
            } else if (copyFileRegions) {
                // TLS encrypts in the pipeline, where a file region cannot go: the file's bytes are read
                // into a heap buffer first (the JDK's TLS engine works on heap buffers).
                try {
                    ctx.write(Unpooled.wrappedBuffer(((ResponseFrame.File) part).slice().readFully()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        // Not while the broker itself holds the connection back (request memory full): that is not idleness.
        if (event instanceof IdleStateEvent && inFlight.isEmpty() && !ReadGate.of(ctx.channel()).isClosed(
                ReadGate.Reason.MEMORY) && !ReadGate.of(ctx.channel()).isClosed(ReadGate.Reason.THROTTLE)) {
            log.debug("Closing the connection from {}: idle for connections.max.idle.ms", ctx.channel().remoteAddress());
            metrics.idleClosed();
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            log.warn("Closing the connection from {}: {} (socket.request.max.bytes)", ctx.channel().remoteAddress(),
                    cause.getMessage());
        } else if (cause instanceof IOException) {
            // The client went away (connection reset): nothing the broker did wrong.
            log.debug("Connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("Closing the connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }
}
