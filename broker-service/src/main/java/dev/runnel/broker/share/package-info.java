/**
 * Share groups on partition leaders (KIP-932, Kafka's queues): the share partitions this broker
 * serves as leader of their topic partitions, the share sessions of share consumers, and the fetch
 * path of ShareFetch. The wire is {@code protocol/ShareFetchHandler}'s; membership and assignment
 * (ShareGroupHeartbeat) are the group coordinator's; the durable state is the
 * {@link dev.runnel.broker.sharestate.ShareStatePersister}'s (the share coordinator over
 * {@code __share_group_state}); a group's settings come from
 * {@link dev.runnel.broker.config.ShareGroupConfigs}. Those two interfaces are the contracts this
 * package meets the others at.
 *
 * <pre>
 *  ShareSessionCache      per (group, member): the partitions fetched here and the next session epoch
 *  ShareFetcher           a ShareFetch's fetch: ReplicaManager.fetchMessages from each next fetch offset
 *                         (the fetch purgatory's long poll, or a wake-up from a share partition), then
 *                         acquisition; LogBatches reads batch headers
 *  SharePartitionManager  the share partitions led here: loaded from the persister at the leader epoch,
 *                         dropped on a leadership change or a failed write
 *  SharePartition         one (group, topic partition): locking, lock timers, writes in order
 *    InFlightRecords      the records between the start offset (SPSO) and the end offset, and their states
 * </pre>
 *
 * <p><b>States.</b> Each in-flight record is a {@link dev.runnel.broker.share.RecordState}:
 * AVAILABLE, ACQUIRED by one member (with a delivery count, incremented at each acquisition, and
 * the lock of its fetch, {@code share.record.lock.duration.ms}), ACKNOWLEDGED or ARCHIVED. Accept
 * acknowledges; Reject and Gap archive; Release, a lock timeout and the end of the member's share
 * session make it AVAILABLE again, or ARCHIVED once its delivery count has reached
 * {@code share.delivery.count.limit}; Renew (v2) restarts the lock. The start offset passes every
 * leading acknowledged or archived record, and records the log no longer has. A fetch acquires
 * AVAILABLE records and new ones from the log (whole batches, or exactly {@code MaxRecords} in the
 * record-limit mode), new ones only while fewer than {@code group.share.partition.max.record.locks}
 * are in flight. With {@code share.isolation.level=read_committed} the log is read up to the last
 * stable offset and the batches of aborted transactions are archived, never delivered.
 *
 * <p><b>Durability.</b> A share partition starts from the persisted state, taken over at the
 * partition's leader epoch (which fences older leaders' writes); with none, from
 * {@code share.auto.offset.reset} (latest: the high watermark; earliest: the log start offset),
 * written before it serves. Every change of what is acknowledged, archived or released is written
 * as the whole state, in order, and an acknowledgement is answered successfully only after its write
 * succeeded: a new leader never redelivers an acknowledged record. Acquisitions are not written, so
 * after a move the records that were acquired are AVAILABLE with their delivery count. A failed
 * write drops the share partition, which is read again at the next request; so does a change of the
 * partition's leadership.
 *
 * <p><b>Threads.</b> Requests run on the request-handler threads, lock timeouts on the broker's
 * scheduler, fetch completions on whichever thread completes the fetch purgatory's wait; a share
 * partition's state is guarded by its monitor (short sections, no I/O inside but the persister's
 * call, whose future completes outside it). No thread waits for a fetch or a write.
 *
 * <p><b>Waiting.</b> A ShareFetch with nothing to acquire waits up to {@code MaxWaitMs}: in the
 * fetch purgatory at its read offsets (woken by appends and leadership changes), and on its share
 * partitions for records to become acquirable (a release, a lock timeout, room under the record
 * locks); the first to come answers, and only it acquires.
 *
 * <p><b>Sessions end</b> when the member closes its session (epoch -1, as {@code KafkaShareConsumer.close}
 * does) or stays idle past {@code share.session.timeout.ms} (a crashed member); what it held is
 * released. Once no member of a group has a session on this broker, the group's share partitions
 * here are dropped (their state is persisted), so what an admin changes while the group is empty
 * (AlterShareGroupOffsets, DeleteShareGroupOffsets) is what the next member reads.
 *
 * <p><b>Left out.</b> {@code BatchSize} is not used to cut acquired ranges. A session is not tied
 * to the member's group membership (the group coordinator, usually on another broker, does not
 * tell this one that a member left); requests are not checked against the group's members. Acquisitions are not persisted, so the delivery counts of records
 * that were only acquired restart from their last persisted value after a move. A record already
 * at {@code share.delivery.count.limit} is archived when fetched (KIP-1240 allows one more
 * delivery after the limit was lowered). ShareFetch answers list every partition of the session,
 * not only those that changed; {@code share.partition.max.record.locks} per group is not read.
 */
package dev.runnel.broker.share;
