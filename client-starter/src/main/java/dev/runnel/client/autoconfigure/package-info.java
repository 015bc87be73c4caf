/**
 * The starter's Spring Boot side: the auto-configurations ({@link
 * dev.runnel.client.autoconfigure.RunnelClientAutoConfiguration}, {@link
 * dev.runnel.client.autoconfigure.LogListenerAutoConfiguration}), the {@code runnel.client.*}
 * properties, one class per group, the health indicator and the Micrometer metrics. The top of the
 * starter: depends on {@code core}, {@code listener} and {@code support}, on Spring Boot and,
 * optionally, on Micrometer and Boot's health support; nothing in the starter depends on it.
 */
package dev.runnel.client.autoconfigure;
