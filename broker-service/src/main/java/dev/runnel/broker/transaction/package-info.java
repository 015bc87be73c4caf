/**
 * The transaction coordinator: Kafka's transactional producer protocol (InitProducerId with a
 * transactional id, AddPartitionsToTxn and its KIP-890 verify-only form, AddOffsetsToTxn, EndTxn,
 * DescribeTransactions, ListTransactions) for the transactional ids whose
 * {@code __transaction_state} partition this broker leads, at transaction.version 1.
 *
 * <p>What it owns: each id's producer id and epoch, its open transaction (state, partitions, start
 * time, timeout), the records it writes to {@code __transaction_state} in Kafka's layout, the abort
 * of transactions open past their timeout and the expiry of idle ids. What it depends on:
 * {@link dev.runnel.broker.transaction.TransactionLog}, through which records are appended with
 * acks=all and read back, {@link dev.runnel.broker.transaction.TransactionMarkerSender}, which
 * writes COMMIT/ABORT markers into the transaction's partitions, a producer-id supplier, the group
 * coordinator's partitioning (for AddOffsetsToTxn), a clock and a scheduler. All are injected;
 * the root package wires them over the replica manager and the inter-broker client. The handlers in
 * {@code protocol/} call it; it knows nothing about the wire and speaks only Kafka error codes.
 *
 * <pre>
 *  TransactionCoordinator   the API: is the id served here? then its partition's queue
 *    TransactionAdmin       DescribeTransactions, ListTransactions
 *    EndTransactions        EndTxn, fences, timeouts' aborts: Prepare* written, markers, Complete* written
 *    TransactionExpiry      the timers: abort timed-out transactions, expire idle ids (tombstones)
 *  TransactionStateManager  the hosted __transaction_state partitions: load, unload, ids, appends
 *  TransactionMetadata      one id; prepareX / completeTransition / abortPending
 *    TransactionState       the states, their byte ids, names and legal predecessors
 *    TransactionTransition  what one transition makes of an id: the next record's value
 *  TransactionLogCodec      the bytes of __transaction_state records (Kafka's key v0, value v0/v1)
 * </pre>
 *
 * <p><b>Two phases, one apply path.</b> As in Kafka, a change is prepared
 * ({@code TransactionMetadata.prepareX} checks it against the state table, sets a pending state and
 * returns a {@link dev.runnel.broker.transaction.TransactionTransition}), written to the partition
 * with acks=all as its leader at the coordinator epoch it was loaded at, and only then applied
 * ({@code completeTransition}); a failed write clears the pending state and the request gets the
 * write's error as Kafka maps it. While a transition is pending, other requests for the id get
 * CONCURRENT_TRANSACTIONS. The transition is the record's value: loading a partition applies the
 * last decoded value of each id, so a new coordinator has exactly what the old one wrote (except
 * the last producer epoch, which Kafka does not persist either).
 *
 * <p><b>Ending a transaction.</b> EndTxn on an Ongoing transaction writes PrepareCommit or
 * PrepareAbort and answers the producer; the markers then go out through the sender, and once every
 * partition has them CompleteCommit or CompleteAbort is written. A load finishes every transaction
 * it finds in Prepare*. InitProducerId on an Ongoing transaction, and the timeout timer, abort it
 * with a fence: the epoch is bumped (never handed out), so the old producer is fenced, and
 * InitProducerId answers CONCURRENT_TRANSACTIONS until the abort is complete. An epoch at
 * {@code Short.MAX_VALUE - 1} is exhausted: the next InitProducerId moves the id to a new producer id.
 *
 * <p><b>Threads.</b> Everything about the ids of one {@code __transaction_state} partition runs on
 * that partition's serial queue (requests, timers, write and marker completions), so the metadata
 * needs no locks; loading reads on its own executor and publishes the ids on the queue. Each
 * election creates a fresh partition entry, and a completion arriving for a replaced one applies
 * nothing and answers NOT_COORDINATOR. A new producer id (possibly a blocking call to the
 * controller) is taken before the queue is entered whenever it can be.
 *
 * <p><b>Not served:</b> transaction.version 2 (KIP-890 part 2: an epoch bump per EndTxn, implicit
 * AddPartitions, {@code NextProducerId}); the partitions still awaiting markers are not tracked, so
 * DescribeTransactions lists all of a Prepare* transaction's partitions.
 */
package dev.runnel.broker.transaction;
