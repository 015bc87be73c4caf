/**
 * {@link dev.runnel.client.listener.LogListener} processing, split as spring-kafka splits {@code
 * @KafkaListener}: a bean post-processor that only finds and resolves listener methods, an endpoint
 * registry that is a lifecycle component, containers of single-threaded consumers, and error
 * handling (retry with back-off, dead letters) as a pluggable {@link
 * dev.runnel.client.listener.LogErrorHandler}. Depends on {@code core} (the dead-letter publisher
 * sends on the shared producer), {@code support}, {@code kafka-clients} and Spring's beans and
 * context; not on Spring Boot.
 */
package dev.runnel.client.listener;
