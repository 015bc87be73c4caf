/**
 * The broker's settings, {@code runnel.broker.*} ({@link dev.runnel.broker.config.BrokerProperties}),
 * with Kafka's names in their descriptions, and the configs that change while it runs: Kafka's group
 * configs and the dynamic broker configs ({@link dev.runnel.broker.config.DynamicBrokerConfigs}).
 * Depends on no other broker package.
 */
package dev.runnel.broker.config;
