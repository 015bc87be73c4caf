package dev.runnel.broker.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import dev.runnel.broker.record.KafkaRecordBatches;

/**
 * One segment of a partition log: {@code <base>.log} holding RecordBatch v2 bytes back to back,
 * with its {@link OffsetIndex} ({@code <base>.index}) and {@link TimeIndex} ({@code <base>.timeindex}).
 * The base offset is the file name, zero-padded to 20 digits.
 *
 * <pre>
 *  .log:  | batch (base b0) | batch (base b1) | ... |      b0 &gt;= base, b(i+1) &gt; last offset of b(i)
 *           ^ index entry every index.interval.bytes: (base offset of batch, its position)
 * </pre>
 *
 * <p>Thread-safety: one appender at a time (the owning {@link PartitionLog} serialises appends,
 * truncation and recovery); reads may run concurrently with an append and see only bytes below
 * the {@link #size()} they read, which is published after the bytes are written.
 */
final class LogSegment implements AutoCloseable {

    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    static final String TIME_INDEX_SUFFIX = ".timeindex";

    private final long baseOffset;
    private volatile LogConfig config;
    private final FileChannel channel;
    private volatile Path logFile;
    private final OffsetIndex offsetIndex;
    private final TimeIndex timeIndex;
    private final long createdMs;
    private volatile int size;
    private volatile long maxTimestampSoFar = -1;
    private volatile long offsetOfMaxTimestampSoFar = -1;
    private long firstBatchTimestamp = -1;
    private int bytesSinceLastIndexEntry;

    /** Where one batch sits in the file, from its header. */
    record BatchPosition(long baseOffset, long lastOffset, int position, int size, long maxTimestamp) {
    }

    private LogSegment(long baseOffset, LogConfig config, FileChannel channel, Path logFile, OffsetIndex offsetIndex,
            TimeIndex timeIndex, long createdMs, int size) {
        this.baseOffset = baseOffset;
        this.config = config;
        this.channel = channel;
        this.logFile = logFile;
        this.offsetIndex = offsetIndex;
        this.timeIndex = timeIndex;
        this.createdMs = createdMs;
        this.size = size;
    }

    /**
     * Opens (creating if absent) the segment at {@code baseOffset} in {@code dir}. Indexes are
     * opened as found; call {@link #sanityCheckIndexes()} or {@link #recover()} before trusting them.
     */
    static LogSegment open(Path dir, long baseOffset, LogConfig config, long nowMs) throws IOException {
        Path logFile = dir.resolve(fileName(baseOffset, LOG_SUFFIX));
        FileChannel channel = FileChannel.open(logFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        int size = (int) Math.min(channel.size(), Integer.MAX_VALUE);
        OffsetIndex offsetIndex = OffsetIndex.open(dir.resolve(fileName(baseOffset, INDEX_SUFFIX)), baseOffset,
                config.segmentIndexBytes());
        TimeIndex timeIndex = TimeIndex.open(dir.resolve(fileName(baseOffset, TIME_INDEX_SUFFIX)), baseOffset,
                config.segmentIndexBytes());
        LogSegment segment = new LogSegment(baseOffset, config, channel, logFile, offsetIndex, timeIndex, nowMs, size);
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

    Path logFile() {
        return logFile;
    }

    /** The newest record time in the segment, or -1 if it is empty. */
    long maxTimestamp() {
        return maxTimestampSoFar;
    }

    /**
     * What retention compares with {@code retention.ms}: the newest record time, or, for a segment
     * without record times, the file's last modification (as Kafka does).
     */
    long largestTimestampForRetention() {
        if (maxTimestampSoFar >= 0) {
            return maxTimestampSoFar;
        }
        try {
            return Files.getLastModifiedTime(logFile).toMillis();
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
            ByteBuffer source = records.duplicate();
            long written = 0;
            while (source.hasRemaining()) {
                written += channel.write(source, position + written);
            }
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
            channel.truncate(position);
            bytesSinceLastIndexEntry = savedBytesSinceIndexEntry;
            loadTimestamps();
            throw e;
        }
    }

    /** Updates timestamps and indexes for a batch that now lies at {@code position}. */
    private void onBatch(long base, long last, long batchMaxTimestamp, int position, int batchSize) {
        if (firstBatchTimestamp < 0) {
            firstBatchTimestamp = batchMaxTimestamp;
        }
        if (batchMaxTimestamp > maxTimestampSoFar) {
            maxTimestampSoFar = batchMaxTimestamp;
            offsetOfMaxTimestampSoFar = last;
        }
        // The index is sparse: a full index only means longer scans, and the next append rolls.
        if (bytesSinceLastIndexEntry > config.indexIntervalBytes() && !offsetIndex.isFull() && !timeIndex.isFull()) {
            offsetIndex.append(base, position);
            timeIndex.maybeAppend(maxTimestampSoFar, offsetOfMaxTimestampSoFar);
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
        BatchPosition first = locate(startOffset);
        if (first == null) {
            return null;
        }
        if (first.position() >= maxPosition) {
            return new FileSlice(channel, first.position(), 0, first.baseOffset());
        }
        int limit = minOneMessage ? Math.max(maxSize, first.size()) : maxSize;
        int length = Math.min(maxPosition - first.position(), limit);
        return new FileSlice(channel, first.position(), length, first.baseOffset());
    }

    /** The first batch whose last offset is at least {@code offset}, or {@code null} if none is. */
    BatchPosition locate(long offset) throws IOException {
        int start = offsetIndex.lookup(offset).position();
        return scan(start, size, b -> b.lastOffset() >= offset);
    }

    /** The offset just past the last batch, or the base offset if the segment is empty. */
    long readNextOffset() throws IOException {
        OffsetIndex.Position last = offsetIndex.lastEntry();
        BatchPosition[] tail = {null};
        scan(last.position(), size, b -> {
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
        BatchPosition batch = scan(start, size, b -> b.lastOffset() >= startingOffset && b.maxTimestamp() >= timestamp);
        if (batch == null) {
            return null;
        }
        ByteBuffer bytes = readBytes(batch.position(), batch.size());
        for (KafkaRecordBatches.DecodedRecord record : KafkaRecordBatches.decode(bytes)) {
            if (record.offset() >= startingOffset && record.timestamp() >= timestamp) {
                return new TimestampOffset(record.timestamp(), record.offset());
            }
        }
        return null;
    }

    /**
     * Scans the log file from the start, checking every batch (magic, sizes, CRC, offsets rising),
     * rebuilds both indexes, and cuts the file at the first batch that fails.
     *
     * @return bytes cut from the end of the file
     */
    int recover() throws IOException {
        offsetIndex.reset();
        timeIndex.reset();
        maxTimestampSoFar = -1;
        offsetOfMaxTimestampSoFar = -1;
        firstBatchTimestamp = -1;
        bytesSinceLastIndexEntry = 0;
        int fileSize = (int) Math.min(channel.size(), Integer.MAX_VALUE);
        long[] nextBase = {baseOffset};
        BatchPosition lastGood = scanChecked(0, fileSize, batch -> {
            if (batch.baseOffset() < nextBase[0] || batch.lastOffset() < batch.baseOffset()) {
                return false;
            }
            onBatch(batch.baseOffset(), batch.lastOffset(), batch.maxTimestamp(), batch.position(), batch.size());
            nextBase[0] = batch.lastOffset() + 1;
            return true;
        });
        int validBytes = lastGood == null ? 0 : lastGood.position() + lastGood.size();
        channel.truncate(validBytes);
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
        BatchPosition first = locate(offset);
        if (first == null) {
            return 0;
        }
        int removed = size - first.position();
        offsetIndex.truncateTo(first.baseOffset());
        timeIndex.truncateTo(first.baseOffset());
        channel.truncate(first.position());
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
        long waited = firstBatchTimestamp >= 0 ? appendMaxTimestamp - firstBatchTimestamp : nowMs - createdMs;
        return size > cfg.segmentBytes() - appendSize
                || waited > cfg.segmentMs()
                || offsetIndex.isFull() || timeIndex.isFull();
    }

    /** Whether {@code segment.ms} has passed since the segment's first record (for a quiet log's roll). */
    boolean isOlderThanSegmentMs(long nowMs) {
        return size > 0 && (firstBatchTimestamp >= 0 ? nowMs - firstBatchTimestamp : nowMs - createdMs) > config.segmentMs();
    }

    /**
     * Checks both indexes; throws {@link IllegalStateException} if either is corrupt. Besides
     * each file's own order and bounds, up to {@link #ENTRIES_CHECKED_AGAINST_LOG} offset-index
     * entries (always the last, the rest spread evenly) must point at a batch header with their
     * offset, so a position shifted to another batch boundary is caught without reading every
     * header of a large segment.
     */
    void sanityCheckIndexes() throws IOException {
        offsetIndex.sanityCheck(size);
        timeIndex.sanityCheck(size);
        int entries = offsetIndex.entries();
        int step = Math.max(1, entries / ENTRIES_CHECKED_AGAINST_LOG);
        ByteBuffer header = ByteBuffer.allocate(RecordBatchHeader.HEADER_SIZE);
        for (int slot = entries - 1; slot >= 0; slot -= step) {
            OffsetIndex.Position entry = offsetIndex.entry(slot);
            header.clear();
            readHeaderPartially(header, entry.position());
            if (header.limit() < RecordBatchHeader.HEADER_SIZE
                    || RecordBatchHeader.magic(header, 0) != RecordBatchHeader.MAGIC_V2
                    || RecordBatchHeader.baseOffset(header, 0) != entry.offset()) {
                throw new IllegalStateException("offset index entry " + slot + " " + entry + " of " + logFile
                        + " does not point at the batch with that offset");
            }
        }
    }

    static final int ENTRIES_CHECKED_AGAINST_LOG = 64;

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
        channel.force(false);
        offsetIndex.flush();
        timeIndex.flush();
    }

    /** Renames the three files by appending {@code suffix} (e.g. ".deleted"). */
    void addSuffix(String suffix) throws IOException {
        Path target = logFile.resolveSibling(logFile.getFileName() + suffix);
        Files.move(logFile, target);
        logFile = target;
        offsetIndex.renameTo(offsetIndex.file().resolveSibling(offsetIndex.file().getFileName() + suffix));
        timeIndex.renameTo(timeIndex.file().resolveSibling(timeIndex.file().getFileName() + suffix));
    }

    /** Closes the segment and removes its files. */
    void delete() throws IOException {
        close();
        Files.deleteIfExists(logFile);
        offsetIndex.delete();
        timeIndex.delete();
    }

    /** Closes the files; bytes past {@link #size()} (left by a failed write) are cut first, so a clean reopen never reads them. */
    @Override
    public void close() throws IOException {
        offsetIndex.close();
        timeIndex.close();
        if (channel.isOpen()) {
            if (channel.size() > size) {
                channel.truncate(size);
            }
            channel.close();
        }
    }

    @Override
    public String toString() {
        return "LogSegment(base=" + baseOffset + ", size=" + size + ")";
    }

    // ---- reading the file -------------------------------------------------------------------

    @FunctionalInterface
    private interface BatchTest {
        boolean test(BatchPosition batch);
    }

    /**
     * Walks batch headers from {@code from} to {@code to} and returns the first batch passing
     * {@code stop}, or {@code null}. Headers are trusted (no CRC): this serves reads of data
     * that was checked on append or by recovery.
     */
    private BatchPosition scan(int from, int to, BatchTest stop) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(RecordBatchHeader.HEADER_SIZE);
        int position = from;
        while ((long) position + RecordBatchHeader.HEADER_SIZE <= to) {
            readHeader(header, position);
            int batchSize = RecordBatchHeader.sizeInBytes(header, 0);
            if (batchSize < RecordBatchHeader.HEADER_SIZE || position + (long) batchSize > to) {
                throw new LogException(LogError.CORRUPT_RECORD, "batch at position " + position + " of " + logFile
                        + " claims " + batchSize + " bytes");
            }
            BatchPosition batch = batchAt(header, position);
            if (stop.test(batch)) {
                return batch;
            }
            position += batchSize;
        }
        return null;
    }

    /**
     * Like {@link #scan} but checks every batch fully (header and CRC, streamed from the file);
     * visits batches while {@code accept} answers true and returns the last accepted one.
     */
    private BatchPosition scanChecked(int from, int to, BatchTest accept) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(RecordBatchHeader.HEADER_SIZE);
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        BatchPosition lastAccepted = null;
        int position = from;
        while (position < to) {
            header.clear().limit(Math.min(RecordBatchHeader.HEADER_SIZE, to - position));
            readHeaderPartially(header, position);
            int batchSize;
            try {
                batchSize = BatchValidator.checkHeader(header, 0, to - position, Integer.MAX_VALUE);
            } catch (LogException e) {
                return lastAccepted;
            }
            if (!crcMatches(header, position, batchSize, chunk)) {
                return lastAccepted;
            }
            BatchPosition batch = batchAt(header, position);
            if (!accept.test(batch)) {
                return lastAccepted;
            }
            lastAccepted = batch;
            position += batchSize;
        }
        return lastAccepted;
    }

    private boolean crcMatches(ByteBuffer header, int position, int batchSize, ByteBuffer chunk) throws IOException {
        CRC32C crc = new CRC32C();
        long at = position + RecordBatchHeader.ATTRIBUTES;
        long end = position + (long) batchSize;
        while (at < end) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), end - at));
            int n = channel.read(chunk, at);
            if (n <= 0) {
                return false;
            }
            chunk.flip();
            crc.update(chunk);
            at += n;
        }
        return (int) crc.getValue() == header.getInt(RecordBatchHeader.CRC);
    }

    private static BatchPosition batchAt(ByteBuffer header, int position) {
        return new BatchPosition(RecordBatchHeader.baseOffset(header, 0), RecordBatchHeader.lastOffset(header, 0),
                position, RecordBatchHeader.sizeInBytes(header, 0), RecordBatchHeader.maxTimestamp(header, 0));
    }

    private void readHeader(ByteBuffer header, int position) throws IOException {
        header.clear();
        readHeaderPartially(header, position);
        if (header.limit() < RecordBatchHeader.HEADER_SIZE) {
            throw new LogException(LogError.CORRUPT_RECORD, "batch header at " + position + " of " + logFile + " is cut short");
        }
    }

    private void readHeaderPartially(ByteBuffer header, int position) throws IOException {
        while (header.hasRemaining()) {
            int n = channel.read(header, position + header.position());
            if (n < 0) {
                break;
            }
        }
        header.flip();
    }

    private ByteBuffer readBytes(int position, int length) throws IOException {
        return new FileSlice(channel, position, length, -1).readFully();
    }

    /** Restores the timestamp bookkeeping from the time index and the batches after its last entry. */
    private void loadTimestamps() {
        try {
            TimeIndex.Entry last = timeIndex.lastEntry();
            maxTimestampSoFar = last.timestamp();
            offsetOfMaxTimestampSoFar = last.timestamp() < 0 ? -1 : last.offset();
            firstBatchTimestamp = -1;
            int start = offsetIndex.lookup(Math.max(last.offset(), baseOffset)).position();
            BatchPosition first = scan(0, size, b -> true);
            if (first != null) {
                firstBatchTimestamp = first.maxTimestamp();
            }
            scan(start, size, b -> {
                if (b.maxTimestamp() > maxTimestampSoFar) {
                    maxTimestampSoFar = b.maxTimestamp();
                    offsetOfMaxTimestampSoFar = b.lastOffset();
                }
                return false;
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (LogException | IllegalStateException e) {
            // A corrupt tail or index: recovery will rebuild this state.
            maxTimestampSoFar = -1;
            offsetOfMaxTimestampSoFar = -1;
        }
    }
}
