package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The request-handler threads: every task runs once, a task finds the thread that went idle last,
 * a blocked handler does not hold up the others, and no task's failure ends a thread.
 */
class RequestHandlerPoolTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private RequestHandlerPool pool;

    @AfterEach
    void close() {
        if (pool != null) {
            pool.close();
        }
    }

    @Test
    void everyTaskQueuedFromManyThreadsAtOnceRunsExactlyOnce() throws InterruptedException {
        pool = new RequestHandlerPool(3, "test-handler-");
        int submitters = 4;
        int perSubmitter = 20_000;
        AtomicInteger[] runs = new AtomicInteger[submitters * perSubmitter];
        for (int i = 0; i < runs.length; i++) {
            runs[i] = new AtomicInteger();
        }
        CountDownLatch done = new CountDownLatch(runs.length);
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < submitters; s++) {
            int first = s * perSubmitter;
            Thread submitter = new Thread(() -> {
                for (int i = first; i < first + perSubmitter; i++) {
                    AtomicInteger run = runs[i];
                    pool.execute(() -> {
                        run.incrementAndGet();
                        done.countDown();
                    });
                    if (i % 97 == 0) {
                        Thread.yield(); // let workers go idle between bursts: the wake-up path, not only the busy one
                    }
                }
            });
            threads.add(submitter);
            submitter.start();
        }
        for (Thread submitter : threads) {
            submitter.join(DEADLINE.toMillis());
        }
        // A task queued while every worker was going idle and left unwoken would hang here.
        assertThat(done.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as("all tasks ran").isTrue();
        for (AtomicInteger run : runs) {
            assertThat(run.get()).isEqualTo(1);
        }
    }

    @Test
    void aTaskQueuedWhileTheWorkersGoIdleIsNeverLeftWaiting() throws InterruptedException {
        pool = new RequestHandlerPool(2, "test-handler-");
        // Each round's tasks race with the workers that finished the last round and are going idle:
        // the window where a task could be queued with nobody left to wake for it.
        for (int round = 0; round < 5_000; round++) {
            int tasks = 1 + round % 3;
            CountDownLatch done = new CountDownLatch(tasks);
            for (int i = 0; i < tasks; i++) {
                pool.execute(done::countDown);
            }
            assertThat(done.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as("round %d ran", round).isTrue();
        }
    }

    @Test
    void anInterruptSentToAnIdleThreadReachesNoTask() throws InterruptedException {
        pool = new RequestHandlerPool(1, "interrupted-handler-");
        awaitAllIdle(1);
        threadsNamed("interrupted-handler-").forEach(Thread::interrupt);
        AtomicReference<Boolean> interrupted = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1);
        pool.execute(() -> {
            interrupted.set(Thread.currentThread().isInterrupted());
            ran.countDown();
        });
        assertThat(ran.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(interrupted.get()).isFalse();
    }

    @Test
    void oneRequestAtATimeRunsOnTheThreadThatWentIdleLast() throws InterruptedException {
        pool = new RequestHandlerPool(8, "test-handler-");
        awaitAllIdle(8);
        Set<String> ranOn = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 200; i++) {
            CountDownLatch ran = new CountDownLatch(1);
            pool.execute(() -> {
                ranOn.add(Thread.currentThread().getName());
                ran.countDown();
            });
            assertThat(ran.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
            awaitAllIdle(8);
        }
        // A ThreadPoolExecutor would have gone round all 8 threads, the longest idle first.
        assertThat(ranOn).hasSize(1);
    }

    @Test
    void aBlockedTaskDoesNotHoldUpTheNextOne() throws InterruptedException {
        pool = new RequestHandlerPool(2, "test-handler-");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        pool.execute(() -> {
            blocked.countDown();
            awaitQuietly(release);
        });
        assertThat(blocked.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        CountDownLatch second = new CountDownLatch(1);
        pool.execute(second::countDown);
        assertThat(second.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as("ran beside the blocked task").isTrue();
        release.countDown();
    }

    @Test
    void aTaskThatFailsOrIsInterruptedLeavesItsThreadServing() throws InterruptedException {
        pool = new RequestHandlerPool(1, "test-handler-");
        AtomicReference<String> firstThread = new AtomicReference<>();
        pool.execute(() -> {
            firstThread.set(Thread.currentThread().getName());
            throw new IllegalStateException("a handler bug");
        });
        pool.execute(() -> {
            Thread.currentThread().interrupt();
            throw new OutOfMemoryError("not really");
        });
        AtomicReference<String> thirdThread = new AtomicReference<>();
        AtomicReference<Boolean> interrupted = new AtomicReference<>();
        CountDownLatch third = new CountDownLatch(1);
        pool.execute(() -> {
            thirdThread.set(Thread.currentThread().getName());
            interrupted.set(Thread.currentThread().isInterrupted());
            third.countDown();
        });
        assertThat(third.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(thirdThread.get()).isEqualTo(firstThread.get());
        assertThat(interrupted.get()).as("an earlier task's interrupt does not carry over").isFalse();
    }

    @Test
    void aClosedPoolRefusesTasksAndItsThreadsEndEvenOneThatWasRunningATask() throws InterruptedException {
        pool = new RequestHandlerPool(2, "closing-handler-");
        awaitAllIdle(2);
        List<Thread> threads = threadsNamed("closing-handler-");
        assertThat(threads).hasSize(2);
        CountDownLatch running = new CountDownLatch(1);
        pool.execute(() -> {
            running.countDown();
            awaitQuietly(new CountDownLatch(1)); // until interrupted by close()
        });
        assertThat(running.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        pool.close();
        assertThatThrownBy(() -> pool.execute(() -> { }))
                .isInstanceOf(RejectedExecutionException.class);
        Awaitility.await().atMost(DEADLINE).until(() -> threads.stream().noneMatch(Thread::isAlive));
    }

    private void awaitAllIdle(int threads) {
        Awaitility.await().atMost(DEADLINE).pollInterval(Duration.ofMillis(1))
                .until(() -> pool.idleThreads() == threads);
    }

    private static List<Thread> threadsNamed(String prefix) {
        List<Thread> threads = new ArrayList<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().startsWith(prefix)) {
                threads.add(thread);
            }
        }
        return threads;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
