/**
 * JMH benchmarks of the broker's partition log: appends and reads on a log opened as the broker
 * opens it. Depends on broker-service's {@code storage} and {@code kafka} packages, common and the
 * test fixtures.
 */
package dev.runnel.bench.storage;
