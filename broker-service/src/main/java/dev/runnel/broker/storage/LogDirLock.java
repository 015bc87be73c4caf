package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link LogManager}'s exclusive hold on its log directory: an OS lock on the directory's
 * {@code .lock} file ({@link LogManager#LOCK_FILE}), taken when the directory opens and released
 * when it closes or goes offline, so that no two brokers ever use one directory.
 *
 * <p>File locks belong to the process, so a second log manager of the same JVM would not be
 * refused by the OS; worse, closing any channel on the lock file (or letting GC close a leaked
 * one) releases the process's lock. A registry of the directories this JVM holds therefore refuses
 * a second open before it opens a channel on the file. Thread-safe.
 */
final class LogDirLock {

    private static final Logger log = LoggerFactory.getLogger(LogDirLock.class);

    /** Directories (real paths) a log manager of this JVM holds. */
    private static final Set<Path> LOCKED_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

    private final Path logDir;
    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private LogDirLock(Path logDir, Path key, FileChannel channel, FileLock lock) {
        this.logDir = logDir;
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code logDir}, which must exist.
     *
     * @throws IllegalStateException if another log manager of this JVM or another process holds it
     */
    static LogDirLock acquire(Path logDir) throws IOException {
        Path key = logDir.toRealPath();
        if (!LOCKED_IN_THIS_JVM.add(key)) {
            throw new IllegalStateException("log directory " + logDir + " is in use by another log manager");
        }
        FileChannel lockChannel = null;
        FileLock lock = null;
        try {
            lockChannel = FileChannel.open(logDir.resolve(LogManager.LOCK_FILE), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IllegalStateException("log directory " + logDir + " is in use by another process");
            }
            return new LogDirLock(logDir, key, lockChannel, lock);
        } catch (IOException | RuntimeException e) {
            abandon(lock, lockChannel, key);
            throw e;
        }
    }

    /** Undoes {@link #acquire} after the open that took the lock failed; a failure to release is thrown. */
    void releaseAfterFailedOpen() throws IOException {
        abandon(lock, channel, key);
    }

    private static void abandon(FileLock lock, FileChannel channel, Path key) throws IOException {
        if (lock != null) {
            lock.release();
        }
        if (channel != null) {
            channel.close();
        }
        LOCKED_IN_THIS_JVM.remove(key);
    }

    /** Releases the directory; a failure is logged, and the directory is free for this JVM whatever happens. */
    void release() {
        try {
            lock.release();
        } catch (IOException e) {
            log.warn("Cannot release the lock of {}: {}", logDir, e.getMessage());
        } finally {
            try {
                channel.close();
            } catch (IOException e) {
                log.warn("Cannot close the lock file of {}: {}", logDir, e.getMessage());
            }
            LOCKED_IN_THIS_JVM.remove(key);
        }
    }
}
