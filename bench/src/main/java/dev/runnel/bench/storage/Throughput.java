package dev.runnel.bench.storage;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Bytes and records moved by a benchmark. JMH reports each field as a rate next to the primary
 * ops/s score: {@code ·bytes} is bytes/s, {@code ·records} records/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Throughput {

    public long bytes;
    public long records;

    @Setup(Level.Iteration)
    public void reset() {
        bytes = 0;
        records = 0;
    }

    void add(long byteCount, long recordCount) {
        bytes += byteCount;
        records += recordCount;
    }
}
