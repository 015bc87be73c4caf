/**
 * The active controller's channels to the brokers ({@link
 * dev.runnel.controller.channel.BrokerChannels}): one FIFO queue per broker, retried with back-off,
 * and how far each broker's metadata lags. Depends on {@code metadata} (the commands), cluster-api
 * (the internal HTTP client) and {@code dev.runnel.common.time}; not on Spring or ZooKeeper.
 */
package dev.runnel.controller.channel;
