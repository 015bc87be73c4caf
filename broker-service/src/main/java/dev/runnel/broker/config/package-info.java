/**
 * The broker's settings, {@code runnel.broker.*} ({@link dev.runnel.broker.config.BrokerProperties}),
 * with Kafka's names in their descriptions. Depends on no other broker package.
 */
package dev.runnel.broker.config;
