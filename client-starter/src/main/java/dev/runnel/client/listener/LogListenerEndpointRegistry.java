package dev.runnel.client.listener;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.context.SmartLifecycle;

/**
 * Every listener container of the application, by id. It starts the auto-started ones with the
 * application context and stops them all before the context's beans (the producer among them)
 * are closed.
 */
public class LogListenerEndpointRegistry implements SmartLifecycle {

    /** Late to start, early to stop. */
    public static final int PHASE = Integer.MAX_VALUE - 100;

    private final Map<String, LogListenerContainer> containers = new LinkedHashMap<>();
    private volatile boolean running;

    /** Makes the endpoint's container with {@code factory}; started at once if the registry runs. */
    public synchronized LogListenerContainer register(LogListenerEndpoint endpoint, LogListenerContainerFactory factory) {
        if (containers.containsKey(endpoint.id())) {
            throw new IllegalStateException("two @LogListener containers with the id " + endpoint.id());
        }
        LogListenerContainer container = factory.createContainer(endpoint);
        containers.put(endpoint.id(), container);
        if (running && container.isAutoStartup()) {
            container.start();
        }
        return container;
    }

    /** The container with this id, or null. */
    public synchronized LogListenerContainer getListenerContainer(String id) {
        return containers.get(id);
    }

    public synchronized Collection<LogListenerContainer> getListenerContainers() {
        return List.copyOf(containers.values());
    }

    @Override
    public synchronized void start() {
        for (LogListenerContainer container : containers.values()) {
            if (container.isAutoStartup()) {
                container.start();
            }
        }
        running = true;
    }

    @Override
    public synchronized void stop() {
        running = false;
        containers.values().forEach(LogListenerContainer::stop);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
