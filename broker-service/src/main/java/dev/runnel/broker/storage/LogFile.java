package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The {@code .log} file of one {@link LogSegment}: RecordBatch v2 bytes back to back, and the two
 * ways of walking their headers (as Kafka's {@code FileRecords} is to its {@code LogSegment}).
 *
 * <pre>
 *  | base offset | length | ... header (61 bytes) ... | records | base offset | length | ...
 *  ^ position p  ^ p + 8                                         ^ p + 12 + length
 * </pre>
 *
 * <ul>
 *   <li>{@link #scan} trusts the headers (no CRC): it serves reads of bytes that were checked on
 *       append or by recovery, and {@link #forEachChunk} (the cleaner's reads) walks the same way;</li>
 *   <li>{@link #scanChecked} checks every batch (header, then CRC-32C streamed from the file) and
 *       stops at the first that fails: it serves recovery.</li>
 * </ul>
 *
 * <p>The file holds no published length: callers pass the bounds of every walk, and the segment
 * decides (with the size it publishes) which bytes readers may see. Thread-safety: positional
 * reads may run concurrently with each other and with a write; writes, truncation, renames and
 * closing are serialised by the owning segment's appender.
 */
final class LogFile {

    /** Where one batch sits in the file, from its header. */
    record BatchPosition(long baseOffset, long lastOffset, int position, int size, long maxTimestamp) {
    }

    /** A chunk of whole batches read by {@link #forEachChunk}. */
    @FunctionalInterface
    interface ChunkVisitor {
        /** Returns whether the walk goes on. */
        boolean visit(ByteBuffer batches) throws IOException, InterruptedException;
    }

    /** A question asked of each batch a walk meets. */
    @FunctionalInterface
    interface BatchTest {
        boolean test(BatchPosition batch);
    }

    private final FileChannel channel;
    private volatile Path file;

    private LogFile(FileChannel channel, Path file) {
        this.channel = channel;
        this.file = file;
    }

    /** Opens {@code file}, creating it empty if absent. */
    static LogFile open(Path file) throws IOException {
        return new LogFile(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE), file);
    }

    Path file() {
        return file;
    }

    /** The file's length on disk (capped at {@code Integer.MAX_VALUE}), which may exceed what a segment published. */
    int sizeOnDisk() throws IOException {
        return (int) Math.min(channel.size(), Integer.MAX_VALUE);
    }

    /** Writes all of {@code records} (position to limit, which are left as they were) at {@code position}; returns bytes written. */
    long write(ByteBuffer records, int position) throws IOException {
        ByteBuffer source = records.duplicate();
        long written = 0;
        while (source.hasRemaining()) {
            written += channel.write(source, position + written);
        }
        return written;
    }

    /** Cuts the file to {@code size} bytes. */
    void truncateTo(int size) throws IOException {
        channel.truncate(size);
    }

    /** Fsyncs the file's bytes (not its metadata). */
    void flush() throws IOException {
        channel.force(false);
    }

    /** A slice of {@code length} bytes at {@code position}, whose first batch has base offset {@code firstOffset}. */
    FileSlice slice(int position, int length, long firstOffset) {
        return new FileSlice(channel, position, length, firstOffset);
    }

    /** Copies {@code length} bytes at {@code position} into a new heap buffer. */
    ByteBuffer readBytes(int position, int length) throws IOException {
        return slice(position, length, -1).readFully();
    }

    /**
     * Walks batch headers from {@code from} to {@code to} and returns the first batch passing
     * {@code stop}, or {@code null}. Headers are trusted (no CRC).
     *
     * @throws LogException CORRUPT_RECORD if a header is cut short or claims more bytes than lie before {@code to}
     */
    BatchPosition scan(int from, int to, BatchTest stop) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(RecordBatchHeader.HEADER_SIZE);
        int position = from;
        while ((long) position + RecordBatchHeader.HEADER_SIZE <= to) {
            readHeader(header, position);
            int batchSize = RecordBatchHeader.sizeInBytes(header, 0);
            if (batchSize < RecordBatchHeader.HEADER_SIZE || position + (long) batchSize > to) {
                throw new LogException(LogError.CORRUPT_RECORD, "batch at position " + position + " of " + file
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
     * visits batches while {@code accept} answers true and returns the last accepted one, or
     * {@code null} if none was. Never throws for bad bytes: the first bad batch ends the walk.
     */
    BatchPosition scanChecked(int from, int to, BatchTest accept) throws IOException {
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

    /**
     * Walks the batches in [0, {@code end}) in chunks of at most {@code chunkBytes} (a larger
     * batch gets a chunk of its own) and hands each chunk of whole batches, read into a heap
     * buffer, to {@code visitor} until it answers false. Headers are trusted, as in {@link #scan}.
     *
     * @return whether every chunk was visited
     */
    boolean forEachChunk(int end, int chunkBytes, ChunkVisitor visitor) throws IOException, InterruptedException {
        int position = 0;
        while (position < end) {
            int[] chunkEnd = {position};
            int start = position;
            scan(position, end, b -> {
                if (b.position() > start && b.position() + b.size() - start > chunkBytes) {
                    return true;
                }
                chunkEnd[0] = b.position() + b.size();
                return false;
            });
            if (chunkEnd[0] == position) {
                return true;
            }
            if (!visitor.visit(readBytes(position, chunkEnd[0] - position))) {
                return false;
            }
            position = chunkEnd[0];
        }
        return true;
    }

    /**
     * Reads up to {@code header.remaining()} bytes at {@code position} into {@code header} and
     * flips it: fewer bytes (the limit says how many) if the file ends first.
     */
    void readHeaderPartially(ByteBuffer header, int position) throws IOException {
        while (header.hasRemaining()) {
            int n = channel.read(header, position + header.position());
            if (n < 0) {
                break;
            }
        }
        header.flip();
    }

    /** Renames the file to {@code target}, replacing a file there (an earlier segment of the same base still waiting for deletion). */
    void renameTo(Path target) throws IOException {
        Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
        file = target;
    }

    /** Removes the file (close it first). */
    void deleteIfExists() throws IOException {
        Files.deleteIfExists(file);
    }

    /** Closes the file; bytes past {@code validSize} (left by a failed write) are cut first. */
    void close(int validSize) throws IOException {
        if (channel.isOpen()) {
            if (channel.size() > validSize) {
                channel.truncate(validSize);
            }
            channel.close();
        }
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
            throw new LogException(LogError.CORRUPT_RECORD, "batch header at " + position + " of " + file + " is cut short");
        }
    }
}
