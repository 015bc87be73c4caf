package dev.runnel.broker.storage;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A small text file of entries, replaced atomically: written to {@code <name>.tmp}, fsynced,
 * renamed over the old file, and the directory fsynced. A crash leaves either the old file or the
 * new one, never a mix.
 *
 * <pre>
 *  0          version
 *  2          number of entries
 *  a 10       one entry per line, as the format renders it
 *  b 20
 * </pre>
 *
 * Thread-safe: writes are serialised.
 *
 * @param <T> the entry type
 */
final class CheckpointFile<T> {

    static final int VERSION = 0;

    /** How entries become lines and back. */
    interface Format<T> {
        String toLine(T entry);

        /** Parses a line; throws {@link IllegalArgumentException} if it is malformed. */
        T fromLine(String line);
    }

    private final Path file;
    private final Format<T> format;

    CheckpointFile(Path file, Format<T> format) {
        this.file = file;
        this.format = format;
    }

    Path file() {
        return file;
    }

    synchronized void write(List<T> entries) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
                BufferedWriter writer = new BufferedWriter(
                        new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8))) {
            writer.write(VERSION + "\n" + entries.size() + "\n");
            for (T entry : entries) {
                writer.write(format.toLine(entry));
                writer.write('\n');
            }
            writer.flush();
            channel.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDirectory(file.toAbsolutePath().getParent());
    }

    /**
     * The entries, or an empty list if the file does not exist.
     *
     * @throws CorruptCheckpointException if the file is not a checkpoint this version wrote
     */
    List<T> read() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (CharacterCodingException e) {
            throw new CorruptCheckpointException(file, "not UTF-8 text (" + e + ")");
        }
        try {
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != VERSION) {
                throw new CorruptCheckpointException(file, "missing or unknown version line");
            }
            int count = Integer.parseInt(lines.get(1).trim());
            if (count < 0 || lines.size() - 2 < count) {
                throw new CorruptCheckpointException(file, "expected " + count + " entries, found " + (lines.size() - 2));
            }
            List<T> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                entries.add(format.fromLine(lines.get(2 + i)));
            }
            return entries;
        } catch (IllegalArgumentException e) {
            throw new CorruptCheckpointException(file, e.getMessage());
        }
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open a directory; the rename is still atomic there.
        }
    }

    /** A format of "key value" lines where the value is a long offset. */
    static <K> Format<Map.Entry<K, Long>> keyedOffsets(Function<K, String> keyToString,
            Function<String, K> keyFromString) {
        return new Format<>() {
            @Override
            public String toLine(Map.Entry<K, Long> entry) {
                return keyToString.apply(entry.getKey()) + " " + entry.getValue();
            }

            @Override
            public Map.Entry<K, Long> fromLine(String line) {
                String[] parts = line.trim().split(" ");
                if (parts.length != 2) {
                    throw new IllegalArgumentException("malformed line '" + line + "'");
                }
                return Map.entry(keyFromString.apply(parts[0]), Long.parseLong(parts[1]));
            }
        };
    }

    /** The checkpoint could not be parsed. */
    static final class CorruptCheckpointException extends IOException {
        CorruptCheckpointException(Path file, String reason) {
            super("corrupt checkpoint " + file + ": " + reason);
        }
    }
}
