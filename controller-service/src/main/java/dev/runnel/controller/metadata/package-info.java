/**
 * The controller's decisions and the metadata they change: the state machine fed by events that
 * returns the ZooKeeper writes and broker commands of each decision ({@link
 * dev.runnel.controller.metadata.ControllerStateMachine}, {@link
 * dev.runnel.controller.metadata.Decision}), partition reassignment as Kafka's KIP-455 does it,
 * which the state machine delegates to ({@link dev.runnel.controller.metadata.Reassignments}: grow
 * to the targets and the originals, wait for the adding replicas to join the ISR, then shrink,
 * moving leadership off a removed leader; the move is kept in the topic record, so a new
 * controller carries it on), leader elections asked for by operators and the automatic
 * preferred-leader balancing ({@link dev.runnel.controller.metadata.PreferredLeaders}), a broker's
 * replicas on a failed log directory taken offline ({@link
 * dev.runnel.controller.metadata.OfflineReplicas}: out of the ISR, leadership moved), the cluster
 * model, the leadership rules, and the ZooKeeper store that
 * loads the metadata and commits decisions fenced by the controller epoch. Depends on {@code
 * placement}, cluster-api, common, Curator and ZooKeeper; not on Spring, HTTP or the other
 * controller packages.
 */
package dev.runnel.controller.metadata;
