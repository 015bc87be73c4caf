/**
 * What operators see: Actuator health indicators, Micrometer metrics, the groups endpoint and
 * {@code GET /api/v1/broker}. Reads every other package; nothing depends on it.
 */
package dev.runnel.broker.ops;
