/**
 * The starter's Spring Boot side: the auto-configurations ({@link
 * dev.runnel.client.autoconfigure.RunnelClientAutoConfiguration} for the producer factory, {@code
 * KafkaTemplate}, {@code LogTemplate} and topics; {@link
 * dev.runnel.client.autoconfigure.LogListenerAutoConfiguration} for {@code @EnableKafka}, the
 * consumer factory, the container factories and the default error handler), the {@code
 * runnel.client.*} properties, one class per group, startup checks ({@code fail-fast}), the health
 * indicator and the Micrometer metrics. The top of the starter: depends on {@code core}, {@code
 * listener} and {@code support}, on Spring Boot and Spring Kafka and, optionally, on Micrometer and
 * Boot's health support; nothing in the starter depends on it.
 */
package dev.runnel.client.autoconfigure;
