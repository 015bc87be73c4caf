package dev.runnel.broker;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import dev.runnel.broker.kafka.InterBrokerClient;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.InterBrokerSecurity;
import dev.runnel.cluster.BrokerInfo;

/**
 * One {@link InterBrokerClient} per other broker, each owned by its own thread, so a slow broker
 * holds up only the calls made to it. A call runs on the destination's thread and completes its
 * future with the answer, or fails with the {@link IOException} (broker unknown, unreachable, or it
 * broke the connection) so that the caller retries. A broker that registers again at another
 * address gets a new connection.
 */
final class InterBrokerChannels implements AutoCloseable {

    /** A call made with a destination's client, on its thread. */
    @FunctionalInterface
    interface Call<T> {
        T apply(InterBrokerClient client) throws IOException;
    }

    private record Channel(ExecutorService thread, BrokerInfo address, InterBrokerClient client) {
    }

    private final String purpose;
    private final int brokerId;
    private final int socketTimeoutMs;
    private final MetadataCache metadata;
    private final InterBrokerSecurity authentication;
    private final Map<Integer, Channel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param purpose names the threads ({@code purpose-<broker id>})
     * @param brokerId this broker's id, which every connection authenticates as
     */
    InterBrokerChannels(String purpose, int brokerId, int socketTimeoutMs, MetadataCache metadata,
            InterBrokerSecurity authentication) {
        this.purpose = purpose;
        this.brokerId = brokerId;
        this.socketTimeoutMs = socketTimeoutMs;
        this.metadata = metadata;
        this.authentication = authentication;
    }

    /** Runs {@code call} against broker {@code destination} on its thread. */
    <T> CompletableFuture<T> call(int destination, Call<T> call) {
        BrokerInfo address = metadata.snapshot().brokers().get(destination);
        if (address == null || closed) {
            return CompletableFuture.failedFuture(new IOException("broker " + destination + " is not alive"));
        }
        Channel channel = channels.compute(destination, (id, current) -> {
            if (current != null && sameAddress(current.address(), address)) {
                return current;
            }
            if (current != null) {
                current.thread().execute(current.client()::close);
                current.thread().shutdown();
            }
            ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, purpose + "-" + id);
                t.setDaemon(true);
                return t;
            });
            return new Channel(thread, address, new InterBrokerClient(address.interBroker().host(), address.interBroker().port(), brokerId,
                    socketTimeoutMs, authentication));
        });
        CompletableFuture<T> answer = new CompletableFuture<>();
        try {
            channel.thread().execute(() -> {
                try {
                    answer.complete(call.apply(channel.client()));
                } catch (IOException | RuntimeException e) {
                    answer.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            answer.completeExceptionally(new IOException("the channel to broker " + destination + " closed"));
        }
        return answer;
    }

    private static boolean sameAddress(BrokerInfo a, BrokerInfo b) {
        return a.interBroker().equals(b.interBroker());
    }

    @Override
    public void close() {
        closed = true;
        for (Channel channel : channels.values()) {
            channel.thread().shutdownNow();
            channel.client().close();
        }
        channels.clear();
    }
}
