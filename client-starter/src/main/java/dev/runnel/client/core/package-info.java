/**
 * Producing and topics: {@link dev.runnel.client.core.LogTemplate} on the application's one shared
 * producer ({@link dev.runnel.client.core.LogProducerFactory}), and {@link
 * dev.runnel.client.core.LogAdmin}, which creates declared topics. Depends on {@code support},
 * {@code kafka-clients} and Spring's bean lifecycle interfaces; not on Spring Boot or on {@code
 * listener}.
 */
package dev.runnel.client.core;
