package dev.runnel.broker.zookeeper;

import java.util.Optional;
import java.util.function.UnaryOperator;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * A read-modify-write of one ZooKeeper node, checked against the version read: the change is
 * computed from what the node held, written only if the node is still at that version (created
 * only if it is still absent), and computed again from the new contents when another writer got
 * there first. A value that becomes empty deletes the node; an unchanged value writes nothing.
 * Stateless.
 */
public final class CasUpdate {

    /**
     * How many times a change is recomputed before the update gives up. Each failed attempt means
     * another writer's succeeded, so writers as a whole always progress; the bound only keeps one
     * writer from losing forever. Kafka's ZooKeeper ACL store gave up after 10, which four writers
     * on one node already exhaust now and then.
     */
    public static final int MAX_ATTEMPTS = 100;

    private CasUpdate() {
    }

    /** The JSON form of a node's value. */
    public interface Codec<T> {

        /** The value of an absent node. */
        T empty();

        boolean isEmpty(T value);

        /** @throws IllegalStateException if {@code data} is not such a value */
        T decode(byte[] data, String path);

        byte[] encode(T value);
    }

    /**
     * A write that happened: the node at {@code path} was written in transaction {@code zxid}, or
     * deleted when it had been created in {@code zxid}.
     */
    public record Outcome(String path, boolean deleted, long zxid) {

        /** Whether a node with {@code stat} ({@code null} for absent) shows this write or a later one. */
        public boolean reflectedBy(Stat stat) {
            return deleted ? stat == null || stat.getCzxid() > zxid : stat != null && stat.getMzxid() >= zxid;
        }
    }

    /**
     * Applies {@code change} to the value at {@code path}. {@code change} may run several times,
     * each time on the node's latest value; it must not keep effects of an earlier run.
     *
     * @return the write made, or empty if the value did not change
     * @throws IllegalStateException if other writers won {@link #MAX_ATTEMPTS} times in a row
     * @throws Exception             as ZooKeeper fails (connection loss, session expiry)
     */
    public static <T> Optional<Outcome> update(CuratorFramework zk, String path, Codec<T> codec, UnaryOperator<T> change)
            throws Exception {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Stat read = new Stat();
            T current;
            boolean exists;
            try {
                current = codec.decode(zk.getData().storingStatIn(read).forPath(path), path);
                exists = true;
            } catch (KeeperException.NoNodeException e) {
                current = codec.empty();
                exists = false;
            }
            T next = change.apply(current);
            if (next.equals(current) || (!exists && codec.isEmpty(next))) {
                return Optional.empty();
            }
            try {
                if (!exists) {
                    Stat created = new Stat();
                    zk.create().storingStatIn(created).creatingParentsIfNeeded().forPath(path, codec.encode(next));
                    return Optional.of(new Outcome(path, false, created.getMzxid()));
                }
                if (codec.isEmpty(next)) {
                    zk.delete().withVersion(read.getVersion()).forPath(path);
                    return Optional.of(new Outcome(path, true, read.getCzxid()));
                }
                Stat written = zk.setData().withVersion(read.getVersion()).forPath(path, codec.encode(next));
                return Optional.of(new Outcome(path, false, written.getMzxid()));
            } catch (KeeperException.BadVersionException | KeeperException.NoNodeException
                    | KeeperException.NodeExistsException e) {
                // another writer changed the node since it was read: compute the change again
            }
        }
        throw new IllegalStateException("Failed to update " + path + " after trying a maximum of " + MAX_ATTEMPTS
                + " times");
    }
}
