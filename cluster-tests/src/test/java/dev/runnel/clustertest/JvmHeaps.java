package dev.runnel.clustertest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The heap use of another JVM, through the JDK's {@code jcmd}. */
final class JvmHeaps {

    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    private JvmHeaps() {
    }

    /** The heap used by JVM {@code pid} after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}), in MiB; -1 if unknown. */
    static long usedAfterFullGc(long pid) {
        try {
            jcmd(pid, "GC.run");
            Matcher used = HEAP_USED.matcher(jcmd(pid, "GC.heap_info"));
            return used.find() ? Long.parseLong(used.group(1)) / 1024 : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("jcmd-", ".txt");
        try {
            Process jcmd = ChildProcesses.start(new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid), command)
                    .redirectErrorStream(true).redirectOutput(out.toFile()));
            if (!jcmd.waitFor(2, TimeUnit.MINUTES)) {
                jcmd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IOException("jcmd " + pid + " " + command + " did not answer");
            }
            return Files.readString(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
