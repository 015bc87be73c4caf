/**
 * The controller's HTTP API: the admin REST API ({@code /api/v1/**}: topics, brokers, partition
 * reassignments, drain and rebalance with their replication throttles; errors as RFC 9457 problems), the internal API brokers call (AlterPartition,
 * ControlledShutdown), the controller status, and the filter that forwards calls from a standby to
 * the active controller, with its registration. The outermost layer: may depend on every other
 * package of the controller, on cluster-api and on Spring MVC; nothing depends on it.
 */
package dev.runnel.controller.api;
