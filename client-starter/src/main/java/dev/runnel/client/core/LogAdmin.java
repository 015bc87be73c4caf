package dev.runnel.client.core;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics an application declares as {@link NewTopic} beans, when they do not exist
 * yet (existing ones are left as they are). A cluster that cannot be reached is logged, not fatal:
 * the application starts, and its sends fail until the topics exist.
 */
public class LogAdmin {

    private static final Logger log = LoggerFactory.getLogger(LogAdmin.class);

    private final Map<String, Object> config;
    private final Duration timeout;

    public LogAdmin(Map<String, Object> config, Duration timeout) {
        this.config = Map.copyOf(config);
        this.timeout = timeout;
    }

    /** Creates those of {@code topics} that are missing; the names it created. */
    public Set<String> createMissing(List<NewTopic> topics) {
        if (topics.isEmpty()) {
            return Set.of();
        }
        Admin admin = Admin.create(config);
        try {
            Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t.name())).toList();
            if (missing.isEmpty()) {
                return Set.of();
            }
            Set<String> created = new TreeSet<>();
            admin.createTopics(missing).values().forEach((name, future) -> {
                try {
                    future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    created.add(name);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        log.warn("Cannot create topic {}: {}", name, e.getCause().toString());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (TimeoutException e) {
                    log.warn("Cannot create topic {}: no answer within {}", name, timeout);
                }
            });
            log.info("Created topics {}", created);
            return created;
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Cannot reach the cluster to create topics {}: {}", topics.stream().map(NewTopic::name).toList(),
                    e.toString());
            return Set.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Set.of();
        } finally {
            admin.close(Duration.ofSeconds(5));
        }
    }
}
