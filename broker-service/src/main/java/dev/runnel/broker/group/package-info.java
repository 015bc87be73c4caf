/**
 * The group coordinator: Kafka's classic consumer group protocol and committed offsets, for the
 * groups whose {@code __consumer_offsets} partition this broker leads.
 *
 * <p>What it owns: group membership and rebalances (JoinGroup, SyncGroup, Heartbeat, LeaveGroup),
 * committed offsets (OffsetCommit, OffsetFetch, OffsetDelete, retention), group administration
 * (ListGroups, DescribeGroups, DeleteGroups), and the records it writes to {@code __consumer_offsets}
 * in Kafka's layout. What it depends on: {@link dev.runnel.broker.group.GroupLog}, through which
 * records are appended with acks=all and read back (implemented by the protocol layer over the
 * replica manager), a clock and a scheduler. The Kafka handlers in {@code protocol/} call it; it
 * knows nothing about the wire.
 *
 * <pre>
 *  GroupCoordinator      JoinGroup/SyncGroup/Heartbeat/LeaveGroup entry: serves the group here? then its queue
 *    JoinGroups          joins: new, known and restarted static members
 *    SyncGroups          the leader's assignment: written, replayed, handed out
 *    Rebalancer          rebalance phases and timers (initial delay, join, sync)
 *    MemberSessions      session timers, Heartbeat
 *  GroupOffsets          OffsetCommit, OffsetFetch, OffsetDelete, offset expiry
 *  GroupAdmin            ListGroups, DescribeGroups, DeleteGroups
 *  GroupMetadataManager  which offsets partitions are hosted and loaded, the groups, writes and replay
 *  ClassicGroup          one group's state (RebalancePhase: its rebalance in progress; GroupMember: a member)
 *  GroupRecord(Codec)    the records of __consumer_offsets and their bytes
 * </pre>
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
 * <p><b>Threads.</b> Everything about one group runs on its {@link dev.runnel.broker.group.SerialQueue}
 * (requests, timers, write completions), so a group's state needs no locks; loading runs on its own
 * executor and publishes the loaded groups at the end.
 */
package dev.runnel.broker.group;
