package dev.runnel.broker.cluster;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.StopReplicaRequest;
import dev.runnel.cluster.UpdateMetadataRequest;

/**
 * The queue between the controller's HTTP calls and the {@link ReplicaManager}: commands are
 * accepted on the request thread and applied one at a time, in the order accepted, on this broker's
 * own thread ({@code controller-commands}).
 *
 * <p>Why: applying a command can take long (a full view of 50,000 partitions, LeaderAndIsr opening
 * thousands of logs, the stray-log pass after a full view). Applied on the request thread, a command
 * that outlives the controller's timeout is sent again, and again, each resend starting the work
 * anew. Here a request waits at most {@code answerWithin} (well under the controller's timeout) for
 * its command to be applied; then it is answered {@linkplain CommandResponse#queued() queued}, and
 * the controller goes on with its next command, which queues behind it.
 *
 * <p>Resends: each command carries an id that grows within a controller epoch. A command whose id
 * this broker has already accepted is not queued again: its request waits for the first one's
 * outcome, or is answered at once if that is known. A command without an id (-1) is always queued;
 * every command is idempotent anyway.
 *
 * <p>Fencing is checked twice: here, so a deposed controller or a command for another registration
 * of this broker is refused at once, and by the {@link ReplicaManager} when the command is applied,
 * against the state of that moment.
 *
 * <p>Every answer says which metadata view the broker has applied, and {@link #lag()} how long the
 * oldest accepted command has waited: the broker's health is DOWN while that exceeds a limit.
 */
public final class ControllerCommands implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ControllerCommands.class);

    /** Outcomes of this many recent commands are kept to answer resends. */
    private static final int REMEMBERED = 1024;

    private final ReplicaManager replicas;
    private final MetadataCache metadata;
    private final LongSupplier brokerEpoch;
    private final Clock clock;
    private final Duration answerWithin;
    private final ExecutorService applier;

    private final Map<Long, Accepted> recent = new LinkedHashMap<>();
    private final ArrayDeque<Accepted> pending = new ArrayDeque<>();
    private int acceptedControllerEpoch;
    private long lastAcceptedId = -1;

    /** A command accepted for application. */
    private static final class Accepted {
        final long id;
        final String name;
        final long acceptedAtMs;
        final CompletableFuture<CommandResponse> outcome = new CompletableFuture<>();

        Accepted(long id, String name, long acceptedAtMs) {
            this.id = id;
            this.name = name;
            this.acceptedAtMs = acceptedAtMs;
        }
    }

    public ControllerCommands(ReplicaManager replicas, MetadataCache metadata, LongSupplier brokerEpoch, Clock clock,
            Duration answerWithin) {
        this.replicas = replicas;
        this.metadata = metadata;
        this.brokerEpoch = brokerEpoch;
        this.clock = clock;
        this.answerWithin = answerWithin;
        this.applier = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "controller-commands");
            t.setDaemon(true);
            return t;
        });
    }

    public CommandResponse leaderAndIsr(LeaderAndIsrRequest request, long commandId) {
        return submit("LeaderAndIsr", request.controllerEpoch(), request.brokerEpoch(), commandId,
                () -> replicas.leaderAndIsr(request));
    }

    public CommandResponse updateMetadata(UpdateMetadataRequest request, long commandId) {
        return submit(request.full() ? "UpdateMetadata (full)" : "UpdateMetadata", request.controllerEpoch(),
                request.brokerEpoch(), commandId, () -> replicas.updateMetadata(request));
    }

    public CommandResponse stopReplica(StopReplicaRequest request, long commandId) {
        return submit("StopReplica", request.controllerEpoch(), request.brokerEpoch(), commandId,
                () -> replicas.stopReplica(request));
    }

    /** What the broker has applied, and whether commands still wait: the answer to a status request. */
    public CommandResponse status() {
        int waiting;
        synchronized (this) {
            waiting = pending.size();
        }
        CommandResponse status = new CommandResponse(ClusterError.NONE,
                waiting == 0 ? "every accepted command is applied" : waiting + " accepted commands wait", List.of());
        return withView(waiting == 0 ? status : status.asQueued());
    }

    /** How long the oldest command accepted but not yet applied has waited; zero when none waits. */
    public synchronized Duration lag() {
        Accepted oldest = pending.peekFirst();
        return oldest == null ? Duration.ZERO : Duration.ofMillis(Math.max(0, clock.millis() - oldest.acceptedAtMs));
    }

    /** Commands accepted and not yet applied. */
    public synchronized int pendingCount() {
        return pending.size();
    }

    private CommandResponse submit(String name, int controllerEpoch, long targetBrokerEpoch, long commandId,
            Supplier<CommandResponse> apply) {
        Accepted accepted;
        synchronized (this) {
            // Never the replica manager's lock here: the applier holds it while it works.
            if (controllerEpoch < acceptedControllerEpoch) {
                return withView(CommandResponse.refused(ClusterError.STALE_CONTROLLER_EPOCH, "controller epoch "
                        + controllerEpoch + " is older than " + acceptedControllerEpoch
                        + ", the highest this broker has seen"));
            }
            if (targetBrokerEpoch != brokerEpoch.getAsLong()) {
                return withView(CommandResponse.refused(ClusterError.STALE_BROKER_EPOCH, "the command is for broker "
                        + "epoch " + targetBrokerEpoch + ", this broker's is " + brokerEpoch.getAsLong()));
            }
            if (controllerEpoch > acceptedControllerEpoch) {
                // A new controller numbers its commands afresh.
                acceptedControllerEpoch = controllerEpoch;
                lastAcceptedId = -1;
                forgetApplied(true);
            }
            if (commandId >= 0 && commandId <= lastAcceptedId) {
                accepted = recent.get(commandId);
                if (accepted == null) {
                    return withView(new CommandResponse(ClusterError.NONE, name + " " + commandId
                            + " was applied long ago", List.of()));
                }
                log.debug("{} {} sent again; waiting for the first one instead of applying it again", name, commandId);
            } else {
                accepted = new Accepted(commandId, name, clock.millis());
                if (commandId >= 0) {
                    lastAcceptedId = commandId;
                    recent.put(commandId, accepted);
                    forgetApplied(false);
                }
                pending.addLast(accepted);
                Accepted queued = accepted;
                applier.execute(() -> apply(queued, apply));
            }
        }
        try {
            return withView(accepted.outcome.get(answerWithin.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return withView(CommandResponse.ok(List.of()).asQueued());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return withView(CommandResponse.ok(List.of()).asQueued());
        } catch (ExecutionException e) {
            // apply() completes normally even on failure; only a cancelled executor gets here.
            return withView(CommandResponse.refused(ClusterError.KAFKA_STORAGE_ERROR, String.valueOf(e.getCause())));
        }
    }

    private void apply(Accepted accepted, Supplier<CommandResponse> apply) {
        long started = clock.millis();
        CommandResponse outcome;
        try {
            outcome = apply.get();
        } catch (RuntimeException e) {
            log.error("Applying {} {} failed", accepted.name, accepted.id, e);
            outcome = CommandResponse.refused(ClusterError.KAFKA_STORAGE_ERROR,
                    accepted.name + " failed on the broker: " + e);
        }
        long tookMs = clock.millis() - started;
        if (tookMs > answerWithin.toMillis()) {
            log.info("{} {} took {} ms to apply (waited {} ms before)", accepted.name, accepted.id, tookMs,
                    started - accepted.acceptedAtMs);
        }
        synchronized (this) {
            pending.remove(accepted);
        }
        accepted.outcome.complete(outcome);
    }

    /** Drops the outcomes of applied commands beyond the last {@link #REMEMBERED} (all when {@code all}). */
    private void forgetApplied(boolean all) {
        Iterator<Accepted> oldest = recent.values().iterator();
        int excess = all ? recent.size() : recent.size() - REMEMBERED;
        while (excess > 0 && oldest.hasNext()) {
            Accepted next = oldest.next();
            if (!next.outcome.isDone() && !all) {
                break;
            }
            oldest.remove();
            excess--;
        }
    }

    private CommandResponse withView(CommandResponse response) {
        MetadataCache.Snapshot view = metadata.snapshot();
        return response.withAppliedView(view.controllerEpoch(), view.metadataVersion());
    }

    @Override
    public void close() {
        applier.shutdownNow();
        try {
            applier.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
