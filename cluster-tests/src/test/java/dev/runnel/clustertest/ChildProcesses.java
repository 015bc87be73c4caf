package dev.runnel.clustertest;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.runnel.common.process.WatchedMain;

/**
 * Every process the tests start, so that none outlives the test JVM. {@link #start} keeps a
 * process here until it exits; a shutdown hook, installed with the first, kills any still alive
 * (descendants first) when the JVM exits: the last resort behind each harness's own close, for a
 * close that never ran.
 *
 * <p>A {@code kill -9} of the test JVM runs no hook. For that, each long-lived child watches this
 * JVM's pid itself and halts when it is gone: a Runnel service through {@code
 * runnel.process.parent-pid} ({@link #parentPidArgument()}), any other JVM by running its main
 * class under {@link WatchedMain} ({@link #watchedMain}).
 */
final class ChildProcesses {

    private static final Set<Process> ALIVE = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean HOOK = new AtomicBoolean();

    private ChildProcesses() {
    }

    /** Starts {@code builder}'s command and keeps the process until it exits. */
    static Process start(ProcessBuilder builder) throws IOException {
        if (HOOK.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(ChildProcesses::killAll, "kill-child-processes"));
        }
        Process process = builder.start();
        ALIVE.add(process);
        process.onExit().thenRun(() -> ALIVE.remove(process));
        return process;
    }

    /** The argument that makes a Runnel service halt once this JVM is gone. */
    static String parentPidArgument() {
        return "--runnel.process.parent-pid=" + ProcessHandle.current().pid();
    }

    /**
     * {@code -cp <classpath>:<runnel-common> WatchedMain <this JVM's pid> <mainClass>}: the end of a
     * {@code java} command line that runs {@code mainClass} (its arguments follow) until this JVM is gone.
     */
    static List<String> watchedMain(String classpath, String mainClass) {
        return List.of("-cp", classpath + File.pathSeparator + commonClasses(), WatchedMain.class.getName(),
                Long.toString(ProcessHandle.current().pid()), mainClass);
    }

    /** Where runnel-common's classes are (a directory or a jar), for a child's classpath. */
    private static Path commonClasses() {
        try {
            return Path.of(WatchedMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void killAll() {
        for (Process process : ALIVE) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
