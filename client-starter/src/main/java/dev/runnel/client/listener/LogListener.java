package dev.runnel.client.listener;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a bean method as the listener of a consumer group: the starter runs {@code concurrency}
 * consumers in the group, each on its own thread, and calls the method for every record (or, with
 * {@code batch}, for every poll's records). Offsets are committed after the method returns.
 *
 * <p>It is processed into a Spring Kafka endpoint and container (a {@code MethodKafkaListenerEndpoint}
 * in a {@code ConcurrentMessageListenerContainer}), with the starter's defaults: JSON payloads,
 * retries that pause only the failing partition, then {@code <topic>.DLT}. So what Spring Kafka
 * offers a {@code @KafkaListener} method works here too: {@code @SendTo} replies, {@code @Header}
 * and {@code @Payload} parameters, {@code @Valid} payloads, record filters, interceptors and
 * observation set on the container factory, {@code BatchListenerFailedException} in a batch.
 *
 * <p>Every attribute may hold {@code ${...}} placeholders and {@code #{...}} SpEL expressions.
 *
 * <p>The method's parameters, in any order: the payload (converted to the declared type, or a
 * {@code List} of payloads for a batch listener), {@link LogKey @LogKey}, {@link LogHeader @LogHeader},
 * {@link LogPartition @LogPartition} and {@link LogOffset @LogOffset} values, the record's
 * {@code Headers}, the {@code ConsumerRecord} itself (or a {@code List} of them for a batch
 * listener), the {@code Consumer}, and an {@link Acknowledgment} (the starter's or Spring Kafka's)
 * for manual commits; and any parameter Spring Kafka resolves for {@code @KafkaListener}.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface LogListener {

    /** The container's id (for the registry, pause and resume); generated when empty. */
    String id() default "";

    /** The topics to subscribe to; or use {@link #topicPattern()}. */
    String[] topics() default {};

    /** A regular expression of topics to subscribe to, instead of {@link #topics()}. */
    String topicPattern() default "";

    /** The consumer group; {@code runnel.client.consumer.group-id} when empty. */
    String groupId() default "";

    /** How many consumers (threads) of the group this container runs; the factory's default when empty. */
    String concurrency() default "";

    /** Whether the container starts with the application; true when empty. */
    String autoStartup() default "";

    /** Kafka consumer properties of this listener only, as {@code key=value}. */
    String[] properties() default {};

    /**
     * The bean name of the Spring Kafka {@code KafkaListenerContainerFactory}; the starter's
     * {@code logListenerContainerFactory} when empty.
     */
    String containerFactory() default "";

    /** The bean name of a Spring Kafka {@code CommonErrorHandler} for this listener only; the factory's when empty. */
    String errorHandler() default "";

    /** Whether the method gets a poll's records as one list ({@code "true"}) or one record a call. */
    String batch() default "";
}
