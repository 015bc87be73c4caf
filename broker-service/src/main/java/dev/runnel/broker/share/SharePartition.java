package dev.runnel.broker.share;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.config.ShareGroupConfigs;
import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * One share group's view of one topic partition, on that partition's leader (Kafka's
 * {@code SharePartition}): its {@link InFlightRecords}, the acquisition locks' timers, and the
 * persisted state kept in step with them.
 *
 * <p>Durability: every change of what is acknowledged, archived or released is written to the
 * {@link ShareStatePersister} as the whole state, one write after the other in the order of the
 * changes, and an acknowledgement is answered only once the write carrying it has succeeded. A
 * write that fails leaves memory ahead of the persisted state, so the partition then stops
 * ({@link #failed()}) and the manager drops it; the next request reads the persisted state again.
 * Acquisitions are not written (as in Kafka): after a move their records are simply AVAILABLE.
 *
 * <p>Thread-safe: every method holds the instance's monitor; persister futures complete outside it.
 */
public final class SharePartition {

    private static final Logger log = LoggerFactory.getLogger(SharePartition.class);

    private final ShareStatePersister.Key key;
    private final TopicPartition topicPartition;
    private final int leaderEpoch;
    private final int stateEpoch;
    private final ShareStatePersister persister;
    private final ShareGroupConfigs configs;
    private final Scheduler scheduler;
    private final int maxRecordLocks;
    private final Runnable onFailure;
    private final InFlightRecords records;
    private CompletableFuture<Void> lastWrite = CompletableFuture.completedFuture(null);
    /** Fetches waiting for records to become acquirable here, each woken once. */
    private final List<Runnable> waiting = new ArrayList<>();
    private boolean failed;
    private boolean closed;

    /**
     * @param onFailure called once a write has failed (the manager drops this partition)
     */
    SharePartition(ShareStatePersister.Key key, TopicPartition topicPartition, int leaderEpoch, int stateEpoch,
            InFlightRecords records, ShareStatePersister persister, ShareGroupConfigs configs, Scheduler scheduler,
            int maxRecordLocks, Runnable onFailure) {
        this.key = key;
        this.topicPartition = topicPartition;
        this.leaderEpoch = leaderEpoch;
        this.stateEpoch = stateEpoch;
        this.records = records;
        this.persister = persister;
        this.configs = configs;
        this.scheduler = scheduler;
        this.maxRecordLocks = maxRecordLocks;
        this.onFailure = onFailure;
    }

    public ShareStatePersister.Key key() {
        return key;
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    /** The leader epoch this partition's state was read at. */
    public int leaderEpoch() {
        return leaderEpoch;
    }

    /** Whether a write failed or the partition was dropped: it serves nothing more. */
    public synchronized boolean failed() {
        return failed || closed;
    }

    public synchronized long startOffset() {
        return records.startOffset();
    }

    public synchronized long endOffset() {
        return records.endOffset();
    }

    /** Where the next fetch reads from, or -1 if nothing may be acquired now (every lock in use). */
    public synchronized long nextFetchOffset() {
        return records.canAcquire(maxRecordLocks) ? records.nextFetchOffset() : -1;
    }

    /**
     * Acquires for {@code memberId} what {@code batches} (the log's batches read from {@code readFrom},
     * a {@link #nextFetchOffset()}) hold that is available, locked for the group's
     * {@code share.record.lock.duration.ms}. See {@link InFlightRecords#acquire} for the limits.
     */
    public synchronized List<AcquiredRange> acquire(String memberId, long readFrom,
            List<InFlightRecords.BatchOffsets> batches, int maxRecords, boolean strictRecordLimit) {
        ensureServing();
        ShareGroupConfigs.Settings settings = configs.settings(key.groupId());
        InFlightRecords.Lock lock = new InFlightRecords.Lock(memberId);
        List<AcquiredRange> ranges = records.acquire(lock, readFrom, batches, maxRecords, strictRecordLimit,
                maxRecordLocks, settings.deliveryCountLimit());
        if (lock.holdsRecords()) {
            lock.timer = scheduler.schedule("share-lock " + key.groupId() + " " + topicPartition,
                    () -> expire(lock), settings.recordLockDuration());
        }
        return ranges;
    }

    /**
     * Applies {@code memberId}'s acknowledgements; completes once they are persisted. Refused at
     * once, nothing changed, with a {@link ShareException} for a bad batch (see
     * {@link InFlightRecords#acknowledge}); completes exceptionally with the persister's
     * {@link ShareStatePersister.ShareStateException} if the write fails.
     */
    public CompletableFuture<Void> acknowledge(String memberId, List<AcknowledgementBatch> batches,
            boolean renewAllowed) {
        CompletableFuture<Void> answer;
        List<Runnable> wake;
        synchronized (this) {
            try {
                ensureServing();
                boolean wasFull = full();
                ShareGroupConfigs.Settings settings = configs.settings(key.groupId());
                InFlightRecords.Acknowledged done = records.acknowledge(memberId, batches, renewAllowed,
                        settings.deliveryCountLimit());
                for (InFlightRecords.Lock lock : done.renewed()) {
                    if (lock.holdsRecords()) {
                        lock.timer.cancel();
                        lock.timer = scheduler.schedule("share-lock " + key.groupId() + " " + topicPartition,
                                () -> expire(lock), settings.recordLockDuration());
                    }
                }
                // A renewal alone changes nothing persisted, but must not answer before earlier changes are.
                answer = done.changed() ? persist() : lastWrite;
                wake = wakeups(wasFull);
            } catch (ShareException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        wake.forEach(Runnable::run);
        return answer;
    }

    /** Releases every record {@code memberId} holds (its share session ended); completes once persisted. */
    public CompletableFuture<Void> releaseMember(String memberId) {
        CompletableFuture<Void> answer;
        List<Runnable> wake;
        synchronized (this) {
            if (failed()) {
                return CompletableFuture.completedFuture(null);
            }
            boolean wasFull = full();
            answer = records.releaseMember(memberId, configs.settings(key.groupId()).deliveryCountLimit()) > 0
                    ? persist() : lastWrite;
            wake = wakeups(wasFull);
        }
        wake.forEach(Runnable::run);
        return answer;
    }

    /**
     * Calls {@code wake} once, on the thread of the change, the next time records here become
     * acquirable without new appends (released, timed out, or room under the record locks again);
     * {@link #stopWaiting} forgets it.
     */
    public synchronized void waitForAcquirable(Runnable wake) {
        waiting.add(wake);
    }

    public synchronized void stopWaiting(Runnable wake) {
        waiting.remove(wake);
    }

    private boolean full() {
        return !records.canAcquire(maxRecordLocks);
    }

    /** The waiting fetches to wake after a change: AVAILABLE records in flight, or room again under the locks. */
    private List<Runnable> wakeups(boolean wasFull) {
        if (waiting.isEmpty() || failed() || records.nextFetchOffset() == records.endOffset() && (!wasFull || full())) {
            return List.of();
        }
        List<Runnable> wake = new ArrayList<>(waiting);
        waiting.clear();
        return wake;
    }

    /** Moves the start offset past records the log no longer has (retention, DeleteRecords). */
    public synchronized void advanceStartTo(long logStartOffset) {
        if (!failed() && records.advanceStartTo(logStartOffset)) {
            persist();
        }
    }

    /** The partition is no longer served here (leadership moved, a failed write): its timers do nothing more. */
    synchronized void close() {
        closed = true;
    }

    private void expire(InFlightRecords.Lock lock) {
        List<Runnable> wake;
        synchronized (this) {
            if (failed()) {
                return;
            }
            boolean wasFull = full();
            int released = records.expire(lock, configs.settings(key.groupId()).deliveryCountLimit());
            if (released == 0) {
                return;
            }
            log.debug("Share partition {} of group {}: the lock of member {} on {} records timed out",
                    topicPartition, key.groupId(), lock.memberId, released);
            persist();
            wake = wakeups(wasFull);
        }
        wake.forEach(Runnable::run);
    }

    private void ensureServing() {
        if (failed()) {
            throw new ShareException(Errors.NOT_LEADER_OR_FOLLOWER, "share partition " + topicPartition
                    + " of group " + key.groupId() + " is being reloaded");
        }
    }

    /** Writes the current state after every earlier write; a failure stops this partition. */
    private CompletableFuture<Void> persist() {
        ShareStatePersister.ShareState state = records.snapshot(stateEpoch, leaderEpoch);
        CompletableFuture<Void> write = lastWrite.thenCompose(previous -> persister.write(key, state));
        lastWrite = write;
        write.whenComplete((ok, failure) -> {
            if (failure != null) {
                fail(failure);
            }
        });
        return write;
    }

    private void fail(Throwable failure) {
        synchronized (this) {
            if (failed) {
                return;
            }
            failed = true;
        }
        log.warn("Share partition {} of group {}: writing its state failed ({}); it is read again at the next request",
                topicPartition, key.groupId(), failure.getMessage());
        onFailure.run();
    }

    /** For tests: the in-flight records. */
    synchronized RecordState stateOf(long offset) {
        return records.stateOf(offset);
    }

    /** For tests: the delivery count of an in-flight record. */
    synchronized short deliveryCountOf(long offset) {
        return records.deliveryCountOf(offset);
    }
}
