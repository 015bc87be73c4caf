package dev.runnel.common;

import java.util.regex.Pattern;

/**
 * A partition of a topic. Topic names follow Kafka's rules (1 to 249 characters of
 * {@code [a-zA-Z0-9._-]}, not "." or ".."), so a name that Kafka tools accept is accepted here
 * and the partition's directory name {@code <topic>-<partition>} is always safe on disk.
 */
public record TopicPartition(String topic, int partition) {

    public static final int MAX_TOPIC_NAME_LENGTH = 249;
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");

    public TopicPartition {
        validateTopicName(topic);
        if (partition < 0) {
            throw new IllegalArgumentException("partition must not be negative: " + partition);
        }
    }

    /** Throws {@link IllegalArgumentException} saying what is wrong with {@code topic}, if anything. */
    public static void validateTopicName(String topic) {
        if (topic == null || topic.isEmpty()) {
            throw new IllegalArgumentException("topic name is empty");
        }
        if (topic.equals(".") || topic.equals("..")) {
            throw new IllegalArgumentException("topic name cannot be '.' or '..'");
        }
        if (topic.length() > MAX_TOPIC_NAME_LENGTH) {
            throw new IllegalArgumentException("topic name is " + topic.length() + " characters; at most "
                    + MAX_TOPIC_NAME_LENGTH + " are allowed");
        }
        if (!LEGAL.matcher(topic).matches()) {
            throw new IllegalArgumentException("topic name '" + topic
                    + "' has characters other than ASCII letters, digits, '.', '_' and '-'");
        }
    }

    /** The directory name of this partition's log: {@code <topic>-<partition>}. */
    public String directoryName() {
        return topic + "-" + partition;
    }

    /** Parses a {@link #directoryName()}; throws {@link IllegalArgumentException} if it is not one. */
    public static TopicPartition fromDirectoryName(String name) {
        int dash = name.lastIndexOf('-');
        if (dash <= 0 || dash == name.length() - 1) {
            throw new IllegalArgumentException("'" + name + "' is not a <topic>-<partition> directory name");
        }
        try {
            return new TopicPartition(name.substring(0, dash), Integer.parseInt(name.substring(dash + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + name + "' does not end in a partition number");
        }
    }

    @Override
    public String toString() {
        return directoryName();
    }
}
