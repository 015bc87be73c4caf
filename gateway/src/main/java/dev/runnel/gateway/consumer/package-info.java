/**
 * REST consumers in the style of the Strimzi Kafka Bridge: consumer instances in a group, each a
 * {@code KafkaConsumer} of the gateway's, created, polled, committed and closed over HTTP, and
 * closed when idle. Depends on the gateway's root package, {@code web}, and {@code proxy} for the
 * record formats ({@code EmbeddedFormat}); nothing depends on it.
 */
package dev.runnel.gateway.consumer;
