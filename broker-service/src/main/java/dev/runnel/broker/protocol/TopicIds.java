package dev.runnel.broker.protocol;

import java.util.Optional;
import java.util.UUID;

import org.apache.kafka.common.Uuid;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.TopicInfo;

/** Topic ids between the wire's {@link Uuid} and the cluster's {@link UUID}. */
final class TopicIds {

    private TopicIds() {
    }

    static UUID toUuid(Uuid id) {
        return new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    static Uuid toWire(UUID id) {
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    /** The name of the topic with this id, if the metadata knows one. */
    static Optional<String> nameOf(MetadataCache metadata, Uuid id) {
        return metadata.topicById(toUuid(id)).map(TopicInfo::name);
    }
}
