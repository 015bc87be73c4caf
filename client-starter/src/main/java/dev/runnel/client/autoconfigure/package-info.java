/**
 * The starter's Spring Boot side: the auto-configurations ({@link
 * dev.runnel.client.autoconfigure.RunnelClientAutoConfiguration} for the producer factory, {@code
 * KafkaTemplate}, {@code LogTemplate} and topics; {@link
 * dev.runnel.client.autoconfigure.LogListenerAutoConfiguration} for {@code @EnableKafka}, the
 * consumer factory, the container factories and the default error handler), the {@code
 * runnel.client.*} properties, one class per group, a service connection's Kafka details taking
 * the place of {@code runnel.client.bootstrap-servers} ({@link
 * dev.runnel.client.autoconfigure.KafkaConnectionDetailsBinder}), startup checks ({@code
 * fail-fast}), the health indicator and the Micrometer metrics. The top of the starter: depends on
 * {@code core}, {@code listener} and {@code support}, on Spring Boot and Spring Kafka and,
 * optionally, on Micrometer, Boot's health support and Boot's Kafka support ({@code
 * spring-boot-kafka}, for {@code KafkaConnectionDetails}); nothing in the starter depends on it.
 */
package dev.runnel.client.autoconfigure;
