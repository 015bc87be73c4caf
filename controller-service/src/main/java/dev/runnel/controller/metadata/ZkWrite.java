package dev.runnel.controller.metadata;

import java.util.Map;

import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.ProducerIdBlock;
import dev.runnel.cluster.TopicRecord;

/**
 * A change to the metadata in ZooKeeper decided by the state machine. The store performs the writes
 * of one decision in as few transactions as ZooKeeper's request size allows, each conditional on the
 * controller epoch, and each write conditional on the version the store last read or wrote; a topic
 * change too big for one transaction is split around a commit point (see {@link ZkMetadataStore}).
 */
public sealed interface ZkWrite {

    /** A new topic with the initial state of each partition. */
    record CreateTopic(String name, TopicRecord topic, Map<Integer, PartitionState> states) implements ZkWrite {

        public CreateTopic {
            states = Map.copyOf(states);
        }
    }

    /** A changed topic record (configs, or partitions added along with {@code newStates}). */
    record UpdateTopic(String name, TopicRecord topic, Map<Integer, PartitionState> newStates) implements ZkWrite {

        public UpdateTopic {
            newStates = Map.copyOf(newStates);
        }
    }

    record SetPartitionState(String topic, int partition, PartitionState state) implements ZkWrite {
    }

    record DeleteTopic(String name, int partitionCount) implements ZkWrite {
    }

    /** The block of producer ids just handed out; creates the node for the first block. */
    record SetProducerIdBlock(ProducerIdBlock block, boolean first) implements ZkWrite {
    }
}
