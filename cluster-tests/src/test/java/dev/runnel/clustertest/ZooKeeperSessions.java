package dev.runnel.clustertest;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.ZooKeeperServerMain;

import dev.runnel.zookeeper.LocalZooKeeper;

/**
 * Expires a client's ZooKeeper session from the server side, as a server does when it stops
 * hearing from the client, while the client process keeps running.
 *
 * <p>The only way in is through the test's ZooKeeper's internals, hence reflection, kept to this
 * class: {@link LocalZooKeeper} holds its {@link ZooKeeperServerMain} in a private field, whose
 * package-private {@code getCnxnFactory()} leads to the {@link ZooKeeperServer}.
 * {@link ZooKeeperServer#expire(long)} (public since ZooKeeper 3.6) then closes the session as its
 * expiry would: the ephemeral nodes go, the connection is closed, and the client's next reconnect
 * is told the session expired.
 */
final class ZooKeeperSessions {

    private ZooKeeperSessions() {
    }

    static void expire(LocalZooKeeper zookeeper, long sessionId) throws ReflectiveOperationException {
        server(zookeeper).expire(sessionId);
    }

    private static ZooKeeperServer server(LocalZooKeeper zookeeper) throws ReflectiveOperationException {
        Field field = LocalZooKeeper.class.getDeclaredField("server");
        field.setAccessible(true);
        Method factory = ZooKeeperServerMain.class.getDeclaredMethod("getCnxnFactory");
        factory.setAccessible(true);
        ServerCnxnFactory connections = (ServerCnxnFactory) factory.invoke(field.get(zookeeper));
        if (connections == null || connections.getZooKeeperServer() == null) {
            throw new IllegalStateException("the ZooKeeper server is not running");
        }
        return connections.getZooKeeperServer();
    }
}
