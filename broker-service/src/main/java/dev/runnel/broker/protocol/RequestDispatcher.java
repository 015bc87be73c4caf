package dev.runnel.broker.protocol;

import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.quota.ClientQuotas;
import dev.runnel.common.time.Scheduler;
import dev.runnel.common.time.Ticker;

/**
 * Where requests are handled: a bounded pool of request-handler threads (Kafka's
 * {@code num.io.threads}), so that the network threads only frame requests and write answers. A
 * handler may take locks, roll a segment or fsync; none of that stalls the other connections of
 * its event loop. The threads are a {@link RequestHandlerPool}, where a request finds the thread that
 * went idle last, so that under light load one or two warm threads do the work. With
 * {@code num-io-threads} 0 handlers run on the event loops instead: cheaper on a small machine that
 * also runs the clients (no hand-over between threads), but one slow disk operation then stalls
 * every connection of its loop ({@code docs/benchmarks.md}).
 *
 * <ul>
 *   <li>Each connection's requests run one at a time, in the order they arrived ({@link #forConnection}),
 *       as they did on the connection's event loop; their answers may complete later (a parked fetch)
 *       and are still written in request order by the connection.</li>
 *   <li>At most {@code queued.max.requests} requests wait for a handler thread; past that,
 *       {@link #enqueue} says so and the connection stops reading until it is woken (back-pressure,
 *       as Kafka's network threads block on a full request queue).</li>
 *   <li>A connection alone on its event loop (no other connection still open has sent a
 *       request there for {@link #ALONE_FOR}) has its requests handled on that loop, once none of
 *       its earlier ones is still on a handler thread: there is no other connection whose
 *       requests a slow handler could hold up there, and the two thread hand-overs per request (to
 *       a handler thread and the answer back) are what a lone client pays most for on a small
 *       machine. The first request another connection sends on that loop sends both connections'
 *       requests to the handler threads again; a new connection, or one quiet for that long, that
 *       starts sending during a slow handler waits for that one handler only
 *       ({@code docs/benchmarks.md}).</li>
 * </ul>
 */
public final class RequestDispatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RequestDispatcher.class);

    /** Requests of one connection handled in one turn on a handler thread before the others get theirs. */
    private static final int TASKS_PER_TURN = 16;

    /**
     * How long no other open connection may have sent a request on a connection's event loop for
     * its requests to be handled there: longer than the gaps between a quiet client's requests (a
     * consumer's heartbeats every 3 s, a long-polling fetch every 500 ms).
     */
    static final Duration ALONE_FOR = Duration.ofSeconds(10);
    private static final long ALONE_FOR_NANOS = ALONE_FOR.toNanos();

    private final KafkaApis apis;
    private final Executor pool;
    private final RequestHandlerPool owned;
    private final int queuedMaxRequests;
    private final AtomicInteger queued = new AtomicInteger();
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();
    private final Ticker ticker;
    /** Per event loop (the thread that dispatches): who sent its last request, and since when alone. */
    private final ThreadLocal<LoopSenders> loopSenders = ThreadLocal.withInitial(LoopSenders::new);
    private final LongAdder handledOnEventLoop = new LongAdder();
    private volatile RequestThrottler throttler = RequestThrottler.NONE;

    /**
     * The dispatcher of {@code ioThreads} request-handler threads, or with {@code ioThreads} 0 one
     * that runs handlers on the connections' event loops ({@link #direct}).
     *
     * @param ioThreads         request-handler threads ({@code num.io.threads}); 0: none
     * @param queuedMaxRequests requests that may wait for a handler thread before connections stop
     *                          reading ({@code queued.max.requests})
     */
    public static RequestDispatcher of(KafkaApis apis, int ioThreads, int queuedMaxRequests, Ticker ticker) {
        return ioThreads == 0 ? direct(apis) : new RequestDispatcher(apis, ioThreads, queuedMaxRequests, ticker);
    }

    /**
     * @param ioThreads         request-handler threads ({@code num.io.threads})
     * @param queuedMaxRequests requests that may wait for a handler thread before connections stop
     *                          reading ({@code queued.max.requests})
     * @param ticker            what measures how long a connection has been alone on its event loop
     */
    public RequestDispatcher(KafkaApis apis, int ioThreads, int queuedMaxRequests, Ticker ticker) {
        if (ioThreads < 1 || queuedMaxRequests < 1) {
            throw new IllegalArgumentException("num.io.threads and queued.max.requests must be at least 1, not "
                    + ioThreads + " and " + queuedMaxRequests);
        }
        RequestHandlerPool threads = new RequestHandlerPool(ioThreads, "kafka-request-handler-");
        this.apis = apis;
        this.pool = threads;
        this.owned = threads;
        this.queuedMaxRequests = queuedMaxRequests;
        this.ticker = ticker;
    }

    private RequestDispatcher(KafkaApis apis, Executor pool) {
        this.apis = apis;
        this.pool = pool;
        this.owned = null;
        this.queuedMaxRequests = Integer.MAX_VALUE;
        this.ticker = Ticker.SYSTEM;
    }

    /**
     * Handlers run on the caller's thread: the connection's event loop (as with
     * {@code num-io-threads} 0), or a test that drives a connection step by step.
     */
    static RequestDispatcher direct(KafkaApis apis) {
        return new RequestDispatcher(apis, Runnable::run);
    }

    KafkaApis apis() {
        return apis;
    }

    /**
     * Enforces {@code quotas} on the requests of every connection made from now on: their answers
     * carry the throttle time and their connections mute themselves for it, the end of a throttle
     * run by {@code scheduler}. Returns this dispatcher.
     */
    public RequestDispatcher throttling(ClientQuotas quotas, Scheduler scheduler) {
        this.throttler = new RequestThrottler(quotas, scheduler);
        return this;
    }

    RequestThrottler throttler() {
        return throttler;
    }

    /** An executor that runs one connection's requests one at a time, in order, on the pool. */
    Executor forConnection() {
        return owned == null ? Runnable::run : new SerialExecutor();
    }

    /**
     * Runs {@code handling} for a request of the connection whose executor is {@code connection},
     * called on the connection's event loop: at once on it without handler threads or when the
     * connection is alone on the loop ({@link #ALONE_FOR}), else queued on the handler threads (and
     * when the queue is full, {@code stopReading} runs now and {@code wakeUp} once there is room).
     * The future is the handler's answer (or, for a raw SASL token, the frame to send).
     */
    <T> CompletableFuture<T> dispatch(Executor connection, Supplier<CompletableFuture<T>> handling,
            Runnable stopReading, Runnable wakeUp) {
        if (owned == null) {
            return handling.get();
        }
        if (aloneOnItsLoop(connection)) {
            handledOnEventLoop.increment();
            return handling.get();
        }
        CompletableFuture<T> answer = new CompletableFuture<>();
        boolean room = enqueue(connection, () -> handling.get().whenComplete((message, failure) -> {
            if (failure != null) {
                answer.completeExceptionally(failure);
            } else {
                answer.complete(message);
            }
        }), wakeUp);
        if (!room) {
            stopReading.run();
        }
        return answer;
    }

    /**
     * Queues {@code task} on {@code connection} (from {@link #forConnection}). Returns false when the
     * queue is now full: the caller should stop reading; {@code wakeUp} runs once there is room again.
     */
    boolean enqueue(Executor connection, Runnable task, Runnable wakeUp) {
        int now = queued.incrementAndGet();
        connection.execute(() -> {
            queued.decrementAndGet();
            wakeWaiters();
            task.run();
        });
        if (now < queuedMaxRequests) {
            return true;
        }
        waiting.add(wakeUp);
        if (queued.get() < queuedMaxRequests) {
            wakeWaiters(); // room made between the count and the queueing: nobody else would wake it
        }
        return false;
    }

    /** Requests waiting for a handler thread (a gauge). */
    public int queuedRequests() {
        return queued.get();
    }

    /** Requests handled on their event loop because their connection was alone there (a counter). */
    public long handledOnEventLoop() {
        return handledOnEventLoop.sum();
    }

    /**
     * Whether this request of {@code connection}, read on the calling event loop, may be handled on
     * it: no other connection still open has sent a request on the loop for {@link #ALONE_FOR}, and
     * none of the connection's own requests is queued or running on a handler thread (it would be
     * answered out of turn otherwise). Event loop only.
     */
    private boolean aloneOnItsLoop(Executor connection) {
        LoopSenders senders = loopSenders.get();
        long now = ticker.nanoTime();
        if (senders.last != connection) {
            if (senders.last != null) {
                senders.other = senders.last;
                senders.otherSentAt = senders.lastSentAt;
            } else if (senders.other == connection) {
                senders.other = null; // the last sender closed, and this one was the other
            }
            senders.last = connection;
        }
        senders.lastSentAt = now;
        return (senders.other == null || now - senders.otherSentAt >= ALONE_FOR_NANOS)
                && ((SerialExecutor) connection).idle();
    }

    /**
     * {@code connection} (from {@link #forConnection}) is closed: it sends nothing more on the
     * calling event loop, so it no longer keeps another connection there off the loop. Event loop only.
     */
    void closed(Executor connection) {
        if (owned == null) {
            return;
        }
        LoopSenders senders = loopSenders.get();
        if (senders.last == connection) {
            senders.last = null;
        }
        if (senders.other == connection) {
            senders.other = null;
        }
    }

    /**
     * One event loop's view: the connection that sent its last request, and the one that sent a
     * request last before it (the most recent other sender), with when each last sent. A third
     * connection that sent before those two is forgotten: its next request makes it one of them.
     */
    private static final class LoopSenders {
        private Executor last;
        private long lastSentAt;
        private Executor other;
        private long otherSentAt;
    }

    private void wakeWaiters() {
        if (waiting.isEmpty() || queued.get() >= queuedMaxRequests) {
            return;
        }
        for (Runnable waiter = waiting.poll(); waiter != null; waiter = waiting.poll()) {
            try {
                waiter.run();
            } catch (RuntimeException e) {
                // A connection's event loop shutting down: the others must still be woken.
            }
        }
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }

    /** One connection's queue: at most one of its tasks on the pool at a time, in order. */
    private final class SerialExecutor implements Executor {

        private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        private final AtomicInteger pending = new AtomicInteger();

        /** None of this connection's requests is queued or running on the pool. */
        boolean idle() {
            return pending.get() == 0;
        }

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
            if (pending.getAndIncrement() == 0) {
                submit();
            }
        }

        private void submit() {
            try {
                pool.execute(this::runSome);
            } catch (RuntimeException e) {
                // The pool is shut down: the broker is stopping, and the connection with it.
                log.debug("Request not handled: {}", e.toString());
            }
        }

        /**
         * Runs this connection's queued requests, a few per turn: a client that pipelines gets them
         * handled without a hand-over each, and the others still get their turns.
         */
        private void runSome() {
            int ran = 0;
            int left;
            do {
                Runnable task = tasks.poll();
                try {
                    task.run();
                } catch (Throwable t) {
                    // Even an Error: this connection's later requests must still be handled.
                    log.error("A request task failed", t);
                }
                ran++;
                left = pending.decrementAndGet();
            } while (left > 0 && ran < TASKS_PER_TURN);
            if (left > 0) {
                // The rest of this connection's requests go to the back of the pool's queue: fair to the others.
                submit();
            }
        }
    }
}
