package dev.runnel.cluster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The bodies of the controller's leader election API ({@code POST /api/v1/elections}), which
 * brokers call for Kafka's ElectLeaders (KIP-460) and the gateway and console may call directly.
 */
public final class LeaderElections {

    private LeaderElections() {
    }

    /** Kafka's election types, with their wire values. */
    public enum Type {
        /** The first replica leads again, if it is alive and in the ISR. */
        PREFERRED((byte) 0),
        /** A partition without a live leader gets one, from outside the ISR if it must: records may be lost. */
        UNCLEAN((byte) 1);

        private final byte value;

        Type(byte value) {
            this.value = value;
        }

        public byte value() {
            return value;
        }

        /** The type of a wire value, or null for one Kafka does not define. */
        public static Type of(byte value) {
            for (Type type : values()) {
                if (type.value == value) {
                    return type;
                }
            }
            return null;
        }
    }

    /** A partition named in a request (boxed, so that a missing field is refused with a message). */
    public record Partition(String topic, Integer partition) {
    }

    /** POST /api/v1/elections: {@code partitions} null elects for every partition of the cluster. */
    public record Request(Type type, List<Partition> partitions) {

        public Request {
            // Keeps null elements, for the controller to refuse with a message rather than a crash.
            partitions = partitions == null ? null : Collections.unmodifiableList(new ArrayList<>(partitions));
        }
    }

    /** A partition's outcome, named as Kafka's error codes of ElectLeaders. */
    public enum Outcome {
        /** Elected: {@code leader} leads with a new leader epoch. */
        NONE,
        /** The partition already has the leader asked for (its preferred one, or any live one for UNCLEAN). */
        ELECTION_NOT_NEEDED,
        /** PREFERRED: the first replica is not alive or not in the ISR. */
        PREFERRED_LEADER_NOT_AVAILABLE,
        /** UNCLEAN: no replica of the partition is alive. */
        ELIGIBLE_LEADERS_NOT_AVAILABLE,
        UNKNOWN_TOPIC_OR_PARTITION
    }

    /**
     * The answer for one partition; an election of every partition lists only those it elected or
     * could not (not those that needed none), as Kafka does.
     *
     * @param leader the partition's leader after the election (-1 if none or unknown)
     */
    public record Result(String topic, int partition, Outcome outcome, int leader, String message) {
    }
}
