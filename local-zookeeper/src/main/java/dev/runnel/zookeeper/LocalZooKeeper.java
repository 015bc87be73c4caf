package dev.runnel.zookeeper;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.zookeeper.Version;
import org.apache.zookeeper.server.ServerConfig;
import org.apache.zookeeper.server.ZooKeeperServerMain;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node ZooKeeper server in this JVM, for {@code bin/quickstart} and local development
 * (production uses an external ensemble). It runs ZooKeeper's own standalone server
 * ({@link ZooKeeperServerMain}) with the AdminServer off, since it would take port 8080, and the
 * four-letter words {@code ruok, srvr, stat, mntr} allowed for health checks.
 *
 * <pre>java -jar local-zookeeper-exec.jar [--port=2181] [--data-dir=./data/zookeeper] [--host=127.0.0.1]</pre>
 */
public final class LocalZooKeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalZooKeeper.class);

    static final String USAGE =
            "Usage: local-zookeeper [--port=2181] [--data-dir=./data/zookeeper] [--host=127.0.0.1]";

    /** Four-letter words a script may send to the client port. */
    static final String FOUR_LETTER_WORDS = "ruok,srvr,stat,mntr";

    private final Options options;
    private final Server server;
    private final Thread thread;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LocalZooKeeper(Options options, Server server, Thread thread) {
        this.options = options;
        this.server = server;
        this.thread = thread;
    }

    /** Where to listen and where to keep snapshots and transaction logs. */
    public record Options(String host, int port, Path dataDir) {

        public static Options defaults() {
            return new Options("127.0.0.1", 2181, Path.of("data", "zookeeper"));
        }

        /** Parses {@code --port=N}, {@code --data-dir=DIR}, {@code --host=H}; unknown options are refused. */
        public static Options parse(String... args) {
            Options o = defaults();
            for (String arg : args) {
                int eq = arg.indexOf('=');
                String name = eq < 0 ? arg : arg.substring(0, eq);
                String value = eq < 0 ? "" : arg.substring(eq + 1);
                if (eq < 0 || value.isEmpty()) {
                    throw new IllegalArgumentException("expected " + name + "=VALUE");
                }
                switch (name) {
                    case "--port" -> o = new Options(o.host, parsePort(value), o.dataDir);
                    case "--data-dir" -> o = new Options(o.host, o.port, Path.of(value));
                    case "--host" -> o = new Options(value, o.port, o.dataDir);
                    default -> throw new IllegalArgumentException("unknown option " + name);
                }
            }
            return o;
        }

        private static int parsePort(String value) {
            try {
                int port = Integer.parseInt(value);
                if (port >= 0 && port <= 65535) {
                    return port;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("--port must be a number from 0 to 65535, not " + value);
        }
    }

    /**
     * Starts the server and returns once it accepts connections.
     *
     * @throws IOException if it cannot start; a port already taken gives a message that says so
     */
    public static LocalZooKeeper start(Options options) throws IOException {
        System.setProperty("zookeeper.admin.enableServer", "false");
        System.setProperty("zookeeper.4lw.commands.whitelist", FOUR_LETTER_WORDS);
        Options absolute = new Options(options.host(), options.port(), options.dataDir().toAbsolutePath().normalize());
        ServerConfig config = serverConfig(absolute);

        Server server = new Server();
        Thread thread = new Thread(() -> {
            try {
                server.runFromConfig(config);
                server.started.completeExceptionally(new IOException("ZooKeeper stopped while starting"));
            } catch (Throwable e) {
                server.started.completeExceptionally(e);
            }
        }, "local-zookeeper");
        thread.start();
        try {
            server.started.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.close();
            throw new IOException("interrupted while starting ZooKeeper", e);
        } catch (ExecutionException e) {
            throw startFailure(absolute, e.getCause());
        }
        LocalZooKeeper zk = new LocalZooKeeper(absolute, server, thread);
        LOG.info("ZooKeeper {} listening on {}, data in {}",
                Version.getVersion(), zk.connectString(), absolute.dataDir());
        return zk;
    }

    private static ServerConfig serverConfig(Options options) throws IOException {
        Properties props = new Properties();
        props.setProperty("dataDir", options.dataDir().toString());
        props.setProperty("clientPortAddress", options.host());
        props.setProperty("clientPort", Integer.toString(options.port()));
        props.setProperty("tickTime", "2000");
        props.setProperty("maxClientCnxns", "0"); // every local service connects from the same address
        QuorumPeerConfig quorumConfig = new QuorumPeerConfig();
        try {
            quorumConfig.parseProperties(props);
        } catch (QuorumPeerConfig.ConfigException e) {
            throw new IOException("invalid ZooKeeper settings: " + e.getMessage(), e);
        }
        ServerConfig config = new ServerConfig();
        config.readFrom(quorumConfig);
        return config;
    }

    private static IOException startFailure(Options options, Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return new IOException("cannot listen on " + options.host() + ":" + options.port()
                        + ": the port is already in use (another ZooKeeper running?); stop it or pick another --port",
                        cause);
            }
        }
        return cause instanceof IOException io ? io : new IOException("ZooKeeper failed to start: " + cause, cause);
    }

    /** The port clients connect to (the real one when started with port 0). */
    public int port() {
        return server.getClientPort();
    }

    /** {@code host:port}, as a ZooKeeper connect string. */
    public String connectString() {
        return options.host() + ":" + port();
    }

    public Path dataDir() {
        return options.dataDir();
    }

    /** Blocks until the server has stopped, by {@link #close()} or on its own after an internal error. */
    public void awaitTermination() throws InterruptedException {
        thread.join();
    }

    /** Stops the server, closing client connections and the transaction log; safe to call twice. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        String where = connectString();
        server.close();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("ZooKeeper on {} stopped", where);
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Runs until SIGTERM or SIGINT; exits 1 if it cannot start or stops on its own, 2 on bad options. */
    public static void main(String[] args) {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(USAGE);
            return;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("local-zookeeper: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        LocalZooKeeper zk;
        try {
            zk = start(options);
        } catch (IOException e) {
            System.err.println("local-zookeeper: " + e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(zk::close, "local-zookeeper-shutdown"));
        try {
            zk.awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!zk.isClosed()) {
            System.err.println("local-zookeeper: the server stopped unexpectedly");
            System.exit(1);
        }
    }

    /** ZooKeeper's standalone server, telling us when it serves. */
    private static final class Server extends ZooKeeperServerMain {

        final CompletableFuture<Void> started = new CompletableFuture<>();

        @Override
        protected void serverStarted() {
            started.complete(null);
        }
    }
}
