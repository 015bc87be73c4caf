/**
 * Requests that wait for a condition (Kafka's delayed operations): a
 * {@link dev.runnel.broker.purgatory.DelayedOperation} is checked when something it watches changes
 * and completes once its condition holds or its timeout passes. Generic; the replica manager keeps
 * the produce and fetch purgatories. Depends on no other broker package.
 */
package dev.runnel.broker.purgatory;
