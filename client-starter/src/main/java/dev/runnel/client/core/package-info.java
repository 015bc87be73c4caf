/**
 * Producing and topics: {@link dev.runnel.client.core.LogTemplate}, a thin facade over Spring
 * Kafka's {@code KafkaTemplate} kept for applications written against it, and {@link
 * dev.runnel.client.core.LogAdmin}, which creates topics. Depends on {@code support}, Spring Kafka
 * and {@code kafka-clients}; not on Spring Boot or on {@code listener}.
 */
package dev.runnel.client.core;
