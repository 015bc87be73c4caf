package dev.runnel.broker.share;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;

import dev.runnel.broker.storage.AbortedTransaction;
import dev.runnel.broker.storage.FileSlice;
import dev.runnel.broker.storage.RecordBatchHeader;

/**
 * The record batches of a log read, from their headers alone (the records are not read): which
 * offsets each covers and where it lies in the slice, so a share fetch acquires whole batches and
 * answers only the batches that hold what it acquired.
 */
final class LogBatches {

    /** The bytes before a batch's length-counted part: base offset and length. */
    private static final int LOG_OVERHEAD = RecordBatchHeader.LENGTH + 4;
    private static final int HEADER_READ = RecordBatchHeader.PRODUCER_EPOCH;
    private static final int TRANSACTIONAL = 1 << 4;
    private static final int CONTROL = 1 << 5;

    /** One whole batch of the slice: its offsets, where it is in the slice, and its producer. */
    record Batch(long baseOffset, long lastOffset, int position, int size, long producerId, boolean transactional,
            boolean control) {

    }

    private LogBatches() {
    }

    /** The whole batches of {@code slice}, in order; a partial batch at its end (a byte limit's cut) is left out. */
    static List<Batch> of(FileSlice slice) throws IOException {
        List<Batch> batches = new ArrayList<>();
        ByteBuffer header = ByteBuffer.allocate(HEADER_READ);
        int position = 0;
        while (position + HEADER_READ <= slice.size()) {
            header.clear();
            while (header.hasRemaining()) {
                if (slice.channel().read(header, slice.position() + position + header.position()) < 0) {
                    throw new IOException("log file ended inside a batch header");
                }
            }
            int size = LOG_OVERHEAD + header.getInt(RecordBatchHeader.LENGTH);
            if (size < HEADER_READ || position + size > slice.size()) {
                break;
            }
            long base = header.getLong(RecordBatchHeader.BASE_OFFSET);
            short attributes = header.getShort(RecordBatchHeader.ATTRIBUTES);
            batches.add(new Batch(base, base + header.getInt(RecordBatchHeader.LAST_OFFSET_DELTA), position, size,
                    header.getLong(RecordBatchHeader.PRODUCER_ID), (attributes & TRANSACTIONAL) != 0,
                    (attributes & CONTROL) != 0));
            position += size;
        }
        return batches;
    }

    /**
     * The offsets of {@code batches} for acquisition, those of aborted transactions marked so (they
     * are archived, never delivered): with {@code aborted} (a read_committed read's aborted
     * transactions, else null), a transactional batch is aborted from its producer's aborted
     * transaction's first offset up to that producer's next control batch, as consumers decide.
     */
    static List<InFlightRecords.BatchOffsets> offsets(List<Batch> batches, List<AbortedTransaction> aborted) {
        PriorityQueue<AbortedTransaction> pending = new PriorityQueue<>(
                Comparator.comparingLong(AbortedTransaction::firstOffset));
        if (aborted != null) {
            pending.addAll(aborted);
        }
        Set<Long> abortedProducers = new HashSet<>();
        List<InFlightRecords.BatchOffsets> offsets = new ArrayList<>(batches.size());
        for (Batch batch : batches) {
            while (!pending.isEmpty() && pending.peek().firstOffset() <= batch.lastOffset()) {
                abortedProducers.add(pending.poll().producerId());
            }
            boolean isAborted = false;
            if (batch.control()) {
                abortedProducers.remove(batch.producerId());
            } else {
                isAborted = batch.transactional() && abortedProducers.contains(batch.producerId());
            }
            offsets.add(new InFlightRecords.BatchOffsets(batch.baseOffset(), batch.lastOffset(), isAborted));
        }
        return offsets;
    }

    /** The part of {@code slice} with the batches that hold any of offsets {@code first..last}; null if none does. */
    static FileSlice covering(FileSlice slice, List<Batch> batches, long first, long last) {
        Batch from = null;
        Batch to = null;
        for (Batch batch : batches) {
            if (batch.lastOffset() >= first && batch.baseOffset() <= last) {
                if (from == null) {
                    from = batch;
                }
                to = batch;
            }
        }
        if (from == null) {
            return null;
        }
        return new FileSlice(slice.channel(), slice.position() + from.position(),
                to.position() + to.size() - from.position(), from.baseOffset());
    }
}
