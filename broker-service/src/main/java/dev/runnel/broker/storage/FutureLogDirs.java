package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.UUID;

import dev.runnel.common.TopicPartition;

/**
 * The names of the partition directories a replica move leaves in a log directory, as Kafka names
 * them: {@code <topic>-<partition>.<uniqueId>-future} for the copy being made in the destination,
 * {@code <topic>-<partition>.<uniqueId>-delete} for the replaced log on its way out. Stateless.
 */
final class FutureLogDirs {

    static final String FUTURE_SUFFIX = "-future";
    static final String DELETE_SUFFIX = "-delete";

    private FutureLogDirs() {
    }

    static String futureName(TopicPartition tp) {
        return tp.directoryName() + "." + uniqueId() + FUTURE_SUFFIX;
    }

    static String deleteName(TopicPartition tp) {
        return tp.directoryName() + "." + uniqueId() + DELETE_SUFFIX;
    }

    /** The partition of a future directory's name, or empty if {@code name} is not one. */
    static Optional<TopicPartition> futurePartition(String name) {
        if (!name.endsWith(FUTURE_SUFFIX)) {
            return Optional.empty();
        }
        String base = name.substring(0, name.length() - FUTURE_SUFFIX.length());
        int dot = base.lastIndexOf('.');
        if (dot <= 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(TopicPartition.fromDirectoryName(base.substring(0, dot)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static boolean isDeleted(String name) {
        return name.endsWith(DELETE_SUFFIX) && name.indexOf('.') > 0;
    }

    /** Removes {@code dir} and everything under it, if it exists. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static String uniqueId() {
        return UUID.randomUUID().toString().replace("-", "");
    }
}
