package dev.runnel.broker.replication;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.broker.storage.PartitionMetadataFile;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicConfigs;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.common.TopicPartition;

/**
 * The partition logs of this broker across its log directories, for {@link ReplicaManager}: which
 * directory holds a log, where a new one goes (the directory with the fewest), deleting logs, and
 * finding the stray ones the cluster no longer assigns here; also how a topic's configs become a
 * log's storage settings. A directory that failed ({@link LogManager#isOffline}) holds nothing and
 * takes no new log. A partition may have a preferred directory (AlterReplicaLogDirs before the
 * replica exists), where its log is created. At start, a future log whose partition has no
 * current log in any directory (a crash between the two renames of a swap) becomes the log.
 */
final class HostedLogs {

    private static final Logger log = LoggerFactory.getLogger(HostedLogs.class);

    private final int brokerId;
    private final List<LogManager> logDirs;

    /** Where a partition not hosted yet is to be created (AlterReplicaLogDirs came first). */
    private final Map<TopicPartition, LogManager> preferred = new ConcurrentHashMap<>();

    HostedLogs(int brokerId, List<LogManager> logDirs) {
        this.brokerId = brokerId;
        this.logDirs = List.copyOf(logDirs);
        promoteOrphanedFutures();
    }

    private void promoteOrphanedFutures() {
        for (LogManager dir : logDirs) {
            for (TopicPartition tp : dir.futureLogs().keySet()) {
                if (existing(tp).isEmpty()) {
                    try {
                        log.info("The move of {} to {} was swapping when the broker stopped: finishing it", tp, dir.logDir());
                        dir.promoteFuture(tp);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot promote the future log of " + tp, e);
                    }
                }
            }
        }
    }

    List<LogManager> dirs() {
        return logDirs;
    }

    /** The directory named {@code path} (as DescribeLogDirs shows it), if it is one of this broker's. */
    Optional<LogManager> dir(String path) {
        Path wanted;
        try {
            wanted = Path.of(path).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
        return logDirs.stream().filter(d -> d.logDir().toAbsolutePath().normalize().equals(wanted)).findFirst();
    }

    /** The directory holding the current log of {@code tp}. */
    Optional<LogManager> holding(TopicPartition tp) {
        return logDirs.stream().filter(d -> d.getLog(tp).isPresent()).findFirst();
    }

    /** The directory holding a future log of {@code tp}. */
    Optional<LogManager> holdingFuture(TopicPartition tp) {
        return logDirs.stream().filter(d -> d.getFutureLog(tp).isPresent()).findFirst();
    }

    /** Creates {@code tp}'s log in {@code dir} when it is created. */
    void prefer(TopicPartition tp, LogManager dir) {
        preferred.put(tp, dir);
    }

    Optional<PartitionLog> existing(TopicPartition tp) {
        for (LogManager dir : logDirs) {
            Optional<PartitionLog> existing = dir.getLog(tp);
            if (existing.isPresent()) {
                return existing;
            }
        }
        return Optional.empty();
    }

    /** A new log in its preferred directory, else in the online directory that holds the fewest. */
    PartitionLog create(TopicPartition tp, LogConfig config) throws IOException {
        LogManager wanted = preferred.remove(tp);
        if (wanted != null && !wanted.isOffline()) {
            return wanted.getOrCreateLog(tp, config);
        }
        LogManager dir = logDirs.stream().filter(d -> !d.isOffline()).min(Comparator.comparingInt(LogManager::logCount))
                .orElseThrow(() -> new IOException("every log directory of broker " + brokerId + " is offline"));
        return dir.getOrCreateLog(tp, config);
    }

    void delete(TopicPartition tp) throws IOException {
        delete(List.of(tp));
    }

    void delete(List<TopicPartition> partitions) throws IOException {
        for (LogManager dir : logDirs) {
            if (!dir.isOffline()) {
                dir.deleteLogs(partitions);
            }
        }
    }

    /**
     * Deletes the logs on disk that {@code view} no longer assigns to this broker: their topic was
     * deleted (or deleted and created again under a new id), or the replica moved, while this broker
     * was away. One pass over the logs held; {@code dropping} hears each such partition first.
     */
    void deleteStray(MetadataCache.Snapshot view, Consumer<TopicPartition> dropping) {
        for (LogManager dir : logDirs) {
            // One copy of the directory's logs per scan, not one per log: linear in the logs held.
            List<TopicPartition> stray = new ArrayList<>();
            Map<TopicPartition, PartitionLog> logs = new HashMap<>(dir.futureLogs());
            logs.putAll(dir.logs());
            for (Map.Entry<TopicPartition, PartitionLog> held : logs.entrySet()) {
                TopicPartition tp = held.getKey();
                Optional<UUID> topicId = PartitionMetadataFile.read(held.getValue().dir());
                boolean assigned = view.topic(tp.topic())
                        .filter(t -> topicId.isEmpty() || topicId.get().equals(t.topicId()))
                        .flatMap(t -> partitionOf(t, tp.partition()))
                        .map(p -> p.replicas().contains(brokerId))
                        .orElse(false);
                if (!assigned) {
                    log.info("Deleting the stray log of {}: the cluster no longer assigns it to broker {}", tp, brokerId);
                    dropping.accept(tp);
                    stray.add(tp);
                }
            }
            try {
                dir.deleteLogs(stray);
            } catch (IOException e) {
                log.error("Cannot delete the stray logs {} of {}", stray, dir.logDir(), e);
            }
        }
    }

    /** Partition {@code index} of {@code topic}: at that position when the list is in order, else searched. */
    private static Optional<PartitionInfo> partitionOf(TopicInfo topic, int index) {
        List<PartitionInfo> partitions = topic.partitions();
        if (index >= 0 && index < partitions.size() && partitions.get(index).partition() == index) {
            return Optional.of(partitions.get(index));
        }
        return partitions.stream().filter(p -> p.partition() == index).findFirst();
    }

    /**
     * The storage settings among a topic's configs (the others concern the controller or producers).
     * A topic whose {@code cleanup.policy} lacks {@code delete} (compact only, such as
     * {@code __consumer_offsets}) never loses segments to time or size retention; one whose policy
     * has {@code compact} takes only records with keys.
     */
    static LogConfig storageConfig(Map<String, String> topicConfigs) {
        Map<String, String> storage = new TreeMap<>(topicConfigs);
        storage.keySet().retainAll(LogConfig.NAMES);
        Set<String> policies = TopicConfigs.cleanupPolicies(topicConfigs);
        if (!policies.contains("delete")) {
            storage.put("retention.ms", "-1");
            storage.put("retention.bytes", "-1");
        }
        LogConfig config = LogConfig.fromProperties(storage);
        return config.withCleanup(config.cleanup().withPolicies(policies.contains("delete"), policies.contains("compact")));
    }

    static int minInsyncReplicas(Map<String, String> topicConfigs) {
        try {
            return Integer.parseInt(topicConfigs.getOrDefault(TopicConfigs.MIN_INSYNC_REPLICAS, "1").trim());
        } catch (NumberFormatException e) {
            return 1;
        }
    }
}
