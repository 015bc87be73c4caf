package dev.runnel.clustertest;

import java.lang.reflect.Method;

import org.apache.curator.test.TestingServer;
import org.apache.curator.test.ZooKeeperServerEmbeddedAdapter;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * Expires a client's ZooKeeper session from the server side, as a server does when it stops
 * hearing from the client, while the client process keeps running.
 *
 * <p>The only way in is through Curator's test server's internals, hence reflection, kept to this
 * class: {@code TestingServer.getTestingZooKeeperServer()} and
 * {@code TestingZooKeeperServer.getMain()} are package-private. With ZooKeeper 3.7 and later
 * Curator 5.9 runs the server as a {@code ZooKeeperServerEmbedded} behind
 * {@link ZooKeeperServerEmbeddedAdapter}, whose connection factory leads to the
 * {@link ZooKeeperServer}; older ones run {@code TestingZooKeeperMain}, whose package-private
 * {@code getZkServer()} does. {@link ZooKeeperServer#expire(long)} (public since ZooKeeper 3.6)
 * then closes the session as its expiry would: the ephemeral nodes go, the connection is closed,
 * and the client's next reconnect is told the session expired.
 */
final class ZooKeeperSessions {

    private ZooKeeperSessions() {
    }

    static void expire(TestingServer server, long sessionId) throws ReflectiveOperationException {
        server(server).expire(sessionId);
    }

    private static ZooKeeperServer server(TestingServer server) throws ReflectiveOperationException {
        Object testingZooKeeperServer = call(server, "getTestingZooKeeperServer");
        Object main = call(testingZooKeeperServer, "getMain");
        if (main instanceof ZooKeeperServerEmbeddedAdapter embedded) {
            return embedded.getServerCnxnFactory().getZooKeeperServer();
        }
        return (ZooKeeperServer) call(main, "getZkServer");
    }

    private static Object call(Object target, String method) throws ReflectiveOperationException {
        Method m = target.getClass().getDeclaredMethod(method);
        m.setAccessible(true);
        Object result = m.invoke(target);
        if (result == null) {
            throw new IllegalStateException(target.getClass().getSimpleName() + "." + method + "() is null: not started?");
        }
        return result;
    }
}
