package dev.runnel.broker.storage;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A memory-mapped file of fixed-size entries sorted by a key, searched by binary search. The
 * active segment's index is preallocated to {@code maxIndexSize} bytes and trimmed to its entries
 * when the segment rolls or closes; a file that is not a whole number of entries, or whose keys do
 * not increase, fails {@link #sanityCheck} and is rebuilt from the log.
 *
 * <p>Searches stay in the page cache: lookups mostly hit the newest entries (consumers and
 * followers read near the tail), and a binary search over a mapped file touches only a few pages.
 *
 * <p>Thread-safe: one writer (under the log's lock) and any number of concurrent lookups; a
 * read-write lock keeps lookups off a mapping that is being replaced or unmapped.
 */
abstract class AbstractIndex implements AutoCloseable {

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    protected final long baseOffset;
    private final int maxIndexSize;
    private final int entrySize;
    private volatile Path file;
    private MappedByteBuffer mmap;
    private volatile int entries;
    private boolean closed;

    AbstractIndex(Path file, long baseOffset, int maxIndexSize, int entrySize) {
        this.file = file;
        this.baseOffset = baseOffset;
        this.entrySize = entrySize;
        this.maxIndexSize = Math.max(entrySize, maxIndexSize / entrySize * entrySize);
        try {
            boolean existed = Files.exists(file) && Files.size(file) > 0;
            long length = existed ? Files.size(file) : this.maxIndexSize;
            this.mmap = map(file, length);
            this.entries = existed ? (int) (length / entrySize) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open index " + file, e);
        }
    }

    /** Number of entries. */
    int entries() {
        return entries;
    }

    boolean isFull() {
        return entries >= maxIndexSize / entrySize;
    }

    Path file() {
        return file;
    }

    long sizeInBytes() {
        return (long) entries * entrySize;
    }

    /**
     * Throws {@link IllegalStateException} if the file is not a whole number of entries or the
     * entries do not increase strictly, or an entry fails {@link #checkEntry}.
     */
    void sanityCheck(long logFileSize) throws IOException {
        lock.readLock().lock();
        try {
            ensureOpen();
            long length = Files.size(file);
            if (length % entrySize != 0) {
                throw new IllegalStateException("index " + file + " has " + length + " bytes, not a multiple of "
                        + entrySize);
            }
            for (int i = 0; i < entries; i++) {
                checkEntry(mmap, i, logFileSize);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Checks entry {@code n} against the one before it and the log's size. */
    protected abstract void checkEntry(ByteBuffer buffer, int n, long logFileSize);

    /** Appends one entry, written by {@code writer} at the end of the mapping. */
    protected void appendEntry(EntryWriter writer) {
        lock.writeLock().lock();
        try {
            if (isFull()) {
                throw new IllegalStateException("index " + file + " is full (" + entries + " entries)");
            }
            writer.write(mmap, entries * entrySize);
            entries++;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * The largest slot whose key is at most {@code target}, or -1 if every key is larger.
     * {@code keyAt} reads the key of slot n.
     */
    protected int largestSlotAtMost(long target, KeyReader keyAt) {
        lock.readLock().lock();
        try {
            ensureOpen();
            int lo = 0;
            int hi = entries - 1;
            if (hi < 0 || keyAt.read(mmap, 0) > target) {
                return -1;
            }
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (keyAt.read(mmap, mid) <= target) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            return lo;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Reads from slot {@code n} under the read lock. */
    protected <T> T readSlot(int n, SlotReader<T> reader) {
        lock.readLock().lock();
        try {
            ensureOpen();
            return reader.read(mmap, n);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Removes every entry whose key is at least {@code key}. */
    protected void truncateToKey(long key, KeyReader keyAt) {
        int keep = largestSlotAtMost(key - 1, keyAt) + 1;
        lock.writeLock().lock();
        try {
            entries = keep;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Removes every entry. */
    void reset() {
        lock.writeLock().lock();
        try {
            entries = 0;
            resizeLocked(maxIndexSize);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Shrinks the file to its entries (on roll, on load for every segment but the active one, and
     * on close); the index then takes no more appends. Nothing to do if it is that size already.
     */
    void trimToValidSize() {
        lock.writeLock().lock();
        try {
            long validSize = (long) entries * entrySize;
            if (!closed && mmap.capacity() == validSize) {
                return;
            }
            resizeLocked(validSize);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Grows the file back to {@code maxIndexSize} so the active segment's index takes appends again;
     * never below its entries (the setting may have been lowered since they were written).
     */
    void expandForAppends() {
        lock.writeLock().lock();
        try {
            resizeLocked(Math.max(maxIndexSize, (long) entries * entrySize));
        } finally {
            lock.writeLock().unlock();
        }
    }

    void flush() {
        lock.readLock().lock();
        try {
            if (!closed) {
                mmap.force();
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    void renameTo(Path target) throws IOException {
        lock.writeLock().lock();
        try {
            Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
            file = target;
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                resizeLocked((long) entries * entrySize);
                unmap(mmap);
                closed = true;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Closes and removes the file. */
    void delete() throws IOException {
        close();
        Files.deleteIfExists(file);
    }

    private void resizeLocked(long newLength) {
        ensureOpen();
        // No force() here: the mapping's pages stay in the page cache across the remap, the
        // background flush of a rolled segment and close() force them, and recovery rebuilds
        // indexes after a crash. An msync under the log's lock stalls appends behind the fsync
        // of the segment that just rolled.
        try {
            MappedByteBuffer old = mmap;
            mmap = map(file, Math.max(newLength, 0));
            unmap(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resize index " + file, e);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("index " + file + " is closed");
        }
    }

    private static MappedByteBuffer map(Path file, long length) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(length);
            return raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, length);
        }
    }

    /*
     * Unmapping at once (rather than at the next GC) frees the address space and lets a deleted
     * file's blocks go. It is safe because every access to the mapping holds the lock and checks
     * that the index is open.
     */
    private static final Method INVOKE_CLEANER;
    private static final Object UNSAFE;

    static {
        Method method = null;
        Object unsafe = null;
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            var field = unsafeClass.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            unsafe = field.get(null);
            method = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            method = null;
        }
        INVOKE_CLEANER = method;
        UNSAFE = unsafe;
    }

    private static void unmap(MappedByteBuffer buffer) {
        if (INVOKE_CLEANER == null || buffer.capacity() == 0) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException e) {
            // The mapping goes at the next GC instead.
        }
    }

    @FunctionalInterface
    protected interface EntryWriter {
        void write(ByteBuffer mmap, int position);
    }

    @FunctionalInterface
    protected interface KeyReader {
        long read(ByteBuffer mmap, int slot);
    }

    @FunctionalInterface
    protected interface SlotReader<T> {
        T read(ByteBuffer mmap, int slot);
    }
}
