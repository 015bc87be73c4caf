/**
 * A sample Spring Boot application on the starter: orders come in over HTTP, go to the {@code
 * orders} topic with {@code LogTemplate}, and two {@code @LogListener} groups read them. Depends on
 * the starter's public API ({@code dev.runnel.client.core}, {@code dev.runnel.client.listener})
 * only.
 */
package dev.runnel.examples.orders;
