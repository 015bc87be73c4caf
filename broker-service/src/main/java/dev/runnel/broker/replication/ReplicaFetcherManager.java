package dev.runnel.broker.replication;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.kafka.ReplicaFetchClient;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.InterBrokerSecurity;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Ticker;

/**
 * The follower side of replication: one {@link ReplicaFetcher} thread per leader this broker
 * follows, each fetching all of that leader's partitions. Partitions move between fetchers as
 * leaderships move; a fetcher left without partitions stops.
 */
public final class ReplicaFetcherManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplicaFetcherManager.class);

    private final int brokerId;
    private final MetadataCache metadata;
    private final Clock clock;
    private final Ticker ticker;
    private static final int SOCKET_TIMEOUT_MS = 30_000;

    private final InterBrokerSecurity authentication;
    private final Map<Integer, ReplicaFetcher> fetchers = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Integer> leaderOf = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private final ReplicationQuota quota;

    /** @param authentication how the fetchers prove to leaders that they are broker {@code brokerId} */
    public ReplicaFetcherManager(int brokerId, MetadataCache metadata, Clock clock, Ticker ticker,
            InterBrokerSecurity authentication) {
        this(brokerId, metadata, clock, ticker, authentication, ReplicationQuota.unlimited());
    }

    /**
     * @param authentication how the fetchers prove to leaders that they are broker {@code brokerId}
     * @param quota          the follower's replication throttle, shared by every fetcher
     */
    public ReplicaFetcherManager(int brokerId, MetadataCache metadata, Clock clock, Ticker ticker,
            InterBrokerSecurity authentication, ReplicationQuota quota) {
        this.quota = quota;
        this.ticker = ticker;
        this.brokerId = brokerId;
        this.metadata = metadata;
        this.clock = clock;
        this.authentication = authentication;
    }

    /**
     * Brings {@code partition}'s fetching in line with its state: followers fetch from their
     * leader (truncating first at every new leader epoch); leaders, and partitions without a
     * leader, do not fetch.
     */
    public synchronized void reconcile(TopicPartition tp, Optional<Partition> partition) {
        if (closed) {
            return;
        }
        int leader = partition.filter(p -> !p.isLeader()).map(p -> p.state().state().leader()).orElse(-1);
        Integer previous = leaderOf.get(tp);
        if (previous != null && previous != leader) {
            ReplicaFetcher old = fetchers.get(previous);
            if (old != null) {
                old.unfollow(tp);
                if (old.isIdle()) {
                    fetchers.remove(previous).shutdown();
                }
            }
            leaderOf.remove(tp);
        }
        if (leader < 0 || leader == brokerId) {
            return;
        }
        ReplicaFetcher fetcher = fetchers.computeIfAbsent(leader, id -> {
            ReplicaFetcher started = new ReplicaFetcher(brokerId, id,
                    () -> Optional.ofNullable(metadata.snapshot().brokers().get(id)), clock, ticker,
                    address -> LeaderEndpoint.over(new ReplicaFetchClient(address.interBroker().host(), address.interBroker().port(), brokerId,
                            SOCKET_TIMEOUT_MS, authentication)), quota);
            started.start();
            log.info("Started fetching from broker {}", id);
            return started;
        });
        fetcher.follow(partition.get(), partition.get().leaderEpoch());
        leaderOf.put(tp, leader);
    }

    /**
     * Stops fetching {@code tp} before it takes a new leader or epoch: once this returns no fetch
     * answer touches its log ({@link #reconcile} starts fetching again for a follower).
     */
    public synchronized void stopFetching(TopicPartition tp) {
        Integer previous = leaderOf.remove(tp);
        ReplicaFetcher fetcher = previous == null ? null : fetchers.get(previous);
        if (fetcher != null) {
            fetcher.unfollow(tp);
            if (fetcher.isIdle()) {
                fetchers.remove(previous).shutdown();
            }
        }
    }

    /** Partitions being fetched, per leader (tests, metrics). */
    public Map<Integer, Integer> followedByLeader() {
        Map<Integer, Integer> counts = new TreeMap<>();
        fetchers.forEach((leader, fetcher) -> counts.put(leader, fetcher.followedCount()));
        return counts;
    }

    @Override
    public synchronized void close() {
        closed = true;
        fetchers.values().forEach(ReplicaFetcher::shutdown);
        for (ReplicaFetcher fetcher : fetchers.values()) {
            try {
                fetcher.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        fetchers.clear();
    }
}
