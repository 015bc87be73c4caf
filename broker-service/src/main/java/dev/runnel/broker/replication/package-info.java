/**
 * Partitions and their replicas on this broker.
 *
 * <ul>
 *   <li>{@link dev.runnel.broker.replication.ReplicaManager}: hosts the
 *       {@link dev.runnel.broker.replication.Partition}s and is the one way records are appended
 *       ({@code appendRecords}: acks, the wait for the ISR in the produce purgatory) and read
 *       ({@code fetchMessages}: consumers, followers and coordinators, the long poll in the fetch
 *       purgatory). The controller's LeaderAndIsr, UpdateMetadata and StopReplica reach it and are
 *       applied, fenced, by {@code ControllerCommandHandler} ({@code PartitionTransitions} for the
 *       two phases of a LeaderAndIsr).</li>
 *   <li>{@link dev.runnel.broker.replication.Partition}: one partition's log and the paths that
 *       append to and read from it; {@code PartitionLeadership} holds its leader or follower state,
 *       ISR changes ({@code IsrState}, KIP-497), the followers' positions and the high watermark.</li>
 *   <li>Followers: {@code ReplicaFetcherManager} and one {@code ReplicaFetcher} thread per leader;
 *       {@code AlterPartitionManager} proposes ISR changes to the controller.</li>
 *   <li>Log directories (JBOD): {@code HostedLogs} says which directory holds a log and where a new
 *       one goes; {@link dev.runnel.broker.replication.ReplicaLogDirMover} moves replicas between
 *       directories (AlterReplicaLogDirs: a future log filled, then swapped in by the replica
 *       manager); {@link dev.runnel.broker.replication.LogDirFailureHandler} takes a failed
 *       directory's partitions offline and reports them to the controller.</li>
 *   <li>Throttles: {@link dev.runnel.broker.replication.ReplicationQuota}, Kafka's replication quota
 *       (a rate over sampled windows against a dynamic bound), one for the leader's answers to
 *       followers outside the ISR and one for the follower's fetches.</li>
 * </ul>
 *
 * Uses storage, the wire adapter (followers' fetch client), metadata, purgatory and security;
 * knows nothing of the protocol handlers, the group coordinator or cluster membership.
 */
package dev.runnel.broker.replication;
