/**
 * The record format: RecordBatch v2 bytes built, decoded and inspected with {@code kafka-clients}'
 * internal record and compression classes ({@link dev.runnel.broker.record.KafkaRecordBatches},
 * {@link dev.runnel.broker.record.RecordCodec}), and the log cleaner's key walk and batch rewrite
 * ({@link dev.runnel.broker.record.CompactionRecords}, over {@code MemoryRecords.filterTo}).
 *
 * <p>It is the bottom layer of the broker: it depends only on the JDK and {@code kafka-clients},
 * never on another broker package. {@code storage} comes here to look inside compressed batches,
 * and the packages above storage (the offsets topic's log in {@code protocol}, tests, benchmarks)
 * to build and decode batches. Like {@code kafka}, it is a thin adapter: kafka-clients' record
 * classes are internal API of Apache Kafka and move between releases (to
 * {@code org.apache.kafka.common.record.internal} in 4.3), so a library upgrade changes only these
 * two packages.
 *
 * <pre>
 *   protocol, replication, group, cluster, ...
 *        |                     |
 *        v                     v
 *      kafka  ---------->   storage
 *   (wire frames)              |
 *                              v
 *                           record  ------>  kafka-clients' record classes
 * </pre>
 */
package dev.runnel.broker.record;
