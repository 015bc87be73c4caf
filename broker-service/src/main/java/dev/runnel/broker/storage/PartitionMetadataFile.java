package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The {@code partition.metadata} file in a partition's directory: the id of the topic the log
 * belongs to, so a broker that missed a topic's deletion tells the old log from the new topic of
 * the same name, even after a restart. Written atomically like every checkpoint.
 *
 * <pre>
 *  0                                      version
 *  1                                      entries
 *  5d1c3c4e-8a52-4f43-9a59-6b6ad1e0c2a7   topic id
 * </pre>
 */
public final class PartitionMetadataFile {

    public static final String NAME = "partition.metadata";

    private static final CheckpointFile.Format<UUID> FORMAT = new CheckpointFile.Format<>() {
        @Override
        public String toLine(UUID id) {
            return id.toString();
        }

        @Override
        public UUID fromLine(String line) {
            return UUID.fromString(line.trim());
        }
    };

    private PartitionMetadataFile() {
    }

    /** The recorded topic id; empty when the file is absent, unreadable or corrupt. */
    public static Optional<UUID> read(Path partitionDir) {
        try {
            List<UUID> ids = new CheckpointFile<>(partitionDir.resolve(NAME), FORMAT).read();
            return ids.size() == 1 ? Optional.of(ids.get(0)) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public static void write(Path partitionDir, UUID topicId) throws IOException {
        new CheckpointFile<>(partitionDir.resolve(NAME), FORMAT).write(List.of(topicId));
    }
}
