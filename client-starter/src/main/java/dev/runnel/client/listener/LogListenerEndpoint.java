package dev.runnel.client.listener;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One {@link LogListener} method with its attributes resolved: what the registry makes a
 * container from.
 *
 * @param concurrency  consumers of the container, or null for the factory's default
 * @param autoStartup  whether it starts with the application, or null for the factory's default
 * @param errorHandler the listener's own error handler, or null for the factory's
 */
public record LogListenerEndpoint(String id, List<String> topics, Pattern topicPattern, String groupId,
        Integer concurrency, Boolean autoStartup, Map<String, String> properties, boolean batch, Object bean,
        Method method, LogErrorHandler errorHandler) {

    public LogListenerEndpoint {
        topics = List.copyOf(topics);
        properties = Map.copyOf(properties);
        if (topics.isEmpty() == (topicPattern == null)) {
            throw new IllegalStateException("@LogListener " + id + " needs either topics or a topicPattern");
        }
        if (concurrency != null && concurrency < 1) {
            throw new IllegalStateException("@LogListener " + id + ": concurrency must be at least 1, not " + concurrency);
        }
    }

    /** What it subscribes to, for logs. */
    public String subscription() {
        return topicPattern != null ? "pattern " + topicPattern.pattern() : String.join(",", topics);
    }
}
