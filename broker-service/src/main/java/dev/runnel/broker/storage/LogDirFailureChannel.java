package dev.runnel.broker.storage;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where an I/O failure on a log directory is reported, as Kafka's {@code LogDirFailureChannel}: the
 * first report of a directory marks it offline and tells the listeners once; later reports of the
 * same directory are ignored. A directory never comes back online in the same process: the broker
 * serves its partitions again only after a restart with the disk fixed.
 *
 * <p>Listeners run on the reporting thread (an append, a background task), which may hold a
 * partition's lock: they must hand the work off, never block or take the replica manager's lock.
 * Thread-safe.
 */
public final class LogDirFailureChannel {

    private static final Logger log = LoggerFactory.getLogger(LogDirFailureChannel.class);

    private final Set<Path> offline = ConcurrentHashMap.newKeySet();
    private final List<Consumer<Path>> listeners = new CopyOnWriteArrayList<>();

    /**
     * Marks {@code logDir} offline because of {@code cause}; tells the listeners if it was online.
     *
     * @return whether this report took the directory offline
     */
    public boolean fail(Path logDir, String reason, Throwable cause) {
        Path key = logDir.toAbsolutePath().normalize();
        if (!offline.add(key)) {
            return false;
        }
        log.error("Log directory {} failed: {}; its partitions go offline", key, reason, cause);
        listeners.forEach(l -> l.accept(key));
        return true;
    }

    public boolean isOffline(Path logDir) {
        return offline.contains(logDir.toAbsolutePath().normalize());
    }

    /** The directories that failed, absolute. */
    public Set<Path> offlineDirs() {
        return Set.copyOf(offline);
    }

    /** Hears each directory that goes offline, once (see the class comment about its thread). */
    public void onFailure(Consumer<Path> listener) {
        listeners.add(listener);
    }
}
