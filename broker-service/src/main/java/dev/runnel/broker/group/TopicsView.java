package dev.runnel.broker.group;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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

    /** The names of every topic but the internal ones: what a regular expression subscription matches. */
    Collection<String> names();

    /**
     * A hash of the named topics' names, ids and partition counts: when it changes (partitions
     * added, a topic created, deleted or recreated), a consumer or share group subscribed to them
     * bumps its epoch and recomputes its target.
     */
    default long metadataHash(Set<String> names) {
        long hash = 1125899906842597L;
        for (String name : new TreeSet<>(names)) {
            Optional<Topic> topic = byName(name);
            hash = 31 * hash + name.hashCode();
            if (topic.isPresent()) {
                hash = 31 * hash + topic.get().id().hashCode();
                hash = 31 * hash + topic.get().partitions();
            } else {
                hash = 31 * hash - 1;
            }
        }
        return hash;
    }

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

        @Override
        public Collection<String> names() {
            return List.of();
        }
    };
}
