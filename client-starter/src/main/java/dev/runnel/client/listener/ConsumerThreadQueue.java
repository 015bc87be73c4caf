package dev.runnel.client.listener;

import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work for a consumer's own thread (a {@code KafkaConsumer} is not thread-safe): run at once when
 * asked on that thread, else queued until the loop drains the queue before its next poll. Each
 * request answers with a future; requests left when the consumer stops fail.
 */
final class ConsumerThreadQueue {

    private static final Logger log = LoggerFactory.getLogger(ConsumerThreadQueue.class);

    private final String name;
    private final BooleanSupplier stopped;
    private final Queue<Request> requests = new ConcurrentLinkedQueue<>();
    private volatile Thread owner;

    private record Request(Runnable action, CompletableFuture<Void> done) {
    }

    /**
     * @param stopped whether the consumer has stopped for good (then nothing will drain the queue)
     */
    ConsumerThreadQueue(String name, BooleanSupplier stopped) {
        this.name = name;
        this.stopped = stopped;
    }

    /** Called by the consumer's thread when it starts. */
    void ownedByCurrentThread() {
        owner = Thread.currentThread();
    }

    CompletableFuture<Void> submit(Runnable action) {
        Request request = new Request(action, new CompletableFuture<>());
        if (Thread.currentThread() == owner) {
            run(request);
        } else {
            requests.add(request);
            if (stopped.getAsBoolean()) {
                failAll(); // it stopped before it could take this one
            }
        }
        return request.done();
    }

    /** Runs every waiting request; on the consumer's thread. */
    void drain() {
        Request request;
        while ((request = requests.poll()) != null) {
            run(request);
        }
    }

    /** Fails every waiting request: the consumer is stopped. */
    void failAll() {
        Request request;
        while ((request = requests.poll()) != null) {
            request.done().completeExceptionally(new IllegalStateException("listener consumer " + name + " is stopped"));
        }
    }

    private void run(Request request) {
        try {
            request.action().run();
            request.done().complete(null);
        } catch (RuntimeException e) {
            log.warn("Listener consumer {}: a seek or acknowledgment failed: {}", name, e.toString());
            request.done().completeExceptionally(e);
        }
    }
}
