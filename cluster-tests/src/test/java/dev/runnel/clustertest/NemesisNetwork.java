package dev.runnel.clustertest;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where the nemesis's nodes live on the network: either all on 127.0.0.1 (ports chosen free), or
 * each in a network namespace of its own that this class creates, so that a node can be cut off
 * from the others and from ZooKeeper while this JVM (the clients) still reaches it.
 *
 * <pre>
 *   root namespace (this JVM, ZooKeeper on the bridge address)
 *        rnem-br  10.123.0.1/24  (a bridge)
 *          |-- veth rnem-c1 ---- rnem-c1p  10.123.0.11   namespace rnem-controller-1
 *          |-- veth rnem-c2 ---- rnem-c2p  10.123.0.12   namespace rnem-controller-2
 *          |-- veth rnem-b1 ---- rnem-b1p  10.123.0.21   namespace rnem-broker-1
 *          ...
 * </pre>
 *
 * A cut ({@link #isolate}) is a set of iptables DROP rules inside the node's own namespace: every
 * packet to or from the other nodes' addresses, and to or from ZooKeeper's port on the bridge
 * address. Packets from this JVM to the node's own ports still pass (they come from the bridge
 * address, but never from ZooKeeper's port). {@link #heal} flushes the rules.
 *
 * <p>Everything is named with the prefix {@value #PREFIX}: a run first removes what a killed run
 * left behind (after killing the processes still inside those namespaces, which only such a run
 * started), and {@link #close()} removes everything it made, also from a JVM shutdown hook. A lock
 * file keeps two runs on one machine from using (and cleaning up) the namespaces at once: the
 * second falls back to loopback. The 10.123.0.0/24 addresses exist only on the bridge and inside
 * the namespaces; nothing is routed anywhere else.
 */
final class NemesisNetwork implements AutoCloseable {

    static final String PREFIX = "rnem";
    private static final String BRIDGE = PREFIX + "-br";
    private static final String SUBNET = "10.123.0.";
    private static final String ROOT_ADDRESS = SUBNET + "1";
    private static final Path LOCK = Path.of(System.getProperty("java.io.tmpdir"), "runnel-nemesis-netns.lock");

    private final Map<String, String> addresses = new LinkedHashMap<>();
    private final String unavailable;
    private FileChannel lockChannel;
    private FileLock lock;
    private Thread shutdownHook;
    private volatile boolean closed;

    private NemesisNetwork(String unavailable) {
        this.unavailable = unavailable;
    }

    /** Everything on 127.0.0.1; no node can be cut off. */
    static NemesisNetwork loopback(String why) {
        return new NemesisNetwork(why);
    }

    /**
     * A namespace per node ({@code controller-1}, {@code broker-2}, ...) when this machine allows
     * it (root, {@code ip}, {@code iptables}); otherwise {@link #loopback} with the reason.
     */
    static NemesisNetwork create(List<String> nodes) {
        if (!"Linux".equals(System.getProperty("os.name"))) {
            return loopback("not Linux");
        }
        NemesisNetwork network = new NemesisNetwork(null);
        try {
            if (!network.lock()) {
                return loopback("another nemesis run on this machine holds " + LOCK);
            }
            network.shutdownHook = new Thread(network::closeQuietly, "nemesis-network-cleanup");
            Runtime.getRuntime().addShutdownHook(network.shutdownHook);
            removeLeftovers();
            network.build(nodes);
            return network;
        } catch (IOException | RuntimeException e) {
            network.closeQuietly();
            return loopback("network namespaces unavailable: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            network.closeQuietly();
            return loopback("interrupted while creating namespaces");
        }
    }

    /** Whether nodes can be cut off ({@link #isolate}); false on loopback. */
    boolean partitionable() {
        return unavailable == null;
    }

    /** Why nodes cannot be cut off, or null. */
    String unavailableBecause() {
        return unavailable;
    }

    /** The address {@code node} listens on and is reached at. */
    String host(String node) {
        return partitionable() ? addresses.get(node) : "127.0.0.1";
    }

    /** The address the nodes reach ZooKeeper (and this JVM) at. */
    String rootHost() {
        return partitionable() ? ROOT_ADDRESS : "127.0.0.1";
    }

    /** What runs a command inside {@code node}'s namespace ({@code ip netns exec <ns>}); nothing on loopback. */
    List<String> launcher(String node) {
        return partitionable() ? List.of("ip", "netns", "exec", namespace(node)) : List.of();
    }

    /** Cuts {@code node} off from every other node and from ZooKeeper's {@code zooKeeperPort}. */
    void isolate(String node, int zooKeeperPort) throws IOException, InterruptedException {
        String ns = namespace(node);
        for (Map.Entry<String, String> other : addresses.entrySet()) {
            if (!other.getKey().equals(node)) {
                run("ip", "netns", "exec", ns, "iptables", "-w", "-A", "INPUT", "-s", other.getValue(), "-j", "DROP");
                run("ip", "netns", "exec", ns, "iptables", "-w", "-A", "OUTPUT", "-d", other.getValue(), "-j", "DROP");
            }
        }
        String port = Integer.toString(zooKeeperPort);
        run("ip", "netns", "exec", ns, "iptables", "-w", "-A", "OUTPUT", "-d", ROOT_ADDRESS, "-p", "tcp", "--dport",
                port, "-j", "DROP");
        run("ip", "netns", "exec", ns, "iptables", "-w", "-A", "INPUT", "-s", ROOT_ADDRESS, "-p", "tcp", "--sport",
                port, "-j", "DROP");
    }

    /** Removes every rule {@link #isolate} added in {@code node}'s namespace. */
    void heal(String node) throws IOException, InterruptedException {
        String ns = namespace(node);
        run("ip", "netns", "exec", ns, "iptables", "-w", "-F", "INPUT");
        run("ip", "netns", "exec", ns, "iptables", "-w", "-F", "OUTPUT");
    }

    private static String namespace(String node) {
        return PREFIX + "-" + node;
    }

    /** {@code controller-1} → {@code c1}: veth names must stay within 15 characters. */
    private static String shortName(String node) {
        return node.charAt(0) + node.substring(node.lastIndexOf('-') + 1);
    }

    private boolean lock() throws IOException {
        lockChannel = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        lock = lockChannel.tryLock();
        return lock != null;
    }

    private void build(List<String> nodes) throws IOException, InterruptedException {
        String taken = output("ip", "-o", "-4", "addr", "show");
        if (taken.contains(" " + SUBNET)) {
            throw new IOException(SUBNET + "0/24 is already in use on this machine");
        }
        run("ip", "link", "add", BRIDGE, "type", "bridge");
        run("ip", "addr", "add", ROOT_ADDRESS + "/24", "dev", BRIDGE);
        run("ip", "link", "set", BRIDGE, "up");
        for (String node : nodes) {
            int host = (node.startsWith("controller-") ? 10 : 20) + Integer.parseInt(node.substring(node.lastIndexOf('-') + 1));
            String address = SUBNET + host;
            String ns = namespace(node);
            String outside = PREFIX + "-" + shortName(node);
            String inside = outside + "p";
            run("ip", "netns", "add", ns);
            run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
            run("ip", "link", "set", inside, "netns", ns);
            run("ip", "link", "set", outside, "master", BRIDGE);
            run("ip", "link", "set", outside, "up");
            run("ip", "netns", "exec", ns, "ip", "addr", "add", address + "/24", "dev", inside);
            run("ip", "netns", "exec", ns, "ip", "link", "set", inside, "up");
            run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
            addresses.put(node, address);
        }
        // Fails here, not at the first fault, if this machine has no usable iptables.
        run("ip", "netns", "exec", namespace(nodes.get(0)), "iptables", "-w", "-S");
    }

    /**
     * Kills the processes left in namespaces named {@value #PREFIX}-* (a killed run's nodes), then
     * deletes those namespaces and any {@value #PREFIX}-* link.
     */
    private static void removeLeftovers() throws IOException, InterruptedException {
        for (String line : output("ip", "netns", "list").lines().toList()) {
            String ns = line.split(" ")[0];
            if (ns.startsWith(PREFIX + "-")) {
                killProcessesIn(ns);
                runQuietly("ip", "netns", "del", ns);
            }
        }
        for (String line : output("ip", "-o", "link", "show").lines().toList()) {
            String[] parts = line.split(":\\s+");
            if (parts.length > 1) {
                String name = parts[1].split("@")[0];
                if (name.startsWith(PREFIX + "-")) {
                    runQuietly("ip", "link", "del", name);
                }
            }
        }
    }

    private static void killProcessesIn(String ns) throws IOException, InterruptedException {
        for (String pid : output("ip", "netns", "pids", ns).lines().map(String::trim).filter(s -> !s.isEmpty()).toList()) {
            runQuietly("kill", "-9", pid);
        }
    }

    /** Kills what still runs in the namespaces, deletes them and the bridge; releases the lock. */
    @Override
    public synchronized void close() throws IOException, InterruptedException {
        if (closed) {
            return;
        }
        closed = true;
        for (String node : addresses.keySet()) {
            killProcessesIn(namespace(node));
            runQuietly("ip", "netns", "del", namespace(node));
            runQuietly("ip", "link", "del", PREFIX + "-" + shortName(node));
        }
        if (partitionable()) {
            runQuietly("ip", "link", "del", BRIDGE);
        }
        if (lock != null) {
            lock.release();
        }
        if (lockChannel != null) {
            lockChannel.close();
        }
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs anyway and finds everything closed
            }
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException | RuntimeException e) {
            System.err.println("nemesis network cleanup: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Result result = exec(command);
        if (result.exit != 0) {
            throw new IOException(String.join(" ", command) + " exited " + result.exit + ": " + result.output.strip());
        }
    }

    private static void runQuietly(String... command) throws IOException, InterruptedException {
        exec(command);
    }

    private static String output(String... command) throws IOException, InterruptedException {
        Result result = exec(command);
        if (result.exit != 0) {
            throw new IOException(String.join(" ", command) + " exited " + result.exit + ": " + result.output.strip());
        }
        return result.output;
    }

    private record Result(int exit, String output) {
    }

    private static Result exec(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in 30 s");
        }
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
