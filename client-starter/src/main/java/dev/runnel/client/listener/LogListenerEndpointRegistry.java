package dev.runnel.client.listener;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.springframework.kafka.config.AbstractKafkaListenerContainerFactory;
import org.springframework.kafka.config.KafkaListenerContainerFactory;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties.AckMode;
import org.springframework.kafka.listener.MessageListenerContainer;

/**
 * The {@link LogListener} containers of the application, by id. Each endpoint is checked (so a
 * listener that cannot be served stops the application at startup, naming what to change) and
 * then registered with Spring Kafka's {@link KafkaListenerEndpointRegistry}, the lifecycle
 * component that starts and stops every listener container, {@code @KafkaListener}s' included.
 */
public class LogListenerEndpointRegistry {

    private final KafkaListenerEndpointRegistry registry;
    private final ListenerObserver observer;
    private final Map<String, LogListenerContainer> containers = new LinkedHashMap<>();

    public LogListenerEndpointRegistry(KafkaListenerEndpointRegistry registry, ListenerObserver observer) {
        this.registry = registry;
        this.observer = observer;
    }

    /** Makes the endpoint's container with {@code factory}; started at once if the application runs already. */
    public synchronized LogListenerContainer register(LogListenerEndpoint endpoint, KafkaListenerContainerFactory<?> factory) {
        String id = endpoint.getId();
        if (containers.containsKey(id) || registry.getListenerContainer(id) != null) {
            throw new IllegalStateException("two listener containers with the id " + id);
        }
        check(endpoint, factory);
        endpoint.setObserver(observer);
        registry.registerListenerContainer(endpoint, factory, false);
        MessageListenerContainer container = registry.getListenerContainer(id);
        if (endpoint.errorHandler() != null) {
            ((AbstractMessageListenerContainer<?, ?>) container).setCommonErrorHandler(endpoint.errorHandler());
        }
        LogListenerContainer handle = endpoint.container();
        handle.attach(container);
        containers.put(id, handle);
        observer.registered(handle);
        if (registry.isRunning() && container.isAutoStartup()) {
            container.start();
        }
        return handle;
    }

    /** The container with this id, or null. */
    public synchronized LogListenerContainer getListenerContainer(String id) {
        return containers.get(id);
    }

    public synchronized Collection<LogListenerContainer> getListenerContainers() {
        return List.copyOf(containers.values());
    }

    /** Whether Spring Kafka's registry has started the containers. */
    public boolean isRunning() {
        return registry.isRunning();
    }

    private static void check(LogListenerEndpoint endpoint, KafkaListenerContainerFactory<?> factory) {
        String where = "@LogListener " + endpoint.getId();
        if (!(factory instanceof AbstractKafkaListenerContainerFactory<?, ?, ?> configured)
                || configured.getConsumerFactory() == null) {
            return; // a factory of the application's own making: Spring Kafka checks what it can
        }
        Map<String, Object> config = new HashMap<>(configured.getConsumerFactory().getConfigurationProperties());
        endpoint.getConsumerProperties().forEach((k, v) -> config.put(k.toString(), v));
        if (endpoint.getGroupId() != null) {
            config.put(ConsumerConfig.GROUP_ID_CONFIG, endpoint.getGroupId());
        }
        Object group = config.get(ConsumerConfig.GROUP_ID_CONFIG);
        if (group == null || group.toString().isEmpty()) {
            throw new IllegalStateException(where
                    + " has no consumer group: give it a groupId or set runnel.client.consumer.group-id");
        }
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        new ConsumerConfig(config); // a bad setting fails now, naming itself
        AckMode ackMode = configured.getContainerProperties().getAckMode();
        boolean acknowledges = List.of(endpoint.getMethod().getParameterTypes()).stream().anyMatch(
                t -> t == Acknowledgment.class || SpringAcknowledgments.isSpringAcknowledgment(t));
        if (acknowledges && ackMode != AckMode.MANUAL && ackMode != AckMode.MANUAL_IMMEDIATE) {
            throw new IllegalStateException(where + " (" + endpoint.getMethod().getName()
                    + ") takes an Acknowledgment, but the ack mode is " + ackMode
                    + ": set runnel.client.listener.ack-mode to MANUAL or MANUAL_IMMEDIATE");
        }
    }
}
