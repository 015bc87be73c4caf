/**
 * {@link dev.runnel.client.listener.LogListener} processing on Spring Kafka. The split is Spring
 * Kafka's own: {@link dev.runnel.client.listener.LogListenerAnnotationBeanPostProcessor} only
 * finds and resolves listener methods into {@link dev.runnel.client.listener.LogListenerEndpoint}s
 * (Spring Kafka {@code MethodKafkaListenerEndpoint}s); {@link
 * dev.runnel.client.listener.LogListenerEndpointRegistry} checks each and registers it with Spring
 * Kafka's {@code KafkaListenerEndpointRegistry}, the lifecycle component that runs every
 * container ({@code ConcurrentMessageListenerContainer}s of single-threaded consumers); error
 * handling is Spring Kafka's pluggable {@code CommonErrorHandler} (by default its {@code
 * DefaultErrorHandler} with a {@code DeadLetterPublishingRecoverer} onto {@link
 * dev.runnel.client.listener.DeadLetterTopics}).
 *
 * <p>What is the starter's own, on top: the payload rules ({@link
 * dev.runnel.client.listener.LogMessageConverter}), the parameters Spring Kafka lacks ({@code
 * LogArgumentResolvers}: {@code @LogKey}, {@code @LogHeader}, {@code @LogPartition},
 * {@code @LogOffset}, the starter's {@code Acknowledgment}), the timing and lag measurement around
 * each call ({@code ObservedListener}, for the metrics and the health indicator), seek futures
 * ({@link dev.runnel.client.listener.SeekCallback} on Spring Kafka's callback), and dead-letter
 * topics created like their source topics.
 *
 * <p>Depends on {@code support}, Spring Kafka, {@code kafka-clients} and Spring's beans and
 * context; not on Spring Boot, nor on {@code core}.
 */
package dev.runnel.client.listener;
