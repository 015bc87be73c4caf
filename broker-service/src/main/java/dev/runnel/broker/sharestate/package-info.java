/**
 * The share coordinator (KIP-932): the durable state of share partitions, for the share partitions
 * whose {@code __share_group_state} partition this broker leads. Other brokers reach it through the
 * {@link dev.runnel.broker.sharestate.ShareStatePersister} (the application package's implementation
 * routes each call to the coordinator of its key, here or over the inter-broker APIs
 * InitializeShareGroupState, ReadShareGroupState, WriteShareGroupState, DeleteShareGroupState and
 * ReadShareGroupStateSummary, which {@code protocol/ShareStateHandler} serves).
 *
 * <p>What it owns: per share partition ({@code groupId:topicId:partition}) its state epoch, the
 * leader epoch of its writer, its start offset, delivery complete count and in-flight batches; the
 * records of {@code __share_group_state} in Kafka 4.x's layout; loading a partition when this
 * broker becomes its leader and dropping it when it stops. What it depends on:
 * {@link dev.runnel.broker.sharestate.ShareStateLog}, through which records are appended with
 * acks=all and read back (the replica manager, wired by the application package), a clock, its
 * executors, and whether a topic partition exists. It knows nothing about the wire and speaks only
 * Kafka error codes.
 *
 * <pre>
 *  ShareCoordinator        the API: served here? loaded? then the key's turn on the partition's queue;
 *                          append what was decided, replay it, answer; load and unload
 *  ShareStateShard         one __share_group_state partition's states: decide (validation, fencing), replay
 *    ShareStateDecision    what an operation decided: records, and the answer once they are written
 *  ShareSnapshot           one share partition's stored state (ShareSnapshotValue)
 *  ShareStateRecord(Codec) the records of __share_group_state and their bytes
 * </pre>
 *
 * <p><b>Records: a whole snapshot per change.</b> Every change (initialize, write, a read that
 * takes over at a newer leader epoch) writes a {@code ShareSnapshot} record holding the partition's
 * whole state; a delete writes its tombstone; compaction keeps the latest per key. Kafka also writes
 * {@code ShareUpdate} deltas between snapshots, to keep each write small when a share partition
 * holds many in-flight batches; here the persister's contract is that a write carries the whole
 * state anyway (it replaces the stored one), so a snapshot costs no more to build than a delta, a
 * load needs no merging, and the topic never holds a delta whose snapshot the cleaner has already
 * removed. That is also why the topic is compacted: Kafka's is {@code cleanup.policy=delete} with
 * {@code retention.ms=-1}, trimmed by DeleteRecords up to the oldest snapshot still needed, since
 * compaction could drop a snapshot a later delta depends on; with snapshots only, the latest record
 * per key is the whole state. A {@code ShareUpdate} record found on load (written by another
 * implementation) is skipped and counted.
 *
 * <p><b>Fencing.</b> A write whose leader epoch is older than the stored one is FENCED_LEADER_EPOCH,
 * one whose state epoch is older FENCED_STATE_EPOCH; a read at a newer leader epoch first writes
 * that epoch, so once it is answered the previous leader's writes are fenced, also after the
 * coordinator moves; an initialization with an older state epoch is FENCED_STATE_EPOCH. A leader
 * epoch of -1 (Kafka's "not given") is not fenced and keeps the stored one; so does a start offset
 * of -1 in a write. A bad request (empty group id, no topic id, negative partition or epochs,
 * overlapping or unordered batches, a delivery state other than 0, 2, 4) is INVALID_REQUEST and a
 * topic partition that does not exist UNKNOWN_TOPIC_OR_PARTITION; neither writes anything.
 *
 * <p><b>Durability and one apply path.</b> An operation decides its records and answer without
 * changing the state ({@link dev.runnel.broker.sharestate.ShareStateShard}); once the ISR has the
 * records (acks=all, at the leader epoch the partition was loaded at, so a deposed coordinator's
 * write fails) they are replayed and only then answered. Loading replays the partition's records
 * through the same method, so a new coordinator has exactly what the old one acknowledged. A failed
 * write answers the produce error as Kafka's coordinators do (NOT_COORDINATOR,
 * COORDINATOR_NOT_AVAILABLE), and changes nothing.
 *
 * <p><b>Threads.</b> Each hosted partition has a {@link dev.runnel.common.concurrent.SerialQueue}
 * that owns its shard; the operations of one key run one at a time (the next decides on what the
 * previous one's records left), operations of different keys interleave while their writes wait for
 * the ISR. Loading reads on its own executor and publishes on the queue; until then the partition
 * answers COORDINATOR_LOAD_IN_PROGRESS. Each election makes a new hosted partition, so a completion
 * for a replaced one applies nothing and answers NOT_COORDINATOR.
 *
 * <p><b>Not served:</b> {@code ShareUpdate} deltas and Kafka's periodic cold-partition snapshots
 * (every record is already a snapshot); pruning the state of deleted topics (Kafka's
 * {@code maybeCleanupShareState}); the coordinator's metrics. A read of a key with no state writes
 * nothing (Kafka writes an empty snapshot to record the reader's leader epoch).
 */
package dev.runnel.broker.sharestate;
