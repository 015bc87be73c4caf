/**
 * The gateway application and what its features share: {@link
 * dev.runnel.gateway.GatewayApplication}, the {@code runnel.gateway.*} settings and their defaults,
 * the wall clock and ticker, the brokers the gateway starts from ({@link
 * dev.runnel.gateway.ClusterDirectory}) and its own Kafka clients ({@link
 * dev.runnel.gateway.GatewayClients}). Depends on {@code web}, cluster-api and common; the feature
 * packages ({@code proxy}, {@code consumer}, {@code routing}) depend on it, never the other way
 * round.
 */
package dev.runnel.gateway;
