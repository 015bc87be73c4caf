package dev.runnel.broker.zookeeper;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes {@code depth} levels under a root, mirrored from ZooKeeper and handed to a consumer as
 * a whole collection whenever one changes, so that every broker sees a write made through any
 * broker moments later.
 *
 * <p>One persistent recursive watch on the root (ZooKeeper 3.6 on) reports every node created,
 * changed or deleted below it; each report makes this broker read that node again, so whatever
 * order reports arrive in, the last read of a node is its latest state. The whole tree is read
 * again at start and after every reconnection, which covers what happened while disconnected.
 * Curator's {@code CuratorCache} does the same, but lives in curator-recipes, which the broker does
 * not depend on.
 *
 * <ul>
 *   <li>Nothing is handed over before the whole tree has been read once: the first collection is
 *       complete, and {@link #awaitInitialized} says when it has been handed over.</li>
 *   <li>Changes are coalesced: reports queue on one thread, and one collection is handed over
 *       after a burst rather than one per node.</li>
 *   <li>A node that does not parse is logged and left out, so one bad node never hides the
 *       others.</li>
 *   <li>{@link #awaitReflected} lets a writer wait until its own write has been handed over here,
 *       so a broker reads its own writes.</li>
 * </ul>
 *
 * While ZooKeeper is unreachable the last collection stays. Thread-safe: every read of ZooKeeper
 * and every change of the mirror runs on the one thread this object owns.
 *
 * @param <T> what one node is parsed into
 */
public final class WatchedNodes<T> implements AutoCloseable {

    /** Parses one node; returns {@code null} to leave it out. */
    public interface Parser<T> {
        T parse(String path, byte[] data);
    }

    private static final Logger LOG = LoggerFactory.getLogger(WatchedNodes.class);

    private final CuratorFramework zk;
    private final String root;
    private final int depth;
    private final Parser<T> parser;
    private final Consumer<Collection<T>> consumer;
    private final ExecutorService worker;
    private final AtomicBoolean publishScheduled = new AtomicBoolean();
    private final CompletableFuture<Void> initialized = new CompletableFuture<>();
    private final Watcher watcher = this::onEvent;
    private final ConnectionStateListener reconnections = this::onConnectionState;
    private volatile boolean closed;

    private final Object lock = new Object();
    /** Guarded by {@link #lock}, written only by the worker: the parsed nodes by path, with their stats. */
    private final Map<String, Parsed<T>> nodes = new HashMap<>();
    /** Guarded by {@link #lock}: bumped by each change of {@link #nodes}. */
    private long changes;
    /** Guarded by {@link #lock}: the value of {@link #changes} the last handed-over collection had. */
    private long published = -1;
    /** Guarded by {@link #lock}: whether the whole tree has been read once. */
    private boolean loaded;

    private record Parsed<T>(T value, Stat stat) {
    }

    /**
     * @param root     the path watched ({@code /acls}); created if absent
     * @param depth    how many levels under {@code root} the nodes of interest are (1 for {@code /users/<name>})
     * @param consumer takes each complete collection, on this object's thread, one at a time
     */
    public WatchedNodes(CuratorFramework zk, String root, int depth, Parser<T> parser, Consumer<Collection<T>> consumer) {
        this.zk = zk;
        this.root = root;
        this.depth = depth;
        this.parser = parser;
        this.consumer = consumer;
        this.worker = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "runnel-watch" + root.replace('/', '-'));
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Creates the root if need be, starts watching and reads the tree. */
    public void start() throws Exception {
        try {
            zk.create().creatingParentsIfNeeded().forPath(root);
        } catch (KeeperException.NodeExistsException e) {
            // there already
        }
        zk.getConnectionStateListenable().addListener(reconnections);
        zk.watchers().add().withMode(AddWatchMode.PERSISTENT_RECURSIVE).usingWatcher(watcher).forPath(root);
        submit(this::reload);
    }

    /** Waits until the first complete collection has been handed over; false if {@code timeout} passed first. */
    public boolean awaitInitialized(Duration timeout) throws InterruptedException {
        try {
            initialized.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("the watch on " + root + " ended", e.getCause());
        }
    }

    public boolean isInitialized() {
        return initialized.isDone() && !initialized.isCompletedExceptionally();
    }

    /**
     * Waits until every write of {@code outcomes} (or a later one of the same node) is in a
     * collection handed over; false if {@code timeout} passed first.
     */
    public boolean awaitReflected(Collection<CasUpdate.Outcome> outcomes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            for (CasUpdate.Outcome outcome : outcomes) {
                while (!outcome.reflectedBy(stat(outcome.path()))) {
                    if (!waitUntil(deadline)) {
                        return false;
                    }
                }
            }
            long target = changes;
            while (published < target) {
                if (!waitUntil(deadline)) {
                    return false;
                }
            }
            return true;
        }
    }

    private Stat stat(String path) {
        Parsed<T> parsed = nodes.get(path);
        return parsed == null ? null : parsed.stat();
    }

    /** Waits on {@link #lock} until notified or {@code deadline}; false once the deadline has passed. */
    private boolean waitUntil(long deadline) throws InterruptedException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return false;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
        return true;
    }

    // ---- on ZooKeeper's threads: queue the work ---------------------------------------------------

    private void onEvent(WatchedEvent event) {
        String path = event.getPath();
        if (event.getType() != Watcher.Event.EventType.None && path != null && isWatchedNode(path)) {
            submit(() -> reread(path));
        }
    }

    private void onConnectionState(CuratorFramework client, ConnectionState state) {
        if (state == ConnectionState.RECONNECTED) {
            // a new session has no watch; on the same session adding it again changes nothing
            submit(() -> {
                zk.watchers().add().withMode(AddWatchMode.PERSISTENT_RECURSIVE).usingWatcher(watcher).forPath(root);
                reload();
            });
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    private void submit(Work work) {
        if (closed) {
            return;
        }
        try {
            worker.execute(() -> {
                try {
                    work.run();
                } catch (Exception e) {
                    if (!closed) {
                        LOG.warn("Could not read {} (read again on reconnection): {}", root, e.toString());
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    // ---- on the worker --------------------------------------------------------------------------

    private boolean isWatchedNode(String path) {
        return path.startsWith(root + "/") && path.substring(root.length() + 1).split("/", -1).length == depth;
    }

    /** Reads one node again after a report about it. */
    private void reread(String path) throws Exception {
        Stat stat = new Stat();
        byte[] data;
        try {
            data = zk.getData().storingStatIn(stat).forPath(path);
        } catch (KeeperException.NoNodeException e) {
            update(Map.of(), List.of(path));
            return;
        }
        T value = parse(path, data);
        if (value == null) {
            update(Map.of(), List.of(path));
        } else {
            update(Map.of(path, new Parsed<>(value, stat)), List.of());
        }
    }

    /** Reads the whole tree and replaces the mirror with it. */
    private void reload() throws Exception {
        Map<String, Parsed<T>> found = new HashMap<>();
        List<String> level = List.of(root);
        for (int i = 0; i < depth; i++) {
            List<String> next = new ArrayList<>();
            for (String parent : level) {
                try {
                    zk.getChildren().forPath(parent).forEach(child -> next.add(parent + "/" + child));
                } catch (KeeperException.NoNodeException e) {
                    // deleted meanwhile: its report follows
                }
            }
            level = next;
        }
        for (String path : level) {
            Stat stat = new Stat();
            try {
                T value = parse(path, zk.getData().storingStatIn(stat).forPath(path));
                if (value != null) {
                    found.put(path, new Parsed<>(value, stat));
                }
            } catch (KeeperException.NoNodeException e) {
                // deleted meanwhile
            }
        }
        List<String> gone;
        synchronized (lock) {
            gone = nodes.keySet().stream().filter(path -> !found.containsKey(path)).toList();
            loaded = true;
        }
        update(found, gone);
    }

    private T parse(String path, byte[] data) {
        try {
            return parser.parse(path, data);
        } catch (RuntimeException e) {
            LOG.warn("Ignoring {}, which cannot be read: {}", path, e.getMessage());
            return null;
        }
    }

    private void update(Map<String, Parsed<T>> put, List<String> remove) {
        synchronized (lock) {
            nodes.putAll(put);
            remove.forEach(nodes::remove);
            changes++;
            lock.notifyAll();
        }
        if (publishScheduled.compareAndSet(false, true)) {
            submit(this::publish); // after the reports already queued: a burst ends in one collection
        }
    }

    private void publish() {
        publishScheduled.set(false); // a change from here on schedules another round
        List<T> values;
        long generation;
        synchronized (lock) {
            if (!loaded) {
                return;
            }
            values = new ArrayList<>(nodes.size());
            nodes.values().forEach(parsed -> values.add(parsed.value()));
            generation = changes;
        }
        try {
            consumer.accept(values);
        } catch (RuntimeException e) {
            LOG.error("Could not apply the contents of {}", root, e);
            return;
        }
        synchronized (lock) {
            published = Math.max(published, generation);
            lock.notifyAll();
        }
        initialized.complete(null);
    }

    /** Stops watching; the last collection handed over stays with the consumer. */
    @Override
    public void close() {
        closed = true;
        zk.getConnectionStateListenable().removeListener(reconnections);
        try {
            zk.watchers().remove(watcher).ofType(Watcher.WatcherType.Any).locally().forPath(root);
        } catch (Exception e) {
            // the watch goes with the session anyway
        }
        worker.shutdownNow();
        initialized.completeExceptionally(new IllegalStateException("closed before the first load"));
    }
}
