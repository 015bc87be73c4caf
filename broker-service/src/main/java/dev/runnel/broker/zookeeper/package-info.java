/**
 * Cluster-wide state the brokers keep in ZooKeeper themselves, without the controller: a mirror of
 * a subtree that every broker watches ({@link dev.runnel.broker.zookeeper.WatchedNodes}), writes as
 * compare-and-set on one node ({@link dev.runnel.broker.zookeeper.CasUpdate}), config overrides per
 * entity ({@code ConfigOverrides}): the groups'
 * config overrides ({@link dev.runnel.broker.zookeeper.GroupConfigStore}, {@code /config/groups}) and the
 * dynamic broker configs ({@link dev.runnel.broker.zookeeper.BrokerConfigStore}, {@code /config/brokers}).
 * The ACLs and SCRAM credentials ({@code security}) are kept the same way. A write through one
 * broker is read back by that broker before it answers, and reaches the others moments later.
 */
package dev.runnel.broker.zookeeper;
