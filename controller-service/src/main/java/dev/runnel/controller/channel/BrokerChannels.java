package dev.runnel.controller.channel;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.common.time.Ticker;
import dev.runnel.controller.metadata.BrokerCommand;

/**
 * The active controller's channels to the brokers: one FIFO queue and sending thread per broker, so
 * each broker applies commands in the order they were decided. A command that fails to arrive is
 * retried with back-off until it arrives, the broker leaves, or this controller resigns; so is one
 * the broker refuses for its epoch, which it is still registering. A broker that answers
 * STALE_CONTROLLER_EPOCH has seen a newer controller: the {@code deposed} callback is told.
 *
 * <p>Every command carries an id ({@link InternalApi#COMMAND_ID_HEADER}) that grows with each command
 * this controller sends, so a broker that receives a resend of a command it has already accepted
 * waits for that one instead of applying it again. A broker answers once the command is applied or,
 * if that takes long, once it is queued; either way the next command follows at once.
 *
 * <p>Each channel knows the last metadata version it delivered and the last one the broker said it
 * had applied ({@link #lag()}); while the broker is behind and nothing else is to be sent, the
 * channel asks it for its progress every {@link #STATUS_POLL}.
 */
public final class BrokerChannels implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BrokerChannels.class);

    /** How often a channel whose broker is behind asks it how far it has got. */
    static final Duration STATUS_POLL = Duration.ofMillis(500);

    /**
     * How far one broker's metadata is behind this controller's.
     *
     * @param brokerId               the broker
     * @param sentMetadataVersion    the last metadata version delivered to it (accepted, maybe queued)
     * @param appliedMetadataVersion the last version it said it has applied (0 if none of this controller's)
     * @param queuedCommands         commands waiting in this controller's channel to be delivered
     * @param lagMs                  how long the oldest version not yet applied has been waiting, 0 if none
     */
    public record BrokerLag(int brokerId, long sentMetadataVersion, long appliedMetadataVersion, int queuedCommands,
            long lagMs) {
    }

    private final InternalHttpClient http;
    private final int controllerEpoch;
    private final Duration maxBackoff;
    private final Clock clock;
    private final Ticker ticker;
    private final Consumer<String> deposed;
    private final Map<Integer, Channel> channels = new HashMap<>();
    private final AtomicLong nextCommandId = new AtomicLong();

    /**
     * @param clock   when metadata versions were delivered, for {@link #lag()}
     * @param ticker  the waits between attempts to deliver a command
     * @param deposed told when a broker has seen a newer controller epoch
     */
    public BrokerChannels(InternalHttpClient http, int controllerEpoch, Duration maxBackoff, Clock clock, Ticker ticker,
            Consumer<String> deposed) {
        this.http = http;
        this.controllerEpoch = controllerEpoch;
        this.maxBackoff = maxBackoff;
        this.clock = clock;
        this.ticker = ticker;
        this.deposed = deposed;
    }

    /** Queues {@code command} for its broker, opening the channel if needed. */
    public synchronized void send(BrokerCommand command, BrokerInfo broker) {
        Channel channel = channels.get(broker.id());
        if (channel == null || channel.broker.epoch() != broker.epoch()) {
            if (channel != null) {
                channel.close();
            }
            channel = new Channel(broker);
            channels.put(broker.id(), channel);
        }
        channel.submit(command);
    }

    /** How far each broker with a channel is behind, by broker id. */
    public synchronized List<BrokerLag> lag() {
        return channels.values().stream().map(Channel::lag).sorted(Comparator.comparingInt(BrokerLag::brokerId))
                .toList();
    }

    /** Drops the queue of a broker that left; commands in flight are abandoned. */
    public synchronized void brokerGone(int brokerId) {
        Channel channel = channels.remove(brokerId);
        if (channel != null) {
            channel.close();
        }
    }

    @Override
    public synchronized void close() {
        channels.values().forEach(Channel::close);
        channels.clear();
    }

    private final class Channel {

        final BrokerInfo broker;
        final ScheduledExecutorService thread;
        final AtomicInteger queued = new AtomicInteger();
        /** Metadata versions delivered and not yet known to be applied, with when each was delivered. */
        final ArrayDeque<long[]> unapplied = new ArrayDeque<>();
        volatile boolean closed;
        long sentVersion;
        long appliedVersion;
        boolean pollScheduled;

        Channel(BrokerInfo broker) {
            this.broker = broker;
            this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "controller-channel-broker-" + broker.id());
                t.setDaemon(true);
                return t;
            });
        }

        void submit(BrokerCommand command) {
            long id = nextCommandId.incrementAndGet();
            queued.incrementAndGet();
            thread.execute(() -> {
                queued.decrementAndGet();
                deliver(command, id);
                pollIfBehind();
            });
        }

        synchronized BrokerLag lag() {
            long[] oldest = unapplied.peekFirst();
            return new BrokerLag(broker.id(), sentVersion, appliedVersion, queued.get(),
                    oldest == null ? 0 : Math.max(0, clock.millis() - oldest[1]));
        }

        private void deliver(BrokerCommand command, long id) {
            long backoffMs = 50;
            for (int attempt = 1; !closed; attempt++) {
                try {
                    CommandResponse response = http.post(http.baseUrl(broker), path(command), body(command),
                            CommandResponse.class, Map.of(InternalApi.COMMAND_ID_HEADER, Long.toString(id)));
                    if (closed) {
                        return;
                    }
                    if (response.error() == ClusterError.STALE_CONTROLLER_EPOCH) {
                        deposed.accept("broker " + broker.id() + " has seen a newer controller epoch ("
                                + response.message() + ")");
                    } else if (response.error() == ClusterError.STALE_BROKER_EPOCH) {
                        // The broker is still finishing its registration, or has restarted: in the
                        // second case a new channel for its new epoch replaces this one.
                        throw new IOException("broker " + broker.id() + " is not at epoch " + broker.epoch() + " yet");
                    } else if (response.error() != ClusterError.NONE) {
                        log.warn("Broker {} refused {}: {} {}", broker.id(), name(command), response.error(),
                                response.message());
                    } else if (!response.partitions().isEmpty()) {
                        log.warn("Broker {} failed partitions of {}: {}", broker.id(), name(command),
                                response.partitions());
                    } else if (response.queued()) {
                        log.debug("Broker {} queued {} {}", broker.id(), name(command), id);
                    }
                    if (response.error() == ClusterError.NONE && command instanceof BrokerCommand.UpdateMetadata update) {
                        delivered(update.request().metadataVersion());
                    }
                    progress(response);
                    return;
                } catch (InternalHttpClient.HttpStatusException e) {
                    if (e.isClientError()) {
                        // A wrong cluster secret or a body the broker cannot read: retrying cannot help.
                        log.error("Broker {} rejected {}; dropping it: {}", broker.id(), name(command), e.getMessage());
                        return;
                    }
                    backoffMs = pause(command, attempt, e, backoffMs);
                } catch (IOException e) {
                    backoffMs = pause(command, attempt, e, backoffMs);
                } catch (RuntimeException e) {
                    log.error("Cannot send {} to broker {}; dropping it", name(command), broker.id(), e);
                    return;
                }
                if (backoffMs < 0) {
                    return;
                }
            }
        }

        private synchronized void delivered(long version) {
            if (version > sentVersion) {
                sentVersion = version;
                unapplied.addLast(new long[] {version, clock.millis()});
            }
        }

        /** Takes note of the view the broker says it has applied. */
        private synchronized void progress(CommandResponse response) {
            if (response.appliedControllerEpoch() != controllerEpoch) {
                return;
            }
            appliedVersion = Math.max(appliedVersion, response.appliedMetadataVersion());
            while (!unapplied.isEmpty() && unapplied.peekFirst()[0] <= appliedVersion) {
                unapplied.removeFirst();
            }
        }

        /** With nothing left to send and the broker behind, asks it again after {@link #STATUS_POLL}. */
        private void pollIfBehind() {
            boolean behind;
            synchronized (this) {
                behind = !unapplied.isEmpty() && !pollScheduled && queued.get() == 0 && !closed;
                pollScheduled |= behind;
            }
            if (behind) {
                try {
                    thread.schedule(this::poll, STATUS_POLL.toMillis(), TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException closing) {
                    // the channel is closing
                }
            }
        }

        private void poll() {
            synchronized (this) {
                pollScheduled = false;
            }
            if (closed) {
                return;
            }
            try {
                progress(http.post(http.baseUrl(broker), InternalApi.COMMAND_STATUS, Map.of(), CommandResponse.class));
            } catch (IOException | RuntimeException e) {
                log.debug("Cannot ask broker {} for its progress: {}", broker.id(), e.toString());
            }
            pollIfBehind();
        }

        /** Waits before the next attempt; returns the next back-off, or -1 when interrupted. */
        private long pause(BrokerCommand command, int attempt, IOException failure, long backoffMs) {
            if (attempt % 20 == 0) {
                log.warn("{} to broker {} still undelivered after {} attempts: {}", name(command), broker.id(),
                        attempt, failure.getMessage());
            } else {
                log.debug("Sending {} to broker {} failed, retrying: {}", name(command), broker.id(), failure.toString());
            }
            try {
                ticker.sleep(Duration.ofMillis(backoffMs));
            } catch (InterruptedException interrupted) {
                return -1;
            }
            return Math.min(backoffMs * 2, maxBackoff.toMillis());
        }

        void close() {
            closed = true;
            thread.shutdownNow();
            try {
                thread.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String path(BrokerCommand command) {
        if (command instanceof BrokerCommand.LeaderAndIsr) {
            return InternalApi.LEADER_AND_ISR;
        } else if (command instanceof BrokerCommand.UpdateMetadata) {
            return InternalApi.UPDATE_METADATA;
        }
        return InternalApi.STOP_REPLICA;
    }

    private static Object body(BrokerCommand command) {
        if (command instanceof BrokerCommand.LeaderAndIsr c) {
            return c.request();
        } else if (command instanceof BrokerCommand.UpdateMetadata c) {
            return c.request();
        }
        return ((BrokerCommand.StopReplica) command).request();
    }

    private static String name(BrokerCommand command) {
        return command.getClass().getSimpleName();
    }
}
