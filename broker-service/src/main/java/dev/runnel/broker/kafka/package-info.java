/**
 * The wire adapter over {@code kafka-clients}: request and response frames ({@link
 * dev.runnel.broker.kafka.KafkaWire}, {@link dev.runnel.broker.kafka.ResponseFrame}), a follower's
 * client to its leader ({@link dev.runnel.broker.kafka.ReplicaFetchClient}) and the consumer
 * protocol's member metadata.
 *
 * <p>It sits above {@code storage}: a fetch response's records field is a {@code storage.FileSlice}
 * sent zero-copy. The record format (batches, compression) is not here but one layer down, in
 * {@code dev.runnel.broker.record}, which {@code storage} uses too; {@code storage} never imports
 * this package, so the dependency runs one way.
 *
 * <p>kafka-clients' internal classes are internal API of Apache Kafka and move between releases
 * (the record classes moved to {@code org.apache.kafka.common.record.internal} in 4.3), so no
 * Runnel package other than this one and {@code record} imports them: a library upgrade changes
 * only these two packages.
 */
package dev.runnel.broker.kafka;
