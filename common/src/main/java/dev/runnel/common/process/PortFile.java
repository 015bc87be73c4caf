package dev.runnel.common.process;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The ports a process listens on, as it reports them once it is ready: how a harness that starts
 * a node with port 0 learns the ports the kernel gave it. A small properties file:
 *
 * <pre>
 * pid=41234
 * http=40111
 * kafka=40117
 * </pre>
 *
 * It is written to a temporary file in the same directory and then renamed over the target, so a
 * reader sees the whole file or none, never a part. The pid tells a file of this process from one
 * a killed predecessor left behind.
 *
 * @param pid   the process that listens
 * @param ports port by listener name ({@code http}, {@code kafka})
 */
public record PortFile(long pid, Map<String, Integer> ports) {

    private static final String PID = "pid";

    public PortFile {
        ports = Map.copyOf(ports);
        if (ports.containsKey(PID)) {
            throw new IllegalArgumentException("'pid' is not a listener name");
        }
    }

    /** Writes the file atomically, replacing any earlier one. */
    public void write(Path file) throws IOException {
        Properties properties = new Properties();
        properties.setProperty(PID, Long.toString(pid));
        new TreeMap<>(ports).forEach((name, port) -> properties.setProperty(name, Integer.toString(port)));
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temporary = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (Writer out = Files.newBufferedWriter(temporary, StandardCharsets.ISO_8859_1)) {
                properties.store(out, "ports this process listens on");
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** The file's contents, or empty when there is no file (yet). */
    public static Optional<PortFile> read(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            properties.load(in);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        Map<String, Integer> ports = new TreeMap<>();
        for (String name : properties.stringPropertyNames()) {
            if (!name.equals(PID)) {
                ports.put(name, Integer.valueOf(properties.getProperty(name)));
            }
        }
        return Optional.of(new PortFile(Long.parseLong(properties.getProperty(PID)), ports));
    }

    /** The port of listener {@code name}. */
    public int port(String name) {
        Integer port = ports.get(name);
        if (port == null) {
            throw new IllegalArgumentException("no port '" + name + "' reported (only " + ports.keySet() + ")");
        }
        return port;
    }
}
