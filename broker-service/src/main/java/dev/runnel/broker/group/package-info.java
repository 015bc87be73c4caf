/**
 * The group coordinator: Kafka's classic group protocol, the consumer group protocol (KIP-848,
 * {@code group.protocol=consumer}), share groups (KIP-932, {@code KafkaShareConsumer}) and
 * committed offsets, for the groups whose {@code __consumer_offsets} partition this broker leads.
 *
 * <p>What it owns: group membership and rebalances (JoinGroup, SyncGroup, Heartbeat, LeaveGroup),
 * committed offsets (OffsetCommit, OffsetFetch, OffsetDelete, retention), transactional offsets
 * (TxnOffsetCommit, and the COMMIT/ABORT markers of {@code __consumer_offsets}, which it writes
 * itself), group administration (ListGroups, DescribeGroups, DeleteGroups), share groups'
 * membership and offsets administration (ShareGroupHeartbeat, ShareGroupDescribe,
 * Describe/Alter/DeleteShareGroupOffsets), and the records it writes to {@code __consumer_offsets}
 * in Kafka's layout. What it depends on:
 * {@link dev.runnel.broker.group.GroupLog}, through which records are appended with acks=all and
 * read back (implemented over the replica manager by the application package), a
 * {@link dev.runnel.broker.group.TransactionVerifier} (the transaction coordinator, asked whether an
 * offsets partition is in a producer's transaction), the share contracts (a share group's settings
 * from {@code ShareGroupConfigs}, share-partition state through the share coordinator's
 * {@code ShareStatePersister}), a {@link dev.runnel.broker.group.ConsumerProtocolCodec} (the
 * classic consumer protocol's bytes, over kafka-clients in the application package, for the
 * online migration), a clock and a scheduler. The Kafka handlers in
 * {@code protocol/} call it; it knows nothing about the wire.
 *
 * <pre>
 *  GroupCoordinator      JoinGroup/SyncGroup/Heartbeat/LeaveGroup entry: serves the group here? then its queue
 *    JoinGroups          joins: new, known and restarted static members
 *    SyncGroups          the leader's assignment: written, replayed, handed out
 *    Rebalancer          rebalance phases and timers (initial delay, join, sync)
 *    MemberSessions      session timers, Heartbeat
 *  ConsumerGroupCoordinator  ConsumerGroupHeartbeat, ConsumerGroupDescribe entry, classic members' requests;
 *                      sessions, revocation deadlines
 *    ConsumerHeartbeats  a heartbeat's records and answer: members, group epoch, target (the assignor)
 *    ClassicMembers      JoinGroup/SyncGroup/Heartbeat/LeaveGroup of classic members of a consumer group
 *    GroupMigration      upgrade and downgrade between the protocols (group.consumer.migration.policy)
 *    ClassicConsumerProtocol  classic subscriptions and assignments by topic id (ConsumerProtocolCodec's bytes)
 *    MemberReconciler    a member's next assignment: revoke first, assign what nobody else holds
 *    UniformAssignor, RangeAssignor  the server-side assignors (PartitionAssignor)
 *  ShareGroupCoordinator ShareGroupHeartbeat, ShareGroupDescribe entry; sessions
 *    ShareHeartbeats     a share heartbeat's records and answer: members, group epoch, target (SimpleAssignor)
 *    ShareStateInitializer  newly subscribed share partitions' state initialized through the ShareStatePersister
 *  ShareGroupOffsets     Describe/Alter/DeleteShareGroupOffsets; a share group's state deleted with it
 *  GroupWrites           one write at a time for a consumer or share group's operations
 *  GroupOffsets          OffsetCommit, OffsetFetch (RequireStable), OffsetDelete, offset expiry
 *  TransactionalOffsets  TxnOffsetCommit (verified with the TransactionVerifier), transaction markers
 *  GroupAdmin            ListGroups, DescribeGroups, DeleteGroups
 *  GroupMetadataManager  which offsets partitions are hosted and loaded, the groups, writes and replay
 *    PartitionWrites     one partition's appends, handed back in log order; open transactions by producer
 *  ClassicGroup          one group id's state (RebalancePhase: its rebalance in progress; GroupMember: a member)
 *    MemberRegistry      a classic group's members, static and pending members, the protocol they agree on
 *    WriteTurn           a consumer or share group's write in flight, and the operations waiting for it
 *    ConsumerGroup       a consumer group's epochs, members, target and current assignments
 *    ShareGroup          a share group's epochs, members, target, assignments and state partitions
 *    OffsetStore         its committed offsets, and those pending in producers' open transactions
 *  GroupRecord(Codec)    the records of __consumer_offsets and their bytes (ConsumerRecords: KIP-848's,
 *                        ShareRecords: KIP-932's)
 * </pre>
 *
 * <p><b>The consumer group protocol.</b> A group id is a classic group or a consumer group, never
 * both. An empty classic group (offsets only) becomes a consumer group at its first heartbeat, and an
 * empty consumer group a classic one at its first JoinGroup (the tombstones of its consumer group
 * records written first), offsets kept. Members choose their ids and heartbeat with their epoch (0
 * joins, -1 leaves, -2 a static member's restart), subscribed to topic names or a regular expression
 * (RE2 syntax, matched against the topics at each heartbeat). A change of members, subscriptions or subscribed
 * topics' metadata bumps the group epoch; the assignor ({@code uniform} by default, or
 * {@code range}) then computes the target assignment at that epoch, and each member reconciles
 * towards its part on its own heartbeats: it revokes first (UNREVOKED_PARTITIONS, its epoch held
 * back), and a partition is assigned to it only once no other member holds it
 * (UNRELEASED_PARTITIONS). Its records are Kafka 4.x's (ConsumerGroupMetadata,
 * ConsumerGroupMemberMetadata, ConsumerGroupTargetAssignmentMetadata/Member,
 * ConsumerGroupCurrentMemberAssignment), decided and replayed like every other record. The
 * operations of one consumer group write one at a time: each decides on the state the previous
 * one's replayed records left. Sessions ({@code group.consumer.session.timeout.ms}) and revocation
 * deadlines (the member's rebalance timeout) are timers on the group's queue, started afresh when a
 * coordinator loads the group. Not served: rack-aware assignment, filtering regex matches by the
 * member's ACLs.
 *
 * <p><b>Online migration</b> ({@code group.consumer.migration.policy}, {@link dev.runnel.broker.group.GroupMigration}).
 * Upgrade: a consumer-protocol member joining a classic group whose members use the "consumer"
 * protocol type makes it a consumer group in one write: the consumer group's records (each classic
 * member with its subscription and the assignment its leader gave it, decoded from the embedded
 * consumer protocol, its epoch the generation, and Kafka's {@code ClassicMemberMetadata}), then the
 * classic group's tombstone, which, replayed into a group that is by then a consumer group, ends
 * only its classic membership (parked joins and syncs are told REBALANCE_IN_PROGRESS; offsets stay),
 * then the joining member's records. Classic members of a consumer group ({@code ClassicMembers}):
 * a JoinGroup is decided as a heartbeat at the member's epoch with the owned partitions its
 * subscription carries, answered with its member epoch as the generation and no leader; SyncGroup
 * hands it its current assignment encoded in the consumer protocol; Heartbeat answers
 * REBALANCE_IN_PROGRESS when it must rejoin (the group epoch moved past it, it must revoke, or what
 * it waits for was released), after which it must join, and once joined sync, within its rebalance
 * timeout (Kafka's join and sync timers, instead of the revocation deadline); its session is its own
 * session timeout; a static classic member under a new member id replaces the old one. Downgrade: the last
 * consumer-protocol member leaving (or removed) while classic members remain tombstones the
 * consumer group and writes a classic group metadata record in its place (generation the group
 * epoch, each member's target as its assignment); once replayed the classic group rebalances. With
 * the policy {@code disabled}, a consumer heartbeat to a classic group with members is
 * GROUP_ID_NOT_FOUND and a JoinGroup to a consumer group with members INCONSISTENT_GROUP_PROTOCOL.
 *
 * <p><b>Share groups.</b> A group id is a share group or of another type, never both: a share
 * heartbeat to a classic group (offsets-only included) or a consumer group is GROUP_ID_NOT_FOUND,
 * and so are a consumer heartbeat and OffsetCommit/Fetch/Delete to a share group, a JoinGroup
 * INCONSISTENT_GROUP_PROTOCOL; an empty share group stays one until DeleteGroups (offset expiry
 * leaves it alone). Members choose their ids and heartbeat with their epoch (0 joins, and joins
 * again; -1 leaves), subscribed to topic names. A change of members, subscriptions or subscribed
 * topics' metadata bumps the group epoch; {@code SimpleAssignor} then gives every subscribed
 * partition whose share-partition state is initialized to at least one member (round-robin; with
 * more members than partitions, each member one partition, so partitions are shared), and a member
 * takes its target at its next heartbeat, at once, its epoch the target's: share partitions are not
 * owned, so nothing is revoked first.
 * Sessions ({@code share.session.timeout.ms} per group from {@code ShareGroupConfigs}, by default
 * {@code group.share.session.timeout.ms}) remove silent members. The partitions a group has
 * subscribed to are its state partitions (Kafka's ShareGroupStatePartitionMetadata): initializing
 * until the share coordinator has initialized their state ({@code ShareStateInitializer}, which
 * then bumps the group epoch so they are assigned), then initialized; DescribeShareGroupOffsets
 * without topics reads these, AlterShareGroupOffsets (empty group only) initializes a partition at
 * the next state epoch and adds it, DeleteShareGroupOffsets (empty group only) and DeleteGroups
 * delete the state and the record. Its records are Kafka 4.x's (ShareGroupMetadata,
 * ShareGroupMemberMetadata, ShareGroupTargetAssignmentMetadata/Member,
 * ShareGroupCurrentMemberAssignment, ShareGroupStatePartitionMetadata), decided and replayed like
 * every other record. Not served: rack-aware or sticky share assignment, the deleting-topics half of
 * ShareGroupStatePartitionMetadata (deletions call the persister first and then drop the topic),
 * the lag of partitions this broker does not lead (-1), creating a share group by
 * AlterShareGroupOffsets, and {@code group.share.max.size} per group.
 *
 * <p><b>One apply path.</b> An operation that persists decides its records and its answer first
 * ({@link dev.runnel.broker.group.CoordinatorResult}) without changing the group; once
 * {@code __consumer_offsets} has them on the ISR, {@code GroupMetadataManager.replay} applies them,
 * and loading a partition replays its records through the same method. So what a new coordinator
 * rebuilds is exactly what the old one had persisted. An offset commit, class by class:
 * {@code GroupOffsetsHandler} to {@code GroupOffsets.commit} (validates the member and generation on
 * the group's queue, decides the records) to {@code GroupMetadataManager.writeOffsets} (GroupLog
 * append, outcome back on the group's queue) to {@code GroupMetadataManager.replay} to
 * {@code ClassicGroup.replayOffset}, then the answer. What is not written (a rebalance in progress,
 * parked requests, timers, sessions) lives only in memory and starts afresh after a move.
 *
 * <p><b>Transactions.</b> A TxnOffsetCommit writes ordinary offset records in one transactional
 * batch of the producer; replayed, they are pending in the producer's transaction until its
 * marker: COMMIT makes them committed (unless a later plain commit, at a higher record offset,
 * holds the partition), ABORT drops them; a tombstone drops them too. Since a marker must be applied
 * after the offsets it completes, every write of a partition is handed back in log order
 * ({@code PartitionWrites}), whatever order the ISR acknowledges them in, and a load replays
 * batches, markers included, in log order.
 *
 * <p><b>Threads.</b> Everything about one group runs on its {@link dev.runnel.common.concurrent.SerialQueue}
 * (requests, timers, write completions), so a group's state needs no locks; loading runs on its own
 * executor and publishes the loaded groups at the end.
 */
package dev.runnel.broker.group;
