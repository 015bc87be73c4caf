package dev.runnel.broker.protocol;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request as read from the socket: its bytes (after the size prefix) in a heap buffer of
 * their own, which parsed requests may point into, and the request memory they hold until the
 * request is answered.
 */
final class RequestFrame {

    private final ByteBuffer bytes;
    private final RequestMemoryPool pool;
    private final AtomicBoolean released = new AtomicBoolean();

    RequestFrame(ByteBuffer bytes, RequestMemoryPool pool) {
        this.bytes = bytes;
        this.pool = pool;
    }

    ByteBuffer bytes() {
        return bytes;
    }

    /** Gives the frame's memory back to the pool; later calls do nothing. */
    void release() {
        if (released.compareAndSet(false, true)) {
            pool.release(bytes.capacity());
        }
    }
}
