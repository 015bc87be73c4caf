package dev.runnel.broker.protocol;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request-handler threads ({@code num.io.threads}): a fixed set of threads taking tasks from
 * one queue, where a task finds the thread that went idle last.
 *
 * <p>A {@link java.util.concurrent.ThreadPoolExecutor} wakes the thread that has waited longest, so
 * with 8 threads and a request at a time every request runs on the coldest thread: its stack and
 * the request's data in another core's cache, and on a small machine a scheduler wake-up of a
 * thread that is not where the work is. Here idle threads wait on a stack: under light load one
 * or two warm threads do the work, and the others are woken only when those are busy (a handler
 * blocked on a slow disk, many connections at once). Tasks run in the order they were queued, on
 * whichever thread takes them. Unlike a {@code ThreadPoolExecutor}, the threads start at once, a
 * task's failure (even an {@code Error}) is logged and ends no thread, and an interrupt never
 * carries over from one task to the next; {@link #close} drops the queued tasks and interrupts the
 * running ones without waiting for them, as {@code shutdownNow} does.
 */
final class RequestHandlerPool implements Executor, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RequestHandlerPool.class);

    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Idle workers, the last to go idle first. */
    private final ConcurrentLinkedDeque<Worker> idle = new ConcurrentLinkedDeque<>();
    private final Worker[] workers;
    private volatile boolean closed;

    RequestHandlerPool(int threads, String namePrefix) {
        if (threads < 1) {
            throw new IllegalArgumentException("a pool needs at least one thread, not " + threads);
        }
        workers = new Worker[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new Worker(namePrefix + i);
        }
        for (Worker worker : workers) {
            worker.thread.start();
        }
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        if (closed && tasks.remove(task)) { // checked after queueing: a close() meanwhile cannot drop it unseen
            throw new RejectedExecutionException("the request-handler threads are stopped");
        }
        Worker worker = idle.pollFirst();
        if (worker != null) {
            worker.wake();
        }
    }

    /** Threads waiting for a task. */
    int idleThreads() {
        return idle.size();
    }

    /** Stops the threads; queued tasks are dropped, as with {@code shutdownNow}. */
    @Override
    public void close() {
        closed = true;
        tasks.clear();
        for (Worker worker : workers) {
            worker.wake();
            worker.thread.interrupt();
        }
    }

    private final class Worker implements Runnable {

        final Thread thread;
        /** True while the worker is on the idle stack and may park; cleared by whoever takes it off. */
        private volatile boolean waiting;

        Worker(String name) {
            thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        void wake() {
            waiting = false;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            while (!closed) {
                Runnable task = tasks.poll();
                if (task != null) {
                    runTask(task);
                    continue;
                }
                waiting = true;
                idle.addFirst(this);
                // A task queued before this worker was on the stack found no one to wake: look again.
                if (!tasks.isEmpty() && idle.removeFirstOccurrence(this)) {
                    waiting = false;
                    continue;
                }
                while (waiting && !closed) {
                    LockSupport.park(this);
                    // An interrupt while idle would make park return at once, over and over: only close() stops a worker.
                    Thread.interrupted();
                }
            }
        }

        private void runTask(Runnable task) {
            Thread.interrupted(); // an interrupt meant for another task, or sent while idle, is not this one's
            try {
                task.run();
            } catch (Throwable t) {
                // A handler's failure is answered by the connection; nothing may end this thread.
                try {
                    log.error("A request task failed", t);
                } catch (Throwable ignored) {
                    // Not even logging (out of memory): the thread still goes on.
                }
            }
        }
    }
}
