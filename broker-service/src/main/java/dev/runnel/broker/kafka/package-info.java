/**
 * The thin adapter over {@code kafka-clients}' internal classes (record batches, compression).
 *
 * <p>Those classes are internal API of Apache Kafka and move between releases (the record classes
 * moved to {@code org.apache.kafka.common.record.internal} in 4.3), so no other Runnel package
 * imports them: a library upgrade changes only this package.
 */
package dev.runnel.broker.kafka;
