package dev.runnel.broker.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.storage.ProducerStateEntry.BatchMetadata;
import dev.runnel.broker.storage.ProducerStateManager.DuplicateBatch;
import dev.runnel.broker.storage.ProducerStateManager.VerificationGuard;

/**
 * Checks a leader append against the producer state before it is written (the checks of Kafka's
 * {@code ProducerAppendInfo}): per producer, each batch must come at the producer's epoch or a
 * newer one, continue its sequence (or start a newer epoch at 0), keep to its transaction state,
 * and open a transaction only with the guard of its verification; a coordinator's marker must not
 * come from an older coordinator epoch. A client's single batch that repeats a retained batch is
 * a retry, answered with the original's offsets. The batches of one request are checked against
 * the state and against each other, and nothing changes: {@link ProducerStateManager#update}
 * records the batches once they are appended.
 *
 * <p>Not thread-safe: part of the {@link ProducerStateManager}, guarded as it is.
 */
final class ProducerAppendValidator {

    private static final Logger log = LoggerFactory.getLogger(ProducerAppendValidator.class);

    /** How far a request's earlier batches have taken a producer, while the request is checked. */
    private record Progress(short epoch, int lastSeq, boolean txnOpen) {
    }

    private final Path name;
    private final Map<Long, ProducerStateEntry> producers;
    private final TransactionVerifications verifications;

    /**
     * @param name          the partition directory's name, for the log
     * @param producers     the producer state's entries, only read here
     * @param verifications the producer state's verifications under way, only read here
     */
    ProducerAppendValidator(Path name, Map<Long, ProducerStateEntry> producers,
            TransactionVerifications verifications) {
        this.name = name;
        this.producers = producers;
        this.verifications = verifications;
    }

    /**
     * Checks the batches of a leader append, which start at {@code starts} in {@code records}, and
     * changes nothing: see {@link ProducerStateManager#checkLeaderAppend(ByteBuffer, AppendOrigin,
     * VerificationGuard)} for what it returns and refuses.
     */
    DuplicateBatch check(ByteBuffer records, int[] starts, AppendOrigin origin, VerificationGuard guard) {
        Map<Long, Progress> progress = new HashMap<>();
        for (int at : starts) {
            boolean control = RecordBatchHeader.isControl(records, at);
            if (!RecordBatchHeader.hasProducerId(records, at)) {
                if (control) {
                    throw new LogException(LogError.INVALID_RECORD, "a control batch has no producer id");
                }
                continue;
            }
            long producerId = RecordBatchHeader.producerId(records, at);
            short epoch = RecordBatchHeader.producerEpoch(records, at);
            boolean transactional = RecordBatchHeader.isTransactional(records, at);
            ProducerStateEntry entry = producers.get(producerId);
            Progress previous = progress.get(producerId);
            boolean firstInRequest = previous == null;
            if (previous == null && entry != null) {
                previous = new Progress(entry.producerEpoch(), entry.lastSeq(), entry.hasOpenTransaction());
            }
            if (control) {
                progress.put(producerId, checkMarker(records, at, origin, producerId, epoch, entry, previous));
                continue;
            }
            if (origin == AppendOrigin.COORDINATOR) {
                checkEpoch(producerId, previous, epoch);
                checkTxnState(producerId, previous, transactional);
                if (transactional && (previous == null || !previous.txnOpen())) {
                    verifications.checkVerified(producerId, guard);
                }
                progress.put(producerId, new Progress(epoch, previous == null || epoch != previous.epoch() ? -1
                        : previous.lastSeq(), transactional || previous != null && previous.txnOpen()));
                continue;
            }
            int firstSeq = RecordBatchHeader.baseSequence(records, at);
            int lastSeq = RecordBatchHeader.lastSequence(records, at);
            if (firstSeq < 0) {
                throw new LogException(LogError.INVALID_RECORD,
                        "batch of producer " + producerId + " has no sequence number (" + firstSeq + ")");
            }
            if (starts.length == 1 && entry != null) {
                Optional<BatchMetadata> duplicate = entry.findDuplicate(epoch, firstSeq, lastSeq);
                if (duplicate.isPresent()) {
                    BatchMetadata b = duplicate.get();
                    return new DuplicateBatch(b.firstOffset(), b.lastOffset(), b.maxTimestamp());
                }
                if (entry.precedesRetained(epoch, firstSeq, lastSeq)) {
                    // Written before, forgotten since: a retry that waited while newer batches of the
                    // producer went to the log (a leader change with requests in flight to both leaders).
                    // OUT_OF_ORDER_SEQUENCE_NUMBER would make a Java producer bump its epoch and write
                    // it again, and librdkafka's stop; DUPLICATE_SEQUENCE_NUMBER is taken as written.
                    log.info("{}: producer {} retried sequences {}..{} at epoch {}, older than its retained batches "
                            + "(from sequence {}); answered DUPLICATE_SEQUENCE_NUMBER", name, producerId,
                            firstSeq, lastSeq, epoch, entry.batches().get(0).firstSeq());
                    return DuplicateBatch.beforeRetained(entry.batches().get(0).firstOffset());
                }
            }
            checkEpochAndSequence(producerId, previous, epoch, firstSeq);
            checkTxnState(producerId, previous, transactional);
            if (transactional && (previous == null || !previous.txnOpen())) {
                verifications.checkVerified(producerId, guard);
            }
            if (firstInRequest && entry != null && epoch > entry.producerEpoch()) {
                log.info("{}: producer {} moves from epoch {} to {} (its last sequence was {})", name,
                        producerId, entry.producerEpoch(), epoch, entry.lastSeq());
            } else if (previous == null && firstSeq != 0) {
                log.info("{}: producer {} is unknown here; its epoch {} is accepted at sequence {}", name,
                        producerId, epoch, firstSeq);
            }
            progress.put(producerId, new Progress(epoch, lastSeq,
                    transactional || previous != null && previous.txnOpen()));
        }
        return null;
    }

    /** Checks a coordinator's transaction marker against the producer's state; returns the producer's progress after it. */
    private static Progress checkMarker(ByteBuffer records, int at, AppendOrigin origin, long producerId, short epoch,
            ProducerStateEntry entry, Progress previous) {
        if (origin != AppendOrigin.COORDINATOR) {
            throw new LogException(LogError.INVALID_RECORD, "clients may not write control batches");
        }
        TxnMarker marker = TxnMarker.read(records, at);
        if (marker == null) {
            throw new LogException(LogError.INVALID_RECORD, "control batch of producer " + producerId
                    + " is not a COMMIT or ABORT marker");
        }
        checkEpoch(producerId, previous, epoch);
        if (entry != null && marker.coordinatorEpoch() < entry.coordinatorEpoch()) {
            throw new LogException(LogError.TRANSACTION_COORDINATOR_FENCED, "marker of producer " + producerId
                    + " from coordinator epoch " + marker.coordinatorEpoch() + ", older than its last marker's "
                    + entry.coordinatorEpoch());
        }
        return new Progress(epoch, previous == null || epoch != previous.epoch() ? -1 : previous.lastSeq(), false);
    }

    private static void checkEpoch(long producerId, Progress previous, short epoch) {
        if (previous != null && epoch < previous.epoch()) {
            throw new LogException(LogError.INVALID_PRODUCER_EPOCH, "producer " + producerId + " epoch " + epoch
                    + " is older than its current epoch " + previous.epoch());
        }
    }

    private static void checkTxnState(long producerId, Progress previous, boolean transactional) {
        if (!transactional && previous != null && previous.txnOpen()) {
            throw new LogException(LogError.INVALID_TXN_STATE, "producer " + producerId
                    + " sent a non-transactional batch while its transaction is open");
        }
    }

    private static void checkEpochAndSequence(long producerId, Progress previous, short epoch, int firstSeq) {
        if (previous == null) {
            return; // unknown producer: any sequence (KIP-360)
        }
        checkEpoch(producerId, previous, epoch);
        if (epoch > previous.epoch()) {
            if (firstSeq != 0) {
                throw new LogException(LogError.OUT_OF_ORDER_SEQUENCE, "producer " + producerId + " starts epoch "
                        + epoch + " at sequence " + firstSeq + ", not 0");
            }
        } else if (!inSequence(previous.lastSeq(), firstSeq)) {
            throw new LogException(LogError.OUT_OF_ORDER_SEQUENCE, "producer " + producerId + " sent sequence "
                    + firstSeq + " after " + previous.lastSeq() + " at epoch " + epoch);
        }
    }

    /** Whether {@code nextSeq} follows {@code lastSeq}; sequences wrap from {@link Integer#MAX_VALUE} to 0. */
    private static boolean inSequence(int lastSeq, int nextSeq) {
        return nextSeq == lastSeq + 1L || (nextSeq == 0 && lastSeq == Integer.MAX_VALUE);
    }
}
