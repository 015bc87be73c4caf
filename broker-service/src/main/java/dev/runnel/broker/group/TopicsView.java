package dev.runnel.broker.group;

import java.util.Optional;
import java.util.UUID;

/**
 * The topics as this broker's metadata knows them, as the consumer group protocol needs them:
 * ids and partition counts by name (implemented over the metadata cache by the application).
 */
public interface TopicsView {

    /** A topic: its id, name and number of partitions. */
    record Topic(UUID id, String name, int partitions) {
    }

    Optional<Topic> byName(String name);

    Optional<Topic> byId(UUID id);

    /** No topics at all (tests of other APIs). */
    TopicsView NONE = new TopicsView() {
        @Override
        public Optional<Topic> byName(String name) {
            return Optional.empty();
        }

        @Override
        public Optional<Topic> byId(UUID id) {
            return Optional.empty();
        }
    };
}
