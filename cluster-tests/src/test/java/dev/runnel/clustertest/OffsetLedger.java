package dev.runnel.clustertest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What was said to be at each partition offset, by whom: a producer's acknowledgement
 * ({@code RecordMetadata.offset()}), a group member's read, the final read-back. Two different
 * values for one offset is an offset handed out twice: an acknowledged or read record replaced.
 * Values are {@link NemesisProducer#valueId value ids}. Thread-safe.
 */
final class OffsetLedger {

    private static final int EVIDENCE = 50;

    /** The value at each offset of one partition, with who said so first; 0 where nothing is known. */
    private static final class Column {
        long[] values = new long[1 << 12];
        byte[] sources = new byte[1 << 12];
    }

    /** Who told the ledger. */
    enum Source {
        ACK, GROUP, READ_BACK
    }

    private final Map<Integer, Column> partitions = new ConcurrentHashMap<>();
    private final AtomicLong conflicts = new AtomicLong();
    private final List<String> evidence = new ArrayList<>();

    /** Records that {@code source} saw {@code valueId} at {@code partition}@{@code offset}. */
    void record(int partition, long offset, long valueId, Source source) {
        if (offset < 0 || offset > Integer.MAX_VALUE) {
            return;
        }
        Column column = partitions.computeIfAbsent(partition, p -> new Column());
        synchronized (column) {
            int at = (int) offset;
            if (at >= column.values.length) {
                int size = Math.max(at + 1, column.values.length * 2);
                column.values = Arrays.copyOf(column.values, size);
                column.sources = Arrays.copyOf(column.sources, size);
            }
            long known = column.values[at];
            if (known == 0) {
                column.values[at] = valueId + 1;
                column.sources[at] = (byte) source.ordinal();
            } else if (known != valueId + 1) {
                conflicts.incrementAndGet();
                synchronized (evidence) {
                    if (evidence.size() < EVIDENCE) {
                        evidence.add(String.format("partition %d offset %d: %s said %s, %s says %s", partition, offset,
                                Source.values()[column.sources[at]], NemesisProducer.describe(known - 1), source,
                                NemesisProducer.describe(valueId)));
                    }
                }
            }
        }
    }

    long conflicts() {
        return conflicts.get();
    }

    List<String> evidence() {
        synchronized (evidence) {
            return List.copyOf(evidence);
        }
    }
}
