/**
 * The REST proxy: producing ({@code POST /topics/...}), topics, brokers, consumer groups, the
 * cluster overview and the console's message browser, through the gateway's own Kafka clients.
 * Depends on the gateway's root package, {@code web}, {@code routing} (where the active controller
 * is, for the overview), cluster-api and {@code dev.runnel.common.time}; only {@code consumer}
 * depends on it.
 */
package dev.runnel.gateway.proxy;
