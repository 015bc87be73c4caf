package dev.runnel.client.listener;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import dev.runnel.client.support.PayloadCodec;

/**
 * Makes the container of a {@link LogListener}: its consumers' settings (the factory's, then the
 * listener's own properties, then its group id), its defaults, the error handler and the
 * conversion of keys and payloads. An application may define several, named by
 * {@link LogListener#containerFactory()}.
 */
public class LogListenerContainerFactory {

    private final Map<String, Object> consumerProperties;
    private final ContainerSettings settings;
    private final PayloadCodec codec;
    private final LogErrorHandler errorHandler;
    private ListenerObserver observer = ListenerObserver.NONE;
    private ConsumerRebalanceListener rebalanceListener;
    private Function<Map<String, Object>, Consumer<byte[], byte[]>> consumerCreator =
            config -> new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    private Clock clock = Clock.systemUTC();

    public LogListenerContainerFactory(Map<String, Object> consumerProperties, ContainerSettings settings,
            PayloadCodec codec, LogErrorHandler errorHandler) {
        this.consumerProperties = Map.copyOf(consumerProperties);
        this.settings = settings;
        this.codec = codec;
        this.errorHandler = errorHandler;
    }

    public ContainerSettings settings() {
        return settings;
    }

    public Map<String, Object> consumerProperties() {
        return consumerProperties;
    }

    public void setObserver(ListenerObserver observer) {
        this.observer = observer;
    }

    /** Told of every rebalance of every consumer this factory makes (after the container's own handling). */
    public void setRebalanceListener(ConsumerRebalanceListener rebalanceListener) {
        this.rebalanceListener = rebalanceListener;
    }

    /** Another way to make consumers, such as a {@code MockConsumer} in tests. */
    public void setConsumerCreator(Function<Map<String, Object>, Consumer<byte[], byte[]>> consumerCreator) {
        this.consumerCreator = consumerCreator;
    }

    /**
     * The time of retry back-offs, listener timings and stop deadlines: the system clock until set.
     * The auto-configured factory has the application's {@link Clock} bean.
     */
    public void setClock(Clock clock) {
        this.clock = clock;
    }

    /** The container of {@code endpoint}; it fails here, at startup, if the listener cannot be served. */
    public LogListenerContainer createContainer(LogListenerEndpoint endpoint) {
        Map<String, Object> config = new HashMap<>(consumerProperties);
        config.putAll(endpoint.properties());
        if (endpoint.groupId() != null && !endpoint.groupId().isEmpty()) {
            config.put(ConsumerConfig.GROUP_ID_CONFIG, endpoint.groupId());
        }
        Object group = config.get(ConsumerConfig.GROUP_ID_CONFIG);
        if (group == null || group.toString().isEmpty()) {
            throw new IllegalStateException("@LogListener " + endpoint.id()
                    + " has no consumer group: give it a groupId or set runnel.client.consumer.group-id");
        }
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        new ConsumerConfig(withDeserializers(config)); // a bad setting fails now, naming itself
        ListenerInvoker invoker = new ListenerInvoker(endpoint.bean(), endpoint.method(), endpoint.batch(), codec);
        if (invoker.acknowledges() && settings.ackMode() != AckMode.MANUAL && settings.ackMode() != AckMode.MANUAL_IMMEDIATE) {
            throw new IllegalStateException(invoker.where() + " takes an Acknowledgment, but the ack mode is "
                    + settings.ackMode() + ": set runnel.client.listener.ack-mode to MANUAL or MANUAL_IMMEDIATE");
        }
        LogErrorHandler handler = endpoint.errorHandler() != null ? endpoint.errorHandler() : errorHandler;
        int concurrency = endpoint.concurrency() != null ? endpoint.concurrency() : settings.concurrency();
        boolean autoStartup = endpoint.autoStartup() != null ? endpoint.autoStartup() : settings.autoStartup();
        Object clientId = config.get(CommonClientConfigs.CLIENT_ID_CONFIG);
        Clock time = clock;
        LongSupplier nanoClock = () -> nanos(time.instant());
        LogListenerContainer container = new LogListenerContainer(endpoint, concurrency, autoStartup,
                settings.shutdownTimeout(), time, index -> {
                    Map<String, Object> own = new HashMap<>(config);
                    if (clientId != null) {
                        own.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId + "-" + endpoint.id() + "-" + index);
                    }
                    Object instanceId = config.get(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
                    if (instanceId != null && concurrency > 1) {
                        // Static members: each consumer needs its own instance id, or they fence each other.
                        own.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId + "-" + index);
                    }
                    return new ListenerConsumer(endpoint.id() + "-" + index, endpoint, settings,
                            consumerCreator.apply(own), invoker, handler, observer, rebalanceListener, nanoClock);
                });
        observer.registered(container);
        return container;
    }

    private static long nanos(Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    private static Map<String, Object> withDeserializers(Map<String, Object> config) {
        Map<String, Object> checked = new HashMap<>(config);
        checked.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        checked.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return checked;
    }
}
