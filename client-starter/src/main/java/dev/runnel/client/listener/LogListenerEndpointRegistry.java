package dev.runnel.client.listener;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

/**
 * Every listener container of the application, by id. It starts the auto-started ones with the
 * application context and stops them all before the context's beans (the producer among them)
 * are closed.
 */
public class LogListenerEndpointRegistry implements SmartLifecycle, DisposableBean {

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

    /** Starts the auto-started containers; if one cannot start, those started are stopped again. */
    @Override
    public synchronized void start() {
        running = true;
        try {
            for (LogListenerContainer container : containers.values()) {
                if (container.isAutoStartup()) {
                    container.start();
                }
            }
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    /** Stops every container: all are told first, then each is waited for. */
    @Override
    public synchronized void stop() {
        running = false;
        containers.values().forEach(LogListenerContainer::signalStop);
        containers.values().forEach(LogListenerContainer::stop);
    }

    @Override
    public void destroy() {
        stop();
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
