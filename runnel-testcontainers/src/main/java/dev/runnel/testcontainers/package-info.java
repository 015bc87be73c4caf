/**
 * Runnel for Testcontainers: {@link dev.runnel.testcontainers.RunnelContainer}, a whole Runnel
 * (ZooKeeper, a controller, a broker) in one container from the image this module's Dockerfile
 * builds, and {@link dev.runnel.testcontainers.RunnelContainerConnectionDetailsFactory}, its Spring
 * Boot {@code @ServiceConnection} (Kafka connection details, registered in {@code
 * META-INF/spring.factories}). Depends on Testcontainers and Spring Boot's Testcontainers and Kafka
 * support only; nothing of Runnel's server side: the image holds that.
 */
package dev.runnel.testcontainers;
