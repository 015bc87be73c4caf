package dev.runnel.broker.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Properties;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code meta.properties} file of each log directory, as Kafka keeps it: the cluster and broker
 * the data belongs to. A broker refuses to start on a directory of another cluster (say, after
 * being pointed at a new ZooKeeper ensemble, whose controller would otherwise tell it to delete
 * every log it does not know) or of another broker id.
 *
 * <pre>
 * version=0
 * cluster.id=5d1c3c4e-8a52-4f43-9a59-6b6ad1e0c2a7
 * broker.id=1
 * </pre>
 */
public final class LogDirIdentity {

    public static final String FILE_NAME = "meta.properties";

    private static final Logger log = LoggerFactory.getLogger(LogDirIdentity.class);

    private LogDirIdentity() {
    }

    /**
     * Checks every log directory against {@code clusterId} and {@code brokerId}, stamping those that
     * have no identity yet.
     *
     * @throws IllegalStateException naming the directory and both identities on a mismatch
     */
    public static void verify(List<Path> logDirs, String clusterId, int brokerId) throws IOException {
        for (Path dir : logDirs) {
            Path file = dir.resolve(FILE_NAME);
            if (!Files.exists(file)) {
                write(file, clusterId, brokerId);
                log.info("Log directory {} now belongs to cluster {} as broker {}", dir, clusterId, brokerId);
                continue;
            }
            Properties meta = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                meta.load(in);
            }
            String dirCluster = meta.getProperty("cluster.id");
            String dirBroker = meta.getProperty("broker.id");
            if (!clusterId.equals(dirCluster)) {
                throw new IllegalStateException("Log directory " + dir + " belongs to cluster " + dirCluster
                        + ", but ZooKeeper holds cluster " + clusterId + ". Point the broker at its own cluster's "
                        + "ZooKeeper (and namespace), or give it an empty log directory");
            }
            if (!Integer.toString(brokerId).equals(dirBroker)) {
                throw new IllegalStateException("Log directory " + dir + " holds the data of broker " + dirBroker
                        + ", not of broker " + brokerId + ". Give each broker its own log directories");
            }
        }
    }

    private static void write(Path file, String clusterId, int brokerId) throws IOException {
        Files.createDirectories(file.getParent());
        Properties meta = new Properties();
        meta.setProperty("version", "0");
        meta.setProperty("cluster.id", clusterId);
        meta.setProperty("broker.id", Integer.toString(brokerId));
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            meta.store(out, "Runnel log directory identity");
        }
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
