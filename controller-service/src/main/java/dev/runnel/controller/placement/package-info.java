/**
 * Replica placement for new partitions, as Apache Kafka's rack-aware assignment does it ({@link
 * dev.runnel.controller.placement.ReplicaPlacement}). Pure functions on plain values: depends on
 * the JDK only.
 */
package dev.runnel.controller.placement;
