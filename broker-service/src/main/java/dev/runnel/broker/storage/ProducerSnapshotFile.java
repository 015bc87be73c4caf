package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import dev.runnel.broker.storage.ProducerStateEntry.BatchMetadata;

/**
 * The producer state of a partition as of one log offset, in {@code <offset as 20 digits>.snapshot}
 * in the partition directory. It spares a restart from replaying the whole log to rebuild
 * {@link ProducerStateManager}'s state: only the batches after the newest snapshot are replayed.
 *
 * <pre>
 *  offset  size  field                          (big-endian)
 *       0     2  version (2; 1 is read too)
 *       2     4  crc                 CRC-32C of bytes 6 .. end
 *       6     4  producerCount
 *      10     .  producers, each:
 *                  +0   8  producerId          unique in the file, at least 0
 *                  +8   2  producerEpoch
 *                 +10   8  lastAppendTimeMs
 *                 +18   4  coordinatorEpoch    of the producer's last transaction marker, or -1
 *                 +22   8  currentTxnFirstOffset  first offset of its open transaction, or -1
 *                 +30   4  batchCount          0 .. 5
 *                 +34   .  batches, oldest first, 32 bytes each:
 *                            +0   4  firstSeq
 *                            +4   4  lastSeq
 *                            +8   8  firstOffset
 *                           +16   8  lastOffset
 *                           +24   8  maxTimestamp
 * </pre>
 *
 * Version 1 (written before transactions existed) has neither transaction field and 1 to 5
 * batches per producer; it is read as producers without transactions. The offset lives only in
 * the file name. A snapshot is written whole to {@code <name>.tmp},
 * fsynced and renamed, so a crash leaves no half-written snapshot under its real name; a disk can
 * still hand back a cut or rotted file, so {@link #read()} refuses any file whose version, CRC,
 * length or counts are wrong. Not thread-safe.
 */
final class ProducerSnapshotFile {

    static final short VERSION = 2;
    static final short VERSION_1 = 1;
    static final String SUFFIX = ".snapshot";
    static final String TEMP_SUFFIX = SUFFIX + ".tmp";

    static final int CRC_OFFSET = 2;
    static final int BODY_OFFSET = 6;
    private static final int PRODUCER_HEADER_SIZE_V1 = 22;
    private static final int PRODUCER_HEADER_SIZE = 34;
    private static final int BATCH_SIZE = 32;
    private static final int OFFSET_DIGITS = 20;

    private final Path file;
    private final long offset;

    private ProducerSnapshotFile(Path file, long offset) {
        this.file = file;
        this.offset = offset;
    }

    /** The snapshot of the state as of {@code offset} in partition directory {@code dir}; it may not exist yet. */
    static ProducerSnapshotFile at(Path dir, long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("snapshot offset " + offset + " is negative");
        }
        String name = String.format("%0" + OFFSET_DIGITS + "d", offset) + SUFFIX;
        return new ProducerSnapshotFile(dir.resolve(name), offset);
    }

    /** The snapshot {@code file} names, or empty if its name is not 20 digits and {@code .snapshot}. */
    static Optional<ProducerSnapshotFile> of(Path file) {
        String name = file.getFileName().toString();
        if (name.length() != OFFSET_DIGITS + SUFFIX.length() || !name.endsWith(SUFFIX)) {
            return Optional.empty();
        }
        String digits = name.substring(0, OFFSET_DIGITS);
        if (!digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ProducerSnapshotFile(file, Long.parseLong(digits)));
        } catch (NumberFormatException e) {
            return Optional.empty(); // 20 digits beyond Long.MAX_VALUE
        }
    }

    /** The snapshots in {@code dir}, oldest first. */
    static List<ProducerSnapshotFile> listIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(ProducerSnapshotFile::of).flatMap(Optional::stream)
                    .sorted(Comparator.comparingLong(ProducerSnapshotFile::offset))
                    .toList();
        }
    }

    /** Deletes the temporary files of snapshots whose writing a crash interrupted. */
    static void deleteTempFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(p -> p.getFileName().toString().endsWith(TEMP_SUFFIX)).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    Path file() {
        return file;
    }

    /** The log offset the snapshot reflects the log up to (exclusive). */
    long offset() {
        return offset;
    }

    /** Writes {@code entries} atomically, replacing any file of the same name. */
    void write(Collection<ProducerStateEntry> entries) throws IOException {
        int size = BODY_OFFSET + 4;
        for (ProducerStateEntry e : entries) {
            size += PRODUCER_HEADER_SIZE + BATCH_SIZE * e.batches().size();
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.putShort(VERSION).putInt(0).putInt(entries.size());
        for (ProducerStateEntry e : entries) {
            buffer.putLong(e.producerId()).putShort(e.producerEpoch()).putLong(e.lastAppendTimeMs())
                    .putInt(e.coordinatorEpoch()).putLong(e.currentTxnFirstOffset()).putInt(e.batches().size());
            for (BatchMetadata b : e.batches()) {
                buffer.putInt(b.firstSeq()).putInt(b.lastSeq()).putLong(b.firstOffset()).putLong(b.lastOffset())
                        .putLong(b.maxTimestamp());
            }
        }
        buffer.flip();
        buffer.putInt(CRC_OFFSET, crcOf(buffer));

        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        CheckpointFile.fsyncDirectory(file.toAbsolutePath().getParent());
    }

    /**
     * The entries, in the order written.
     *
     * @throws CorruptSnapshotException if the file is not a whole snapshot this version wrote
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     */
    List<ProducerStateEntry> read() throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file));
        if (buffer.remaining() < BODY_OFFSET + 4) {
            throw corrupt("only " + buffer.remaining() + " bytes");
        }
        short version = buffer.getShort(0);
        if (version != VERSION && version != VERSION_1) {
            throw corrupt("unknown version " + version);
        }
        int storedCrc = buffer.getInt(CRC_OFFSET);
        int actualCrc = crcOf(buffer);
        if (storedCrc != actualCrc) {
            throw corrupt("CRC is " + Integer.toUnsignedString(actualCrc) + ", file says "
                    + Integer.toUnsignedString(storedCrc));
        }
        try {
            buffer.position(BODY_OFFSET);
            int count = buffer.getInt();
            // A count beyond what the bytes could hold is caught before anything is allocated for it.
            int smallest = version == VERSION_1 ? PRODUCER_HEADER_SIZE_V1 + BATCH_SIZE : PRODUCER_HEADER_SIZE;
            if (count < 0 || (long) count * smallest > buffer.remaining()) {
                throw corrupt("producer count " + count + " does not fit in " + buffer.remaining() + " bytes");
            }
            List<ProducerStateEntry> entries = new ArrayList<>(count);
            Set<Long> ids = new HashSet<>();
            for (int i = 0; i < count; i++) {
                ProducerStateEntry entry = readEntry(buffer, version);
                if (!ids.add(entry.producerId())) {
                    throw corrupt("producer " + entry.producerId() + " appears twice");
                }
                entries.add(entry);
            }
            if (buffer.hasRemaining()) {
                throw corrupt(buffer.remaining() + " bytes after the last producer");
            }
            return entries;
        } catch (BufferUnderflowException e) {
            throw corrupt("cut short");
        }
    }

    void delete() throws IOException {
        Files.deleteIfExists(file);
    }

    @Override
    public String toString() {
        return file.toString();
    }

    private ProducerStateEntry readEntry(ByteBuffer buffer, short version) throws CorruptSnapshotException {
        long producerId = buffer.getLong();
        short epoch = buffer.getShort();
        long lastAppendTimeMs = buffer.getLong();
        int coordinatorEpoch = -1;
        long currentTxnFirstOffset = -1;
        if (version != VERSION_1) {
            coordinatorEpoch = buffer.getInt();
            currentTxnFirstOffset = buffer.getLong();
        }
        int batchCount = buffer.getInt();
        int fewest = version == VERSION_1 ? 1 : 0;
        if (producerId < 0 || batchCount < fewest || batchCount > ProducerStateEntry.MAX_BATCHES
                || currentTxnFirstOffset < -1) {
            throw corrupt("producer " + producerId + " with " + batchCount + " batches, transaction from "
                    + currentTxnFirstOffset);
        }
        List<BatchMetadata> batches = new ArrayList<>(batchCount);
        for (int i = 0; i < batchCount; i++) {
            batches.add(new BatchMetadata(buffer.getInt(), buffer.getInt(), buffer.getLong(), buffer.getLong(),
                    buffer.getLong()));
        }
        return new ProducerStateEntry(producerId, epoch, batches, lastAppendTimeMs, coordinatorEpoch,
                currentTxnFirstOffset);
    }

    /** CRC-32C of the bytes after the CRC field, from index {@link #BODY_OFFSET} to the limit. */
    static int crcOf(ByteBuffer buffer) {
        CRC32C crc = new CRC32C();
        crc.update(buffer.duplicate().position(BODY_OFFSET));
        return (int) crc.getValue();
    }

    private CorruptSnapshotException corrupt(String reason) {
        return new CorruptSnapshotException(file, reason);
    }

    /** The snapshot file is not one this version wrote, or was damaged after. */
    static final class CorruptSnapshotException extends IOException {
        CorruptSnapshotException(Path file, String reason) {
            super("corrupt producer snapshot " + file + ": " + reason);
        }
    }
}
