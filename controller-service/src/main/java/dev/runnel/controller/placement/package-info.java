/**
 * Replica placement for new partitions, as Apache Kafka's rack-aware assignment does it ({@link
 * dev.runnel.controller.placement.ReplicaPlacement}), and the plans that drain brokers or balance
 * replicas and preferred leaders over them ({@link dev.runnel.controller.placement.RebalancePlanner}).
 * Pure functions on plain values: depends on the JDK only.
 */
package dev.runnel.controller.placement;
