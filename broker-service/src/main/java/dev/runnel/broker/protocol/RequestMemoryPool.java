package dev.runnel.broker.protocol;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap that request frames may hold at once, across every connection of the listener
 * (Kafka's {@code queued.max.request.bytes} and its memory pool). A connection reserves a frame's
 * whole size before reading the frame into memory and gives it back once the request has been
 * handled; while the pool is full, that connection stops reading and waits to be woken. So ten
 * clients sending maximum-size requests at once queue behind each other instead of exhausting the
 * heap. As in Kafka's pool, a frame is let in whenever some memory is free, whatever its size: the
 * pool may go over its capacity by at most one frame, and no frame the listener accepts waits for
 * the pool to be empty.
 *
 * <p>Thread-safe: event loops of many connections reserve and release concurrently.
 */
final class RequestMemoryPool {

    private final long capacity;
    private final AtomicLong used = new AtomicLong();
    private final Queue<Runnable> waiting = new ConcurrentLinkedQueue<>();

    /** @param capacity bytes the pool may lend at once; at least 1 */
    RequestMemoryPool(long capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a request memory pool needs at least one byte, not " + capacity);
        }
        this.capacity = capacity;
    }

    /** A pool as large as the JVM's heap may ever be: it never makes a connection wait. */
    static RequestMemoryPool unbounded() {
        return new RequestMemoryPool(Long.MAX_VALUE);
    }

    /**
     * Takes {@code bytes} from the pool if any memory is free; otherwise
     * {@code wakeUp} runs once some memory comes back, and the caller should try again then.
     */
    boolean reserve(int bytes, Runnable wakeUp) {
        while (true) {
            long now = used.get();
            if (now >= capacity && bytes > 0) {
                waiting.add(wakeUp);
                // Released between the check and the queueing: nobody would wake the caller.
                if (used.get() != now) {
                    wakeWaiters();
                }
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Gives back what {@link #reserve} took and wakes every waiting connection to try again. */
    void release(int bytes) {
        used.addAndGet(-bytes);
        wakeWaiters();
    }

    private void wakeWaiters() {
        for (Runnable waiter = waiting.poll(); waiter != null; waiter = waiting.poll()) {
            try {
                waiter.run();
            } catch (RuntimeException e) {
                // A connection's event loop shutting down: the others must still be woken.
            }
        }
    }

    long used() {
        return used.get();
    }
}
