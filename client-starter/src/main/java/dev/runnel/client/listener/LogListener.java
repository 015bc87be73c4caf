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
 * <p>Every attribute may hold {@code ${...}} placeholders and {@code #{...}} SpEL expressions.
 *
 * <p>The method's parameters, in any order: the payload (converted to the declared type, or a
 * {@code List} of payloads for a batch listener), {@link LogKey @LogKey}, {@link LogHeader @LogHeader},
 * {@link LogPartition @LogPartition} and {@link LogOffset @LogOffset} values, the record's
 * {@code Headers}, the {@code ConsumerRecord} itself (or a {@code List} of them for a batch
 * listener), the {@code Consumer}, and an {@link Acknowledgment} for manual commits.
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

    /** The bean name of the {@link LogListenerContainerFactory}; the default factory when empty. */
    String containerFactory() default "";

    /** The bean name of the {@link LogErrorHandler}; the factory's when empty. */
    String errorHandler() default "";

    /** Whether the method gets a poll's records as one list ({@code "true"}) or one record a call. */
    String batch() default "";
}
