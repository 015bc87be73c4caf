package dev.runnel.broker.group;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One write at a time for the operations of a consumer or share group: each decides its records
 * and answer ({@link CoordinatorResult}) on the state the previous one's replayed records left;
 * the others wait on the group's queue. Used by {@link ConsumerGroupCoordinator} and
 * {@link ShareGroupCoordinator}.
 */
final class GroupWrites {

    private static final Logger log = LoggerFactory.getLogger(GroupWrites.class);

    /** What to do once an operation's records are replayed (or it wrote none), before it answers. */
    @FunctionalInterface
    interface AfterReplay<T> {
        void accept(ClassicGroup g, T answer);
    }

    private final GroupCoordinator classic;
    private final GroupMetadataManager groups;

    GroupWrites(GroupCoordinator classic) {
        this.classic = classic;
        this.groups = classic.metadata();
    }

    /**
     * Runs {@code decide} on the group's queue once no other operation of the group is writing;
     * writes its records, replays them, runs {@code after}, and answers. A failed write answers
     * with its error and changes nothing.
     */
    <T> CompletableFuture<T> serialized(ClassicGroup group, Function<Errors, T> failed,
            Function<ClassicGroup, CoordinatorResult<T>> decide, AfterReplay<T> after) {
        return classic.onQueue(group, failed, (g, respond) -> runOrWait(g, () -> run(g, failed, decide, after, respond)));
    }

    /** Runs {@code operation} (already on the group's queue) now, or after the write in flight. */
    static void runOrWait(ClassicGroup g, Runnable operation) {
        if (g.writes().isWriting()) {
            g.writes().waitFor(operation);
        } else {
            operation.run();
        }
    }

    /** One operation on the group's queue, no write in flight: decide, write, replay, {@code after}, answer. */
    <T> void run(ClassicGroup g, Function<Errors, T> failed, Function<ClassicGroup, CoordinatorResult<T>> decide,
            AfterReplay<T> after, Consumer<T> respond) {
        if (groups.group(g.groupId) != g || g.is(GroupState.DEAD)) {
            respond.accept(failed.apply(Errors.COORDINATOR_NOT_AVAILABLE));
            return;
        }
        CoordinatorResult<T> result;
        try {
            result = decide.apply(g);
        } catch (RuntimeException e) {
            log.warn("An operation of {} failed", g, e);
            respond.accept(failed.apply(Errors.UNKNOWN_SERVER_ERROR));
            return;
        }
        if (result.records().isEmpty()) {
            after.accept(g, result.response());
            respond.accept(result.response());
            return;
        }
        g.writes().started();
        groups.writeMetadataAt(g, result.records()).whenComplete((written, e) -> {
            g.writes().finished();
            try {
                Errors error = e != null ? Errors.UNKNOWN_SERVER_ERROR : written.error();
                if (error != Errors.NONE) {
                    respond.accept(failed.apply(error));
                } else if (groups.group(g.groupId) != g) {
                    respond.accept(failed.apply(Errors.NOT_COORDINATOR));
                } else {
                    // Where they were written: an upgrade writes offset records too.
                    groups.replay(g, result.records(), written.baseOffset(), GroupLog.NO_PRODUCER_ID);
                    after.accept(g, result.response());
                    respond.accept(result.response());
                }
            } finally {
                g.writes().runWaiting();
            }
        });
    }
}
