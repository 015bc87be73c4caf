package dev.runnel.broker.group;

import java.util.ArrayDeque;

/**
 * Whose turn it is to write, for a consumer or share group's operations ({@link GroupWrites}, and a
 * consumer group's conversion to a classic one in {@link GroupCoordinator}): whether one
 * operation's records are being written, and the operations waiting for that write, each to decide
 * on the state the previous one's replayed records left. Held by the group's {@link ClassicGroup};
 * touched only on its queue.
 */
final class WriteTurn {

    private boolean writing;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();

    /** Whether an operation's records are being written: a group with one in flight is not empty yet. */
    boolean isWriting() {
        return writing;
    }

    /** An operation's records are being written: the next operations wait for them. */
    void started() {
        writing = true;
    }

    /** The write is done, successfully or not; call {@link #runWaiting} once its outcome is handled. */
    void finished() {
        writing = false;
    }

    /** {@code operation} runs after the write in flight, in the order operations arrived. */
    void waitFor(Runnable operation) {
        waiting.add(operation);
    }

    /** Runs the waiting operations in order until one of them starts writing. */
    void runWaiting() {
        while (!writing && !waiting.isEmpty()) {
            waiting.poll().run();
        }
    }
}
