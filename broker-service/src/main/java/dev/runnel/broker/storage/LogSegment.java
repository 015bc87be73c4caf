package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import dev.runnel.broker.record.KafkaRecordBatches;

/**
 * One segment of a partition log: {@code <base>.log} holding RecordBatch v2 bytes back to back
 * (a {@link LogFile}), with its {@link OffsetIndex} ({@code <base>.index}), {@link TimeIndex}
 * ({@code <base>.timeindex}) and {@link TransactionIndex} ({@code <base>.txnindex}, the aborted
 * transactions whose marker it holds). The base offset is the file name, zero-padded to 20 digits. The
 * segment publishes how much of the file readers may see, keeps the indexes and its time
 * bookkeeping ({@link SegmentTimestamps}) in step with the file, and decides when it must roll.
 * Walking the file is {@link LogFile}'s; checking the offset index against it,
 * {@link OffsetIndex}'s.
 *
 * <pre>
 *  .log:  | batch (base b0) | batch (base b1) | ... |      b0 &gt;= base, b(i+1) &gt; last offset of b(i)
 *           ^ index entry every index.interval.bytes: (base offset of batch, its position)
 * </pre>
 *
 * <p>Thread-safety: one appender at a time (appends, truncation, rolls and deletion run under the
 * {@link PartitionLog} lock, recovery before the log is shared); reads may run concurrently with
 * an append and see only bytes below the {@link #size()} they read, which is published after the
 * bytes are written and the indexes updated. Flushes may run concurrently with an append.
 */
final class LogSegment implements AutoCloseable {

    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    static final String TIME_INDEX_SUFFIX = ".timeindex";

    private final long baseOffset;
    private volatile LogConfig config;
    private final LogFile file;
    private final OffsetIndex offsetIndex;
    private final TimeIndex timeIndex;
    private final TransactionIndex txnIndex;
    private final SegmentTimestamps timestamps;
    private volatile int size;
    private int bytesSinceLastIndexEntry;

    private LogSegment(long baseOffset, LogConfig config, LogFile file, OffsetIndex offsetIndex, TimeIndex timeIndex,
            TransactionIndex txnIndex, long createdMs, int size) {
        this.baseOffset = baseOffset;
        this.config = config;
        this.file = file;
        this.offsetIndex = offsetIndex;
        this.timeIndex = timeIndex;
        this.txnIndex = txnIndex;
        this.timestamps = new SegmentTimestamps(createdMs);
        this.size = size;
    }

    /**
     * Opens (creating if absent) the segment at {@code baseOffset} in {@code dir}. Indexes are
     * opened as found; call {@link #sanityCheckIndexes()} or {@link #recover()} before trusting them.
     */
    static LogSegment open(Path dir, long baseOffset, LogConfig config, long nowMs) throws IOException {
        return open(dir, baseOffset, config, nowMs, "");
    }

    /**
     * Opens the segment whose files carry {@code suffix} after their usual names (the cleaner's
     * {@code .cleaned} and {@code .swap} segments), creating them if absent.
     */
    static LogSegment open(Path dir, long baseOffset, LogConfig config, long nowMs, String suffix) throws IOException {
        LogFile file = LogFile.open(dir.resolve(fileName(baseOffset, LOG_SUFFIX) + suffix));
        int size = file.sizeOnDisk();
        OffsetIndex offsetIndex = OffsetIndex.open(dir.resolve(fileName(baseOffset, INDEX_SUFFIX) + suffix),
                baseOffset, config.segmentIndexBytes());
        TimeIndex timeIndex = TimeIndex.open(dir.resolve(fileName(baseOffset, TIME_INDEX_SUFFIX) + suffix),
                baseOffset, config.segmentIndexBytes());
        TransactionIndex txnIndex = TransactionIndex.open(
                dir.resolve(fileName(baseOffset, TransactionIndex.SUFFIX) + suffix), baseOffset);
        LogSegment segment = new LogSegment(baseOffset, config, file, offsetIndex, timeIndex, txnIndex, nowMs, size);
        segment.loadTimestamps();
        return segment;
    }

    static String fileName(long baseOffset, String suffix) {
        return String.format("%020d", baseOffset) + suffix;
    }

    long baseOffset() {
        return baseOffset;
    }

    /** Bytes in the log file that readers may see. */
    int size() {
        return size;
    }

    /** The newest record time in the segment, or -1 if it is empty. */
    long maxTimestamp() {
        return timestamps.max();
    }

    /**
     * What retention compares with {@code retention.ms}: the newest record time, or, for a segment
     * without record times, the file's last modification (as Kafka does).
     */
    long largestTimestampForRetention() {
        long max = timestamps.max();
        if (max >= 0) {
            return max;
        }
        try {
            return Files.getLastModifiedTime(file.file()).toMillis();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    /** New settings (index interval, roll limits); the index sizes stay as opened. */
    void updateConfig(LogConfig newConfig) {
        this.config = newConfig;
    }

    /**
     * Appends whole batches, already validated, whose offsets start at or above this segment's
     * next offset. Adds index entries every {@code index.interval.bytes}. If anything fails the
     * segment is put back as it was: file length, index entries and timestamps.
     */
    void append(ByteBuffer records, AppendInfo info) throws IOException {
        int position = size;
        int savedBytesSinceIndexEntry = bytesSinceLastIndexEntry;
        try {
            long written = file.write(records, position);
            for (int at = records.position(); at < records.limit(); ) {
                int batchSize = RecordBatchHeader.sizeInBytes(records, at);
                long base = RecordBatchHeader.baseOffset(records, at);
                onBatch(base, RecordBatchHeader.lastOffset(records, at), RecordBatchHeader.maxTimestamp(records, at),
                        position + (at - records.position()), batchSize);
                at += batchSize;
            }
            size = position + (int) written;
        } catch (IOException | RuntimeException e) {
            offsetIndex.truncateTo(info.firstOffset());
            timeIndex.truncateTo(info.firstOffset());
            file.truncateTo(position);
            bytesSinceLastIndexEntry = savedBytesSinceIndexEntry;
            loadTimestamps();
            throw e;
        }
    }

    /** Updates timestamps and indexes for a batch that now lies at {@code position}. */
    private void onBatch(long base, long last, long batchMaxTimestamp, int position, int batchSize) {
        timestamps.onBatch(last, batchMaxTimestamp);
        // The index is sparse: a full index only means longer scans, and the next append rolls.
        if (bytesSinceLastIndexEntry > config.indexIntervalBytes() && !offsetIndex.isFull() && !timeIndex.isFull()) {
            offsetIndex.append(base, position);
            timeIndex.maybeAppend(timestamps.max(), timestamps.offsetOfMax());
            bytesSinceLastIndexEntry = 0;
        }
        bytesSinceLastIndexEntry += batchSize;
    }

    /**
     * Reads batches from the one holding {@code startOffset}, at most {@code maxSize} bytes and
     * never past file position {@code maxPosition}. With {@code minOneMessage} the first batch is
     * returned whole even when larger than {@code maxSize}, so a consumer cannot get stuck.
     *
     * @return the slice, empty if the batch lies at or past {@code maxPosition}; {@code null} if no
     *         batch in this segment holds {@code startOffset} or a later one
     */
    FileSlice read(long startOffset, int maxSize, int maxPosition, boolean minOneMessage) throws IOException {
        maxSize = Math.max(0, maxSize);
        LogFile.BatchPosition first = locate(startOffset);
        if (first == null) {
            return null;
        }
        if (first.position() >= maxPosition) {
            return file.slice(first.position(), 0, first.baseOffset());
        }
        int limit = minOneMessage ? Math.max(maxSize, first.size()) : maxSize;
        int length = Math.min(maxPosition - first.position(), limit);
        return file.slice(first.position(), length, first.baseOffset());
    }

    /** The first batch whose last offset is at least {@code offset}, or {@code null} if none is. */
    LogFile.BatchPosition locate(long offset) throws IOException {
        int start = offsetIndex.lookup(offset).position();
        return file.scan(start, size, b -> b.lastOffset() >= offset);
    }

    /** The offset just past the last batch, or the base offset if the segment is empty. */
    long readNextOffset() throws IOException {
        OffsetIndex.Position last = offsetIndex.lastEntry();
        LogFile.BatchPosition[] tail = {null};
        file.scan(last.position(), size, b -> {
            tail[0] = b;
            return false;
        });
        return tail[0] == null ? baseOffset : tail[0].lastOffset() + 1;
    }

    /**
     * The first offset at or after {@code startingOffset} whose record timestamp is at least
     * {@code timestamp}, with that timestamp; {@code null} if this segment has none.
     */
    TimestampOffset findOffsetByTimestamp(long timestamp, long startingOffset) throws IOException {
        // Every record up to the entry's offset is older than the target, so scanning may start there.
        long from = Math.max(timeIndex.lookup(Math.max(timestamp, Long.MIN_VALUE + 1) - 1).offset(), startingOffset);
        int start = offsetIndex.lookup(from).position();
        LogFile.BatchPosition batch = file.scan(start, size,
                b -> b.lastOffset() >= startingOffset && b.maxTimestamp() >= timestamp);
        if (batch == null) {
            return null;
        }
        ByteBuffer bytes = file.readBytes(batch.position(), batch.size());
        for (KafkaRecordBatches.DecodedRecord record : KafkaRecordBatches.decode(bytes)) {
            if (record.offset() >= startingOffset && record.timestamp() >= timestamp) {
                return new TimestampOffset(record.timestamp(), record.offset());
            }
        }
        return null;
    }

    // ---- aborted transactions ---------------------------------------------------------------

    /** Indexes an aborted transaction whose marker this segment holds. */
    void appendAbortedTxn(TransactionIndex.AbortedTxn txn) throws IOException {
        txnIndex.append(txn);
    }

    /** The aborted transactions indexed here that concern a read of [{@code fetchOffset}, {@code upperBound}). */
    TransactionIndex.SearchResult collectAbortedTxns(long fetchOffset, long upperBound) {
        return txnIndex.collect(fetchOffset, upperBound);
    }

    /** Every aborted transaction indexed here, oldest first. */
    List<TransactionIndex.AbortedTxn> abortedTxns() {
        return txnIndex.all();
    }

    /**
     * An offset every batch wholly within {@code length} bytes from file position {@code position}
     * lies below: the first offset-index entry at or past that end, or -1 if the index has none (the
     * caller then takes the next segment's base or the log end).
     */
    long fetchUpperBoundOffset(int position, int length) {
        return offsetIndex.firstOffsetAtOrAfterPosition((long) position + length);
    }

    /**
     * Scans the log file from the start, checking every batch (magic, sizes, CRC, offsets rising),
     * rebuilds the offset and time indexes, and cuts the file at the first batch that fails. The
     * transaction index is emptied: only a replay of the producers' state can rebuild it, which
     * {@link LogLoader} does.
     *
     * @return bytes cut from the end of the file
     */
    int recover() throws IOException {
        offsetIndex.reset();
        timeIndex.reset();
        txnIndex.reset();
        timestamps.reset();
        bytesSinceLastIndexEntry = 0;
        int fileSize = file.sizeOnDisk();
        long[] nextBase = {baseOffset};
        LogFile.BatchPosition lastGood = file.scanChecked(0, fileSize, batch -> {
            if (batch.baseOffset() < nextBase[0] || batch.lastOffset() < batch.baseOffset()) {
                return false;
            }
            onBatch(batch.baseOffset(), batch.lastOffset(), batch.maxTimestamp(), batch.position(), batch.size());
            nextBase[0] = batch.lastOffset() + 1;
            return true;
        });
        int validBytes = lastGood == null ? 0 : lastGood.position() + lastGood.size();
        file.truncateTo(validBytes);
        size = validBytes;
        return fileSize - validBytes;
    }

    /**
     * Removes every batch holding an offset at or above {@code offset} (the whole batch, if
     * {@code offset} falls inside one) and their index entries.
     *
     * @return bytes removed
     */
    int truncateTo(long offset) throws IOException {
        LogFile.BatchPosition first = locate(offset);
        if (first == null) {
            return 0;
        }
        int removed = size - first.position();
        offsetIndex.truncateTo(first.baseOffset());
        timeIndex.truncateTo(first.baseOffset());
        txnIndex.truncateTo(first.baseOffset());
        file.truncateTo(first.position());
        size = first.position();
        loadTimestamps();
        bytesSinceLastIndexEntry = 0;
        return removed;
    }

    /**
     * Whether an append of {@code appendSize} bytes whose newest record is {@code appendMaxTimestamp}
     * and last offset {@code appendLastOffset} must go to a new segment: this one is full, its
     * index is full, the offsets no longer fit the index's 32-bit relative offsets, or (as Kafka
     * measures it) the append's newest timestamp is {@code segment.ms} past the segment's first one.
     */
    boolean shouldRoll(int appendSize, long appendMaxTimestamp, long appendLastOffset, long nowMs) {
        if (appendLastOffset - baseOffset > Integer.MAX_VALUE) {
            return true;
        }
        if (size == 0) {
            return false;
        }
        LogConfig cfg = config;
        long waited = timestamps.waited(appendMaxTimestamp, nowMs);
        return size > cfg.segmentBytes() - appendSize
                || waited > cfg.rollMs()
                || offsetIndex.isFull() || timeIndex.isFull();
    }

    /** Whether {@code segment.ms} has passed since the segment's first record (for a quiet log's roll). */
    boolean isOlderThanSegmentMs(long nowMs) {
        return size > 0 && timestamps.waited(nowMs, nowMs) > config.rollMs();
    }

    /**
     * Checks the indexes; throws {@link IllegalStateException} if one is corrupt: each file's own
     * order and bounds, then a sample of the offset index's entries against the log file
     * ({@link OffsetIndex#sanityCheckAgainst}).
     */
    void sanityCheckIndexes() throws IOException {
        offsetIndex.sanityCheck(size);
        timeIndex.sanityCheck(size);
        txnIndex.sanityCheck(txnIndex.entries() == 0 ? Long.MAX_VALUE : readNextOffset());
        offsetIndex.sanityCheckAgainst(file);
    }

    /** Called when a newer segment takes over appends: the indexes shrink to their entries. */
    void onBecomeInactive() {
        offsetIndex.trimToValidSize();
        timeIndex.trimToValidSize();
    }

    /** Called when this segment takes appends after a restart: the indexes get room again. */
    void onBecomeActive() {
        offsetIndex.expandForAppends();
        timeIndex.expandForAppends();
    }

    void flush() throws IOException {
        file.flush();
        offsetIndex.flush();
        timeIndex.flush();
        txnIndex.flush();
    }

    /** Renames the segment's files by appending {@code suffix} (e.g. ".deleted"). */
    void addSuffix(String suffix) throws IOException {
        file.renameTo(file.file().resolveSibling(file.file().getFileName() + suffix));
        offsetIndex.renameTo(offsetIndex.file().resolveSibling(offsetIndex.file().getFileName() + suffix));
        timeIndex.renameTo(timeIndex.file().resolveSibling(timeIndex.file().getFileName() + suffix));
        txnIndex.renameTo(txnIndex.file().resolveSibling(txnIndex.file().getFileName() + suffix));
    }

    /**
     * Renames the segment's files from names ending {@code oldSuffix} to names ending {@code newSuffix}
     * (the cleaner's {@code .cleaned} to {@code .swap}, {@code .swap} to none). The indexes go
     * first and the log last: recovery keys on the log file, so a crash in between leaves a log whose
     * indexes are rebuilt, never indexes that point into another log.
     */
    void changeSuffix(String oldSuffix, String newSuffix) throws IOException {
        txnIndex.renameTo(renamed(txnIndex.file(), oldSuffix, newSuffix));
        timeIndex.renameTo(renamed(timeIndex.file(), oldSuffix, newSuffix));
        offsetIndex.renameTo(renamed(offsetIndex.file(), oldSuffix, newSuffix));
        file.renameTo(renamed(file.file(), oldSuffix, newSuffix));
    }

    private static Path renamed(Path path, String oldSuffix, String newSuffix) {
        String name = path.getFileName().toString();
        if (!name.endsWith(oldSuffix)) {
            throw new IllegalStateException(path + " does not end with " + oldSuffix);
        }
        return path.resolveSibling(name.substring(0, name.length() - oldSuffix.length()) + newSuffix);
    }

    /** The log file's last modification time (what retention uses for a segment without record times). */
    long lastModifiedMs() throws IOException {
        return Files.getLastModifiedTime(file.file()).toMillis();
    }

    /** Sets the log file's modification time (a cleaned segment keeps its source's). */
    void setLastModifiedMs(long ms) throws IOException {
        Files.setLastModifiedTime(file.file(), FileTime.fromMillis(ms));
    }

    /** The timestamp of the segment's first batch (its max timestamp), or -1 if it is empty. */
    long firstBatchTimestamp() {
        return timestamps.firstBatch();
    }

    /** Bytes the offset index holds (entries times entry size). */
    int offsetIndexBytes() {
        return offsetIndex.entries() * OffsetIndex.ENTRY_SIZE;
    }

    /** Bytes the time index holds (entries times entry size). */
    int timeIndexBytes() {
        return timeIndex.entries() * TimeIndex.ENTRY_SIZE;
    }

    /**
     * Walks the segment's batches from the start, up to the size readers may see, in chunks of
     * whole batches (see {@link LogFile#forEachChunk}).
     *
     * @return whether every chunk was visited
     */
    boolean forEachChunk(int chunkBytes, LogFile.ChunkVisitor visitor) throws IOException, InterruptedException {
        return file.forEachChunk(size, chunkBytes, visitor);
    }

    /**
     * Appends batches the cleaner rewrote (whole, checked, offsets rising past this segment's
     * last), indexing them as any append does.
     */
    void appendCleaned(ByteBuffer batches) throws IOException {
        long first = RecordBatchHeader.baseOffset(batches, batches.position());
        append(batches, new AppendInfo(first, first, -1, -1, 0, 0, batches.remaining(), -1));
    }

    /** Closes the segment and removes its files. */
    void delete() throws IOException {
        close();
        file.deleteIfExists();
        offsetIndex.delete();
        timeIndex.delete();
        txnIndex.delete();
    }

    /** Closes the files; bytes past {@link #size()} (left by a failed write) are cut first, so a clean reopen never reads them. */
    @Override
    public void close() throws IOException {
        offsetIndex.close();
        timeIndex.close();
        txnIndex.close();
        file.close(size);
    }

    @Override
    public String toString() {
        return "LogSegment(base=" + baseOffset + ", size=" + size + ")";
    }

    /** Restores the timestamp bookkeeping from the time index and the batches after its last entry. */
    private void loadTimestamps() {
        timestamps.load(timeIndex, offsetIndex, file, size, baseOffset);
    }
}
