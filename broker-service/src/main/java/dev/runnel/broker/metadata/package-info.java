/**
 * The cluster as this broker knows it: the last metadata view the controller sent
 * ({@link dev.runnel.broker.metadata.MetadataCache}: brokers, topics, partitions with their leaders
 * and ISR), replaced whole by each newer UpdateMetadata and never moved back. Read by the
 * replication, protocol and cluster packages; depends on no other broker package.
 */
package dev.runnel.broker.metadata;
