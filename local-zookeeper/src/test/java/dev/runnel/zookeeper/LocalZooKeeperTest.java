package dev.runnel.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalZooKeeperTest {

    private static final String LOOPBACK = "127.0.0.1";

    @TempDir
    Path dataDir;

    @Test
    void servesZnodesAndKeepsThemAcrossARestart() throws Exception {
        // Port 0: the server binds a port the system picks and reports it (no probe socket closed
        // and its number reused, which races with anything else binding meanwhile).
        LocalZooKeeper.Options options = new LocalZooKeeper.Options(LOOPBACK, 0, dataDir);

        int port;
        try (LocalZooKeeper server = LocalZooKeeper.start(options)) {
            port = server.port();
            assertThat(port).isPositive();
            assertThat(server.connectString()).isEqualTo(LOOPBACK + ":" + port);
            assertThat(fourLetterWord(port, "ruok")).isEqualTo("imok");
            ZooKeeper client = connect(server.connectString());
            try {
                client.create("/runnel", "hello".getBytes(StandardCharsets.UTF_8),
                        ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                assertThat(read(client, "/runnel")).isEqualTo("hello");
            } finally {
                client.close();
            }
        }
        assertThat(Files.exists(dataDir.resolve("version-2"))).isTrue();
        assertThat(portIsFree(port)).isTrue(); // close() released the port it had bound

        // The restart is on port 0 again, most likely another port: what must survive is the data.
        try (LocalZooKeeper server = LocalZooKeeper.start(options)) {
            ZooKeeper client = connect(server.connectString());
            try {
                assertThat(read(client, "/runnel")).isEqualTo("hello");
            } finally {
                client.close();
            }
        }
    }

    @Test
    void aTakenPortIsReportedClearly() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName(LOOPBACK))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> LocalZooKeeper.start(new LocalZooKeeper.Options(LOOPBACK, port, dataDir)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot listen on " + LOOPBACK + ":" + port)
                    .hasMessageContaining("already in use");
        }
    }

    @Test
    void parsesOptions() {
        assertThat(LocalZooKeeper.Options.parse())
                .isEqualTo(new LocalZooKeeper.Options(LOOPBACK, 2181, Path.of("data", "zookeeper")));
        assertThat(LocalZooKeeper.Options.parse("--port=12181", "--data-dir=/tmp/zk", "--host=127.0.0.2"))
                .isEqualTo(new LocalZooKeeper.Options("127.0.0.2", 12181, Path.of("/tmp/zk")));
        assertThatThrownBy(() -> LocalZooKeeper.Options.parse("--port=http"))
                .hasMessageContaining("--port must be a number");
        assertThatThrownBy(() -> LocalZooKeeper.Options.parse("--verbose"))
                .hasMessageContaining("--verbose=VALUE");
        assertThatThrownBy(() -> LocalZooKeeper.Options.parse("--size=3"))
                .hasMessageContaining("unknown option --size");
    }

    private static boolean portIsFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 50, InetAddress.getByName(LOOPBACK))) {
            return socket.isBound();
        } catch (IOException e) {
            return false;
        }
    }

    private static String read(ZooKeeper client, String path) throws Exception {
        return new String(client.getData(path, false, null), StandardCharsets.UTF_8);
    }

    private static ZooKeeper connect(String connectString) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper client = new ZooKeeper(connectString, 10_000, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        if (!connected.await(10, TimeUnit.SECONDS)) {
            client.close();
            throw new AssertionError("no ZooKeeper session with " + connectString + " within 10 s");
        }
        return client;
    }

    private static String fourLetterWord(int port, String word) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(LOOPBACK, port), 5_000);
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(word.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        }
    }
}
