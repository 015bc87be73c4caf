package dev.runnel.cluster.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

import dev.runnel.common.process.PortFile;

/**
 * Writes the {@link PortFile} once the service is ready: its HTTP port ({@code local.server.port},
 * the port the web server bound, which {@code server.port=0} leaves to the kernel) and every
 * {@link ListenerPort} and {@link ListenerPorts}. Ready means started: a broker has bound its Kafka listener and registered.
 */
final class PortFileWriter implements ApplicationListener<ApplicationReadyEvent> {

    private static final Logger log = LoggerFactory.getLogger(PortFileWriter.class);

    private final Path file;
    private final ObjectProvider<ListenerPort> listeners;
    private final ObjectProvider<ListenerPorts> namedListeners;

    PortFileWriter(Path file, ObjectProvider<ListenerPort> listeners, ObjectProvider<ListenerPorts> namedListeners) {
        this.file = file;
        this.listeners = listeners;
        this.namedListeners = namedListeners;
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        Map<String, Integer> ports = new TreeMap<>();
        Integer http = event.getApplicationContext().getEnvironment().getProperty("local.server.port", Integer.class);
        if (http != null) {
            ports.put("http", http);
        }
        for (ListenerPort listener : listeners.orderedStream().toList()) {
            ports.put(listener.name(), listener.port().getAsInt());
        }
        for (ListenerPorts named : namedListeners.orderedStream().toList()) {
            ports.putAll(named.ports().get());
        }
        try {
            new PortFile(ProcessHandle.current().pid(), ports).write(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the port file " + file, e);
        }
        log.info("Listening on {}; written to {}", ports, file);
    }
}
