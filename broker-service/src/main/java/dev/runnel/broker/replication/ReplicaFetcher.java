package dev.runnel.broker.replication;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.kafka.ReplicaFetchClient;
import dev.runnel.broker.storage.LeaderEpochCache;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Ticker;

/**
 * One thread that keeps this broker's follower replicas of one leader's partitions in step with
 * it, batching them into one Fetch per round.
 *
 * <pre>
 *  added (or new leader epoch) --> TRUNCATING --OffsetForLeaderEpoch, cut the divergent suffix--> FETCHING
 *  FETCHING: Fetch from my log end; append; take the leader's high watermark and log start
 *            NOT_LEADER / FENCED / UNKNOWN_LEADER_EPOCH: leave it out for a moment, then again
 *            OFFSET_OUT_OF_RANGE: truncate again (below the leader's log start: restart the log there)
 * </pre>
 *
 * Truncation follows KIP-101/KIP-279: ask the leader where the epoch of my last batch ended
 * there; if it knows that epoch, cut my log at the smaller of its end and mine; if it only knows
 * an older one, cut at my end of that older epoch and ask again; if it knows none, cut at my high
 * watermark. So a deposed leader never keeps records the new leader does not have.
 *
 * <p>Requests go out without a lock; their answers are applied under the round lock, and only to
 * partitions still followed as they were when the round began. {@link #unfollow} takes the same
 * lock, so once it returns no answer of an earlier round can truncate or append to the partition:
 * the replica manager stops fetching before a partition becomes leader (Kafka removes the fetcher
 * before {@code makeLeader} too), so a stale answer never cuts or extends a leader's log.
 */
final class ReplicaFetcher extends Thread {

    private static final Logger log = LoggerFactory.getLogger(ReplicaFetcher.class);

    static final int MAX_WAIT_MS = 500;
    static final int MAX_BYTES = 16 * 1024 * 1024;
    static final int PARTITION_MAX_BYTES = 1024 * 1024;
    private static final long BACKOFF_MS = 500;
    private static final Duration BACKOFF = Duration.ofMillis(BACKOFF_MS);
    /** How long a round whose partitions all wait for the replication throttle waits before looking again. */
    private static final long THROTTLE_BACKOFF_MS = 100;

    /** One followed partition. */
    private static final class Followed {
        final Partition partition;
        final int leaderEpoch;
        volatile boolean truncating = true;
        /**
         * Until when to leave the partition out after the leader refused it (it may not have heard
         * of its leadership yet, or this replica's epoch is old and a new LeaderAndIsr is coming).
         */
        volatile long delayedUntilMs;
        /** Whether the last fetch reached the leader's high watermark (Kafka's {@code isReplicaInSync}). */
        volatile boolean caughtUp;

        Followed(Partition partition, int leaderEpoch) {
            this.partition = partition;
            this.leaderEpoch = leaderEpoch;
        }
    }

    private final int brokerId;
    private final int leaderId;
    private final Clock clock;
    private final Ticker ticker;
    private final Supplier<Optional<BrokerInfo>> leaderAddress;
    private final Function<BrokerInfo, LeaderEndpoint> connector;
    private final Map<TopicPartition, Followed> partitions = new ConcurrentHashMap<>();
    private final ReplicationQuota quota;
    /** Held while answers are applied to logs, and by {@link #unfollow}. */
    private final Object roundLock = new Object();
    private final Object wakeup = new Object();
    private volatile boolean running = true;
    private LeaderEndpoint client;
    private BrokerInfo connectedTo;

    /**
     * @param connector opens a connection to the leader at an address ({@link ReplicaFetchClient}
     *                  authenticated as this broker)
     */
    ReplicaFetcher(int brokerId, int leaderId, Supplier<Optional<BrokerInfo>> leaderAddress, Clock clock,
            Ticker ticker, Function<BrokerInfo, LeaderEndpoint> connector) {
        this(brokerId, leaderId, leaderAddress, clock, ticker, connector, ReplicationQuota.unlimited());
    }

    /**
     * @param quota the follower's replication throttle: throttled partitions not caught up are left
     *              out of fetches while it is exceeded
     */
    ReplicaFetcher(int brokerId, int leaderId, Supplier<Optional<BrokerInfo>> leaderAddress, Clock clock,
            Ticker ticker, Function<BrokerInfo, LeaderEndpoint> connector, ReplicationQuota quota) {
        super("replica-fetcher-" + brokerId + "-from-" + leaderId);
        this.quota = quota;
        setDaemon(true);
        this.clock = clock;
        this.ticker = ticker;
        this.brokerId = brokerId;
        this.leaderId = leaderId;
        this.leaderAddress = leaderAddress;
        this.connector = connector;
    }

    /** Follows {@code partition} at {@code leaderEpoch}, truncating first (again, after an epoch change). */
    void follow(Partition partition, int leaderEpoch) {
        synchronized (roundLock) {
            Followed current = partitions.get(partition.topicPartition());
            if (current != null && current.leaderEpoch == leaderEpoch && current.partition == partition) {
                return;
            }
            partitions.put(partition.topicPartition(), new Followed(partition, leaderEpoch));
        }
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
    }

    /**
     * Stops following. Waits for answers being applied; once it returns, no answer of a round in
     * progress touches the partition's log.
     */
    void unfollow(TopicPartition tp) {
        synchronized (roundLock) {
            partitions.remove(tp);
        }
    }

    /** Whether {@code f} is still followed as it was when its round began. */
    private boolean stillFollowed(Followed f) {
        return partitions.get(f.partition.topicPartition()) == f;
    }

    boolean isIdle() {
        return partitions.isEmpty();
    }

    int followedCount() {
        return partitions.size();
    }

    /**
     * Stops the thread after its current round. It is not interrupted (Kafka's ReplicaFetcherThread
     * is not interruptible either): an interrupt that lands during a {@code FileChannel} read or
     * write of a segment closes that channel for good, so the partition could take no more appends
     * and the log directory could not be closed cleanly; and a blocking socket read does not react
     * to interrupts anyway.
     */
    void shutdown() {
        running = false;
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
    }

    @Override
    public void run() {
        while (running) {
            try {
                Map<TopicPartition, Followed> round = new HashMap<>(partitions);
                long now = clock.millis();
                round.values().removeIf(f -> f.delayedUntilMs > now);
                if (round.isEmpty()) {
                    synchronized (wakeup) {
                        wakeup.wait(MAX_WAIT_MS);
                    }
                    continue;
                }
                LeaderEndpoint leader = client();
                if (leader == null) {
                    sleepQuietly();
                    continue;
                }
                truncate(leader, round);
                fetch(leader, round);
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            } catch (IOException e) {
                log.info("Fetching from broker {} failed: {}; retrying", leaderId, e.getMessage());
                closeClient();
                sleepQuietly();
            } catch (RuntimeException e) {
                log.error("Replica fetcher from broker {} failed a round", leaderId, e);
                sleepQuietly();
            }
        }
        closeClient();
    }

    private void truncate(LeaderEndpoint leader, Map<TopicPartition, Followed> round) throws IOException {
        Map<TopicPartition, int[]> asks = new HashMap<>();
        synchronized (roundLock) {
            for (Followed f : round.values()) {
                if (!f.truncating || !stillFollowed(f)) {
                    continue;
                }
                Optional<LeaderEpochCache.EpochEntry> latest = f.partition.log().leaderEpochs().latest();
                if (latest.isEmpty()) {
                    truncateToHighWatermark(f.partition.log());
                    f.truncating = false;
                } else {
                    asks.put(f.partition.topicPartition(), new int[] {f.leaderEpoch, latest.get().epoch()});
                }
            }
        }
        if (asks.isEmpty()) {
            return;
        }
        Map<TopicPartition, ReplicaFetchClient.EpochEnd> answers = leader.endOffsets(asks);
        synchronized (roundLock) {
            for (Map.Entry<TopicPartition, ReplicaFetchClient.EpochEnd> answer : answers.entrySet()) {
                Followed f = round.get(answer.getKey());
                if (f == null || !stillFollowed(f)) {
                    // No longer followed, or followed anew (another leader or epoch) since the question went out.
                    continue;
                }
                ReplicaFetchClient.EpochEnd end = answer.getValue();
                if (end.error() != ReplicaFetchClient.Error.NONE) {
                    refused(f, end.error());
                    continue;
                }
                truncateTo(f, end);
            }
        }
    }

    /**
     * With no epochs to ask the leader about (the log has none recorded: an empty or missing
     * checkpoint), nothing above the high watermark is known to be on the leader: cut it there,
     * as Kafka does for a log without an epoch cache.
     */
    static void truncateToHighWatermark(PartitionLog log) {
        long logEnd = log.logEndOffset();
        long highWatermark = log.highWatermark();
        if (logEnd > highWatermark) {
            ReplicaFetcher.log.info("{} has no leader epochs recorded: truncating it from {} to its high watermark {}",
                    log.topicPartition(), logEnd, highWatermark);
            log.truncateTo(highWatermark);
        }
    }

    /** Cuts the divergent suffix given the leader's end of my last epoch. */
    static boolean truncateTo(PartitionLog log, int leaderEpoch, long leaderEndOffset) {
        long logEnd = log.logEndOffset();
        if (leaderEndOffset < 0) {
            log.truncateTo(Math.min(log.highWatermark(), logEnd));
            return true;
        }
        Optional<LeaderEpochCache.EpochEntry> mine = log.leaderEpochs().endOffsetFor(leaderEpoch, logEnd);
        if (mine.isEmpty()) {
            // Everything here is from epochs after the leader's: none of it is on the leader.
            List<LeaderEpochCache.EpochEntry> entries = log.leaderEpochs().entries();
            long firstEpochStart = entries.isEmpty() ? logEnd : entries.get(0).startOffset();
            log.truncateTo(Math.min(leaderEndOffset, firstEpochStart));
            return true;
        }
        if (mine.get().epoch() == leaderEpoch) {
            // endOffsetFor answers (epoch, where it ended) in an EpochEntry: startOffset() is my end of it.
            log.truncateTo(Math.min(leaderEndOffset, mine.get().startOffset()));
            return true;
        }
        // The leader knows an epoch I never had: cut at my end of the older one, then ask again.
        log.truncateTo(Math.min(mine.get().startOffset(), logEnd));
        return false;
    }

    private void truncateTo(Followed f, ReplicaFetchClient.EpochEnd end) {
        try {
            f.truncating = !truncateTo(f.partition.log(), end.epoch(), end.endOffset());
        } catch (LogException e) {
            log.error("Truncating {} failed", f.partition.topicPartition(), e);
        }
    }

    private void fetch(LeaderEndpoint leader, Map<TopicPartition, Followed> round)
            throws IOException, InterruptedException {
        List<ReplicaFetchClient.Wanted> wanted = new ArrayList<>();
        boolean heldBack = false;
        for (Followed f : round.values()) {
            if (!f.truncating && quota.holdsBack(f.partition.topicPartition(), f.caughtUp)) {
                heldBack = true;
            } else if (!f.truncating) {
                PartitionLog log = f.partition.log();
                wanted.add(new ReplicaFetchClient.Wanted(f.partition.topicPartition(), log.logEndOffset(),
                        f.leaderEpoch, log.logStartOffset(), PARTITION_MAX_BYTES));
            }
        }
        if (wanted.isEmpty()) {
            if (heldBack) {
                // Every partition waits for the throttle: look again shortly rather than spin.
                synchronized (wakeup) {
                    wakeup.wait(THROTTLE_BACKOFF_MS);
                }
            }
            return;
        }
        Map<TopicPartition, ReplicaFetchClient.Fetched> answers = leader.fetch(wanted, MAX_WAIT_MS, MAX_BYTES);
        synchronized (roundLock) {
            for (Map.Entry<TopicPartition, ReplicaFetchClient.Fetched> answer : answers.entrySet()) {
                Followed f = round.get(answer.getKey());
                if (f == null || !stillFollowed(f) || f.truncating) {
                    continue;
                }
                ReplicaFetchClient.Fetched fetched = answer.getValue();
                switch (fetched.error()) {
                    case NONE -> append(f, fetched);
                    case OFFSET_OUT_OF_RANGE -> f.truncating = true;
                    default -> refused(f, fetched.error());
                }
            }
        }
    }

    private void append(Followed f, ReplicaFetchClient.Fetched fetched) {
        PartitionLog log = f.partition.log();
        try {
            if (fetched.logStartOffset() > log.logEndOffset()) {
                // The leader deleted everything this replica has and more: start over where it starts.
                log.truncateFullyAndStartAt(fetched.logStartOffset());
            }
            int bytes = fetched.records() == null ? 0 : fetched.records().remaining();
            f.partition.appendAsFollower(fetched.records(), fetched.highWatermark(), fetched.logStartOffset());
            f.caughtUp = log.logEndOffset() >= fetched.highWatermark();
            if (quota.isThrottled(f.partition.topicPartition())) {
                quota.record(bytes);
            }
        } catch (LogException e) {
            ReplicaFetcher.log.error("Appending to follower {} failed; truncating again", f.partition.topicPartition(), e);
            f.truncating = true;
        }
    }

    private void refused(Followed f, ReplicaFetchClient.Error error) {
        log.info("Broker {} refused to serve {} at leader epoch {}: {}; trying again in {} ms", leaderId,
                f.partition.topicPartition(), f.leaderEpoch, error, BACKOFF_MS);
        f.delayedUntilMs = clock.millis() + BACKOFF_MS;
    }

    private LeaderEndpoint client() {
        Optional<BrokerInfo> address = leaderAddress.get();
        if (address.isEmpty()) {
            return null;
        }
        if (client == null || !address.get().equals(connectedTo)) {
            closeClient();
            connectedTo = address.get();
            client = connector.apply(connectedTo);
        }
        return client;
    }

    private void closeClient() {
        if (client != null) {
            client.close();
            client = null;
        }
    }

    private void sleepQuietly() {
        try {
            ticker.sleep(BACKOFF);
        } catch (InterruptedException e) {
            // woken to stop or to look again
        }
    }
}
