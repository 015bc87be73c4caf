package dev.runnel.broker.share;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.common.time.Scheduler;

/**
 * The in-flight records of one share partition: every offset from the start offset (SPSO) up to,
 * not including, {@link #endOffset()}, each with its {@link RecordState}, delivery count and, while
 * acquired, the {@link Lock} of the fetch that acquired it. Records below the start offset are
 * done; records at or past the end offset were never acquired.
 *
 * <pre>
 *   startOffset                                      endOffset
 *   |  ACK  ACQ  ACQ  AVL  ARC  ACQ  AVL  ...  ACQ  |  (log records not yet fetched)
 *      ^ the start offset passes leading done records (ACK, ARC)
 * </pre>
 *
 * <p>Pure state: no clock, no I/O. A request that breaks a rule (overlapping acknowledgement
 * batches, offsets never acquired, another member's records) is refused with a
 * {@link ShareException} before anything changes. Not thread-safe: {@link SharePartition} holds
 * its lock around every call.
 */
final class InFlightRecords {

    /** One fetch's acquisition: the member holding its records and the timer that releases them. */
    static final class Lock {
        final String memberId;
        Scheduler.ScheduledTask timer;
        private int held;

        Lock(String memberId) {
            this.memberId = memberId;
        }

        /** Whether any record is still acquired under this lock. */
        boolean holdsRecords() {
            return held > 0;
        }
    }

    private static final class Entry {
        RecordState state;
        short deliveryCount;
        Lock lock;

        Entry(RecordState state, short deliveryCount) {
            this.state = state;
            this.deliveryCount = deliveryCount;
        }
    }

    /** The outcome of acknowledgements: whether a persisted state changed, and the locks renewed. */
    record Acknowledged(boolean changed, Set<Lock> renewed) {
    }

    /** The offsets of one record batch of the log; an aborted transaction's are archived, never acquired. */
    record BatchOffsets(long baseOffset, long lastOffset, boolean aborted) {

        BatchOffsets(long baseOffset, long lastOffset) {
            this(baseOffset, lastOffset, false);
        }
    }

    private long startOffset;
    /** {@code window.get(i)} is offset {@code startOffset + i}. */
    private final List<Entry> window = new ArrayList<>();

    InFlightRecords(long startOffset) {
        this.startOffset = startOffset;
    }

    /** The records a persisted state describes; offsets between its batches are AVAILABLE, never delivered. */
    static InFlightRecords restore(ShareStatePersister.ShareState state) {
        InFlightRecords records = new InFlightRecords(state.startOffset());
        for (ShareStatePersister.StateBatch batch : state.batches()) {
            RecordState recordState = RecordState.persisted(batch.deliveryState());
            for (long o = Math.max(batch.firstOffset(), records.startOffset); o <= batch.lastOffset(); o++) {
                while (records.endOffset() < o) {
                    records.window.add(new Entry(RecordState.AVAILABLE, (short) 0));
                }
                if (o == records.endOffset()) {
                    records.window.add(new Entry(recordState, batch.deliveryCount()));
                }
            }
        }
        records.advanceStart();
        return records;
    }

    long startOffset() {
        return startOffset;
    }

    /** The first offset past the in-flight records: where reading new records starts. */
    long endOffset() {
        return startOffset + window.size();
    }

    /** Where the next fetch reads from: the first AVAILABLE in-flight record, else the end offset. */
    long nextFetchOffset() {
        for (int i = 0; i < window.size(); i++) {
            if (window.get(i).state == RecordState.AVAILABLE) {
                return startOffset + i;
            }
        }
        return endOffset();
    }

    /** Whether a fetch may acquire anything: an AVAILABLE in-flight record, or room under {@code maxLocks}. */
    boolean canAcquire(int maxLocks) {
        return nextFetchOffset() < endOffset() || window.size() < maxLocks;
    }

    /**
     * Acquires for {@code lock}'s member the AVAILABLE and new records of {@code batches} (the log's
     * batches read from offset {@code readFrom}, in order): at most {@code maxRecords}, or, when
     * not {@code strict}, up to the end of the batch in which {@code maxRecords} is reached; new
     * records only while fewer than {@code maxLocks} are in flight. A record already delivered
     * {@code deliveryLimit} times, or of an aborted transaction, is archived instead.
     */
    List<AcquiredRange> acquire(Lock lock, long readFrom, List<BatchOffsets> batches, int maxRecords, boolean strict,
            int maxLocks, int deliveryLimit) {
        List<AcquiredRange> ranges = new ArrayList<>();
        int acquired = 0;
        long expected = readFrom;
        for (BatchOffsets batch : batches) {
            if (acquired >= maxRecords) {
                break;
            }
            archiveGap(expected, batch.baseOffset());
            expected = batch.lastOffset() + 1;
            if (batch.lastOffset() < startOffset) {
                continue;
            }
            long from = Math.max(batch.baseOffset(), startOffset);
            if (from >= endOffset() && window.size() >= maxLocks) {
                break;
            }
            skipTo(from);
            for (long o = from; o <= batch.lastOffset(); o++) {
                if (strict && acquired >= maxRecords || o >= endOffset() && strict && window.size() >= maxLocks) {
                    return ranges;
                }
                Entry e;
                if (o < endOffset()) {
                    e = window.get((int) (o - startOffset));
                    if (e.state != RecordState.AVAILABLE) {
                        continue;
                    }
                    if (batch.aborted() || e.deliveryCount >= deliveryLimit) {
                        move(e, RecordState.ARCHIVED);
                        continue;
                    }
                } else if (batch.aborted()) {
                    window.add(new Entry(RecordState.ARCHIVED, (short) 0));
                    continue;
                } else {
                    e = new Entry(RecordState.AVAILABLE, (short) 0);
                    window.add(e);
                }
                move(e, RecordState.ACQUIRED);
                e.deliveryCount++;
                e.lock = lock;
                lock.held++;
                acquired++;
                add(ranges, o, e.deliveryCount);
            }
        }
        advanceStart();
        return ranges;
    }

    /**
     * Offsets {@code from..to-1} lie between batches of one contiguous read: the log has no record
     * there (compacted away), so in-flight AVAILABLE ones are archived, or the fetch offset would
     * stay on them for ever.
     */
    private void archiveGap(long from, long to) {
        for (long o = Math.max(from, startOffset); o < Math.min(to, endOffset()); o++) {
            Entry e = window.get((int) (o - startOffset));
            if (e.state == RecordState.AVAILABLE) {
                move(e, RecordState.ARCHIVED);
            }
        }
    }

    /** Offsets between the end offset and a batch that starts past it hold no record: archived (a compacted gap). */
    private void skipTo(long offset) {
        if (offset > endOffset() && window.stream().allMatch(e -> e.state.done())) {
            window.clear();
            startOffset = offset;
        }
        while (endOffset() < offset) {
            window.add(new Entry(RecordState.ARCHIVED, (short) 0));
        }
    }

    private static void add(List<AcquiredRange> ranges, long offset, short deliveryCount) {
        AcquiredRange last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
        if (last != null && last.lastOffset() == offset - 1 && last.deliveryCount() == deliveryCount) {
            ranges.set(ranges.size() - 1, new AcquiredRange(last.firstOffset(), offset, deliveryCount));
        } else {
            ranges.add(new AcquiredRange(offset, offset, deliveryCount));
        }
    }

    /**
     * Applies {@code memberId}'s acknowledgements, all or none: refused with INVALID_REQUEST for a
     * malformed batch (first offset after last, overlaps, a type count that fits neither one nor
     * every offset, an unknown type, RENEW unless {@code renewAllowed}, offsets past those in
     * flight) and with INVALID_RECORD_STATE for records that are not acquired by this member (any
     * more), offsets below the start offset, and any offset when nothing is in flight.
     */
    Acknowledged acknowledge(String memberId, List<AcknowledgementBatch> batches, boolean renewAllowed,
            int deliveryLimit) {
        List<AcknowledgementBatch> sorted = new ArrayList<>(batches);
        sorted.sort(Comparator.comparingLong(AcknowledgementBatch::firstOffset));
        validate(memberId, sorted, renewAllowed);
        boolean changed = false;
        Set<Lock> renewed = new HashSet<>();
        for (AcknowledgementBatch batch : sorted) {
            for (long o = batch.firstOffset(); o <= batch.lastOffset(); o++) {
                Entry e = window.get((int) (o - startOffset));
                AcknowledgeType type = batch.typeOf(o);
                if (type == AcknowledgeType.RENEW) {
                    renewed.add(e.lock);
                    continue;
                }
                changed = true;
                switch (type) {
                    case ACCEPT -> finish(e, RecordState.ACKNOWLEDGED);
                    case REJECT, GAP -> finish(e, RecordState.ARCHIVED);
                    case RELEASE -> release(e, deliveryLimit);
                    default -> throw new IllegalStateException("unexpected acknowledge type " + type);
                }
            }
        }
        advanceStart();
        return new Acknowledged(changed, renewed);
    }

    private void validate(String memberId, List<AcknowledgementBatch> sorted, boolean renewAllowed) {
        long previousLast = -1;
        for (AcknowledgementBatch batch : sorted) {
            long first = batch.firstOffset();
            long last = batch.lastOffset();
            if (first < 0 || first > last) {
                throw new ShareException(Errors.INVALID_REQUEST, "acknowledgement batch " + first + ".." + last
                        + " ends before it starts");
            }
            if (first <= previousLast) {
                throw new ShareException(Errors.INVALID_REQUEST, "acknowledgement batches overlap at offset " + first);
            }
            previousLast = last;
            int types = batch.types().size();
            if (types != 1 && types != last - first + 1) {
                throw new ShareException(Errors.INVALID_REQUEST, "acknowledgement batch " + first + ".." + last
                        + " has " + types + " types: one, or one per offset");
            }
            for (AcknowledgeType type : batch.types()) {
                if (type == null || type == AcknowledgeType.RENEW && !renewAllowed) {
                    throw new ShareException(Errors.INVALID_REQUEST, "acknowledgement batch " + first + ".." + last
                            + " has an unknown type" + (type == null ? "" : " (RENEW needs v2 and IsRenewAck)"));
                }
            }
            if (last >= endOffset()) {
                // As Kafka: with nothing in flight (a new leader, say) the records are no longer
                // acquired; past what is in flight, they never were.
                throw new ShareException(window.isEmpty() ? Errors.INVALID_RECORD_STATE : Errors.INVALID_REQUEST,
                        "offsets " + first + ".." + last + " reach past the records in flight (up to "
                                + (endOffset() - 1) + ")");
            }
            if (first < startOffset) {
                throw new ShareException(Errors.INVALID_RECORD_STATE, "offset " + first
                        + " is below the start offset " + startOffset + ": no longer acquired");
            }
            for (long o = first; o <= last; o++) {
                Entry e = window.get((int) (o - startOffset));
                if (e.state != RecordState.ACQUIRED || !e.lock.memberId.equals(memberId)) {
                    throw new ShareException(Errors.INVALID_RECORD_STATE, "offset " + o + " is not acquired by member "
                            + memberId + " (" + e.state + ")");
                }
            }
        }
    }

    /** Releases every record acquired by {@code memberId} (its share session closed); returns how many. */
    int releaseMember(String memberId, int deliveryLimit) {
        return releaseWhere(e -> e.lock.memberId.equals(memberId), deliveryLimit);
    }

    /** Releases the records still acquired under {@code lock} (its time ran out); returns how many. */
    int expire(Lock lock, int deliveryLimit) {
        return releaseWhere(e -> e.lock == lock, deliveryLimit);
    }

    private int releaseWhere(Predicate<Entry> acquiredBy, int deliveryLimit) {
        int released = 0;
        for (Entry e : window) {
            if (e.state == RecordState.ACQUIRED && acquiredBy.test(e)) {
                release(e, deliveryLimit);
                released++;
            }
        }
        advanceStart();
        return released;
    }

    /**
     * Moves the start offset up to {@code logStartOffset} when the log no longer has the records
     * below it (retention, DeleteRecords); returns whether it moved.
     */
    boolean advanceStartTo(long logStartOffset) {
        if (logStartOffset <= startOffset) {
            return false;
        }
        int drop = (int) Math.min(window.size(), logStartOffset - startOffset);
        for (Entry e : window.subList(0, drop)) {
            if (e.lock != null) {
                unlock(e);
            }
        }
        window.subList(0, drop).clear();
        startOffset = logStartOffset;
        advanceStart();
        return true;
    }

    private void release(Entry e, int deliveryLimit) {
        finish(e, e.deliveryCount >= deliveryLimit ? RecordState.ARCHIVED : RecordState.AVAILABLE);
    }

    /** An acquired record leaves ACQUIRED: its lock holds one record fewer, and no timer once it holds none. */
    private void finish(Entry e, RecordState next) {
        move(e, next);
        unlock(e);
    }

    private static void unlock(Entry e) {
        Lock lock = e.lock;
        e.lock = null;
        if (--lock.held == 0 && lock.timer != null) {
            lock.timer.cancel();
        }
    }

    private static void move(Entry e, RecordState next) {
        if (!e.state.mayBecome(next)) {
            throw new IllegalStateException("a record may not go from " + e.state + " to " + next);
        }
        e.state = next;
    }

    private void advanceStart() {
        int done = 0;
        while (done < window.size() && window.get(done).state.done()) {
            done++;
        }
        window.subList(0, done).clear();
        startOffset += done;
    }

    /**
     * The state to persist: the start offset and every in-flight record that is not plain AVAILABLE
     * with no delivery, ACQUIRED written as AVAILABLE (a new leader cannot know the lock).
     */
    ShareStatePersister.ShareState snapshot(int stateEpoch, int leaderEpoch) {
        List<ShareStatePersister.StateBatch> batches = new ArrayList<>();
        int complete = 0;
        for (int i = 0; i < window.size(); i++) {
            Entry e = window.get(i);
            RecordState state = e.state == RecordState.ACQUIRED ? RecordState.AVAILABLE : e.state;
            if (state.done()) {
                complete++;
            }
            if (state == RecordState.AVAILABLE && e.deliveryCount == 0) {
                continue;
            }
            long offset = startOffset + i;
            ShareStatePersister.StateBatch last = batches.isEmpty() ? null : batches.get(batches.size() - 1);
            if (last != null && last.lastOffset() == offset - 1 && last.deliveryState() == state.id
                    && last.deliveryCount() == e.deliveryCount) {
                batches.set(batches.size() - 1, new ShareStatePersister.StateBatch(last.firstOffset(), offset,
                        state.id, e.deliveryCount));
            } else {
                batches.add(new ShareStatePersister.StateBatch(offset, offset, state.id, e.deliveryCount));
            }
        }
        return new ShareStatePersister.ShareState(stateEpoch, leaderEpoch, startOffset, complete, batches);
    }

    /** The state of {@code offset}: null below the start offset (done) and at or past the end offset. */
    RecordState stateOf(long offset) {
        return offset >= startOffset && offset < endOffset() ? window.get((int) (offset - startOffset)).state : null;
    }

    /** How often the in-flight record at {@code offset} was delivered. */
    short deliveryCountOf(long offset) {
        return window.get((int) (offset - startOffset)).deliveryCount;
    }
}
