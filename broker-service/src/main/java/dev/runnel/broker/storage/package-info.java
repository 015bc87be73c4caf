/**
 * The storage engine: every partition's log on local disk, in Kafka's on-disk layout, and the
 * state kept beside it (leader epochs, idempotent producers, checkpoints).
 *
 * <pre>
 *  LogManager             one log directory: the registry of its partition logs, checkpoints;
 *                         future logs of replicas moving in (FutureLogs); its I/O
 *                         failures go to the LogDirFailureChannel, after which it is offline
 *    LogDirLock           the directory's .lock, and the JVM's registry of directories held
 *    LogDirTasks          periodic retention, flush.ms/segment.ms checks, checkpoints
 *    PartitionLog         one partition as the broker sees it (Kafka's UnifiedLog): appends,
 *      |                  reads, offsets, truncation; holds the partition's lock
 *      +- LogAppender     the write path: places checked batches (offsets, epochs), rolls
 *      +- LogTruncation   cuts the log from its end, brings the state beside it back in line
 *      +- HighWatermark   the high watermark; publishes the first unstable offset
 *      +- LocalLog        its segments on disk (Kafka's LocalLog): append, roll, read, truncate,
 *      |    LogSegments   remove, flush; the log start, log end and recovery point
 *      |      LogSegment  one segment: a LogFile (.log) with its OffsetIndex, TimeIndex and
 *      |                  TransactionIndex (.txnindex: the aborted transactions whose marker it
 *      |                  holds); SegmentTimestamps, its newest and first batch times
 *      +- LeaderEpochCache, ProducerStateManager   the state beside the log (producers' epochs,
 *      |                  sequences and open transactions: the last stable offset); the leader's
 *      |                  checks (ProducerAppendValidator), KIP-890 TransactionVerifications,
 *      |                  UnstableTransactions and the snapshot files (ProducerSnapshots)
 *      +- LogRetention    which old segments go (retention.ms, retention.bytes, log start;
 *                         DeleteRecords moves the log start)
 *    LogDirLoader         opens a directory's logs and future logs, removes replaced ones
 *    LogLoader            opens a PartitionLog: LogRecovery (segments, numbered passes), then
 *                         leader epochs and producer state, rebuilt by replaying batches
 *    BatchValidator       checks an append's batches and assigns their offsets
 *    LogCleaner           compacts the directory's compacted logs on its own threads: picks the
 *      Cleaner            dirtiest; one round builds an OffsetMap over its dirty part, then
 *        SegmentRewriter  rewrites its segments (.cleaned, .swap, swapped in under the partition
 *                         lock), CleanedTransactions telling which aborted data and markers go;
 *      OffsetMap          the first dirty offset goes to cleaner-offset-checkpoint
 *      Throttler
 * </pre>
 *
 * <p>Locking, in one place: each {@link dev.runnel.broker.storage.PartitionLog}'s own lock
 * serialises every change to that partition (appends, rolls, truncation, retention, DeleteRecords,
 * config, close) and every use of its producer state; reads take no lock and never read past the
 * log end they captured; flushes take the {@code LocalLog} flush lock, only ever after the
 * partition lock. The cleaner copies without any lock and takes the partition lock only to swap. Each class's javadoc says which lock guards what.
 *
 * <p>Dependencies: this package uses the record format in {@code dev.runnel.broker.record} (to look
 * inside compressed batches and find records by timestamp), {@code dev.runnel.common} (topic
 * partitions, the clock-driven scheduler), the JDK and SLF4J, and nothing else: not
 * {@code kafka-clients}, and no broker package above it ({@code kafka}, {@code protocol},
 * {@code replication}, {@code cluster}, ...), which all depend on it. The layer table in
 * {@code BrokerLayersTest} checks this.
 */
package dev.runnel.broker.storage;
