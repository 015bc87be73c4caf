package dev.runnel.common.process;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;

/**
 * Runs another program's main class under a {@link ParentWatchdog}: how a harness ties a JVM that
 * Runnel does not build (an Apache Kafka node, a test's helper JVM) to its own life.
 *
 * <pre>java -cp &lt;program's classpath&gt;:&lt;runnel-common&gt; dev.runnel.common.process.WatchedMain &lt;parent pid&gt; &lt;main class&gt; [args...]</pre>
 */
public final class WatchedMain {

    private WatchedMain() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length < 2) {
            System.err.println("Usage: WatchedMain <parent pid> <main class> [args...]");
            System.exit(2);
        }
        ParentWatchdog.start(Long.parseLong(args[0]), Duration.ofSeconds(1));
        Method main = Class.forName(args[1]).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
