package dev.runnel.clustertest;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;

/**
 * What one step of {@link ScaleScenario} reached: named times, each measured from the event its
 * name says ({@code "led on every broker"} after the kill), notes, and, if the step did not finish,
 * why: the phase it was in when its deadline passed and the last problem a poll saw. Not
 * thread-safe: one step runs in one thread.
 */
final class StepResult {

    private final String step;
    private final Duration deadline;
    private final Map<String, Duration> marks = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private String waitingFor = "";
    private String lastProblem;
    private String failure;

    StepResult(String step, Duration deadline) {
        this.step = step;
        this.deadline = deadline;
    }

    /** Records the time since {@code sinceNanos} ({@link System#nanoTime()}) as {@code what}. */
    void mark(String what, long sinceNanos) {
        record(what, Duration.ofNanos(System.nanoTime() - sinceNanos));
    }

    void record(String what, Duration took) {
        marks.put(what, took);
    }

    /** What the step does now, for the report if it fails there. */
    void phase(String what) {
        waitingFor = what;
    }

    /** Marks the step as not finished, unless it already is. */
    void fail(String why) {
        if (failure == null) {
            failure = why;
        }
    }

    String lastProblem() {
        return lastProblem;
    }

    /** A detail told with the times ({@code "1,010 partitions written in 2 rounds"}). */
    void note(String note) {
        notes.add(note);
    }

    /** The latest thing a poll found wrong: told when the step does not finish. */
    void problem(String problem) {
        this.lastProblem = problem;
    }

    String step() {
        return step;
    }

    boolean finished() {
        return failure == null;
    }

    Map<String, Duration> marks() {
        return marks;
    }

    /** {@code "led on every broker 3.2 s; ..."} and, if it did not finish, why. */
    String cell() {
        List<String> parts = new ArrayList<>();
        marks.forEach((what, took) -> parts.add(what + " " + format(took)));
        if (!notes.isEmpty()) {
            parts.add("(" + String.join(", ", notes) + ")");
        }
        if (failure != null) {
            parts.add(failure);
        }
        return String.join("; ", parts);
    }

    @Override
    public String toString() {
        return step + ": " + cell();
    }

    /** A wait for a phase of this step, within what is left of {@code deadline}. */
    ConditionFactory waitFor(String what, long deadlineNanos) {
        waitingFor = what;
        long left = Math.max(TimeUnit.MILLISECONDS.toNanos(1), deadlineNanos - System.nanoTime());
        return await(what).atMost(Duration.ofNanos(left)).pollDelay(Duration.ZERO).pollInSameThread();
    }

    void failed(Throwable e) {
        failure = e instanceof ConditionTimeoutException
                ? "did not finish in " + format(deadline) + " (waiting for " + waitingFor + ")"
                : "failed (" + waitingFor + "): " + e;
        if (lastProblem != null) {
            failure += " last seen: " + lastProblem;
        }
    }

    /** {@code 850 ms}, {@code 12.3 s} or {@code 11.0 min}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1_000) {
            return ms + " ms";
        }
        return ms < 600_000 ? String.format("%.1f s", ms / 1000.0) : String.format("%.1f min", ms / 60_000.0);
    }

    /** A step that did not run, and why. */
    static StepResult skipped(String step, String why) {
        StepResult result = new StepResult(step, Duration.ZERO);
        result.failure = "skipped: " + why;
        return result;
    }
}
