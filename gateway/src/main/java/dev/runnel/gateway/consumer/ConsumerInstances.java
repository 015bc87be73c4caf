package dev.runnel.gateway.consumer;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.apache.kafka.clients.consumer.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;

import dev.runnel.gateway.proxy.EmbeddedFormat;
import dev.runnel.gateway.web.ProxyException;

/**
 * The REST consumers by group and name. One not used for the idle timeout is closed by
 * {@link #expireIdle()} (the gateway calls it periodically; time comes from the injected clock).
 */
public class ConsumerInstances {

    private static final Logger log = LoggerFactory.getLogger(ConsumerInstances.class);

    private final Map<String, ConsumerInstance> instances = new ConcurrentHashMap<>();
    private final Clock clock;
    private final long idleTimeoutMillis;

    public ConsumerInstances(Clock clock, long idleTimeoutMillis) {
        this.clock = clock;
        this.idleTimeoutMillis = idleTimeoutMillis;
    }

    private static String key(String group, String name) {
        return group + "/" + name;
    }

    /**
     * A new instance {@code name} (a generated one if null) in {@code group}, its consumer made by
     * {@code consumers} from its client id.
     */
    ConsumerInstance create(String group, String name, EmbeddedFormat format,
            Function<String, Consumer<byte[], byte[]>> consumers) {
        String instanceName = name != null ? name : "rest-consumer-" + UUID.randomUUID();
        if (!instanceName.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new ProxyException(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-consumer",
                    "a consumer name is 1 to 200 letters, digits, '.', '_' or '-', not '" + instanceName + "'");
        }
        ConsumerInstance instance = new ConsumerInstance(group, instanceName, format, consumers.apply(instanceName),
                clock.millis());
        if (instances.putIfAbsent(key(group, instanceName), instance) != null) {
            instance.close();
            throw new ProxyException(HttpStatus.CONFLICT, "consumer-exists",
                    "group " + group + " already has a consumer instance " + instanceName);
        }
        log.info("Created REST consumer {} in group {}", instanceName, group);
        return instance;
    }

    /** The instance, marked used now; a 404 problem if there is none. */
    ConsumerInstance get(String group, String name) {
        ConsumerInstance instance = instances.get(key(group, name));
        if (instance == null) {
            throw new ProxyException(HttpStatus.NOT_FOUND, "unknown-consumer",
                    "group " + group + " has no consumer instance " + name + " (it may have been closed after being idle)");
        }
        instance.used(clock.millis());
        return instance;
    }

    void delete(String group, String name) {
        ConsumerInstance instance = instances.remove(key(group, name));
        if (instance == null) {
            throw new ProxyException(HttpStatus.NOT_FOUND, "unknown-consumer",
                    "group " + group + " has no consumer instance " + name);
        }
        instance.close();
        log.info("Deleted REST consumer {} in group {}", name, group);
    }

    /** Closes the instances idle for longer than the timeout; the names closed. */
    public List<String> expireIdle() {
        long now = clock.millis();
        List<String> closed = new ArrayList<>();
        instances.forEach((key, instance) -> {
            if (now - instance.lastUsedMillis() > idleTimeoutMillis && instances.remove(key, instance)) {
                instance.close();
                closed.add(key);
                log.info("Closed REST consumer {} after {} ms idle", key, now - instance.lastUsedMillis());
            }
        });
        return closed;
    }

    /** Closes every instance (the gateway is stopping). */
    public void closeAll() {
        instances.values().forEach(ConsumerInstance::close);
        instances.clear();
    }

    public int size() {
        return instances.size();
    }
}
