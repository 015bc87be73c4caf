package dev.runnel.controller.channel;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.controller.metadata.BrokerCommand;

/**
 * The active controller's channels to the brokers: one FIFO queue and sending thread per broker, so
 * each broker applies commands in the order they were decided. A command that fails to arrive is
 * retried with back-off (they are idempotent) until it arrives, the broker leaves, or this
 * controller resigns; so is one the broker refuses for its epoch, which it is still registering. A broker that answers STALE_CONTROLLER_EPOCH has seen a newer controller: the
 * {@code deposed} callback is told.
 */
public final class BrokerChannels implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BrokerChannels.class);

    private final InternalHttpClient http;
    private final Duration maxBackoff;
    private final Consumer<String> deposed;
    private final Map<Integer, Channel> channels = new HashMap<>();

    public BrokerChannels(InternalHttpClient http, Duration maxBackoff, Consumer<String> deposed) {
        this.http = http;
        this.maxBackoff = maxBackoff;
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
        final ExecutorService thread;
        volatile boolean closed;

        Channel(BrokerInfo broker) {
            this.broker = broker;
            this.thread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "controller-channel-broker-" + broker.id());
                t.setDaemon(true);
                return t;
            });
        }

        void submit(BrokerCommand command) {
            thread.execute(() -> deliver(command));
        }

        private void deliver(BrokerCommand command) {
            long backoffMs = 50;
            for (int attempt = 1; !closed; attempt++) {
                try {
                    CommandResponse response = http.post(broker.httpUrl(), path(command), body(command),
                            CommandResponse.class);
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
                    }
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

        /** Waits before the next attempt; returns the next back-off, or -1 when interrupted. */
        private long pause(BrokerCommand command, int attempt, IOException failure, long backoffMs) {
            if (attempt % 20 == 0) {
                log.warn("{} to broker {} still undelivered after {} attempts: {}", name(command), broker.id(),
                        attempt, failure.getMessage());
            } else {
                log.debug("Sending {} to broker {} failed, retrying: {}", name(command), broker.id(), failure.toString());
            }
            try {
                Thread.sleep(backoffMs);
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
