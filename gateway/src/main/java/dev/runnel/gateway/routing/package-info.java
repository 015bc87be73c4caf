/**
 * Admin routing: {@code /api/v1/**} relayed to the active controller, found in ZooKeeper and
 * through Spring Cloud Zookeeper discovery ({@link dev.runnel.gateway.routing.ControllerLocator}),
 * retried across a failover until a deadline. Depends on the gateway's root package, {@code web},
 * cluster-api and {@code dev.runnel.common.time}; {@code proxy} uses its locator.
 */
package dev.runnel.gateway.routing;
