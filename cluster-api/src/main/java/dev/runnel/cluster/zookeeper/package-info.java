/**
 * ZooKeeper authentication and ACLs of every service that connects: the {@code runnel.zookeeper.*}
 * settings ({@link dev.runnel.cluster.zookeeper.ZooKeeperSettings}), the ACLs a cluster's nodes get
 * ({@link dev.runnel.cluster.zookeeper.NamespaceAcls}, Curator's ACL provider), putting them on nodes
 * made before authentication was on ({@link dev.runnel.cluster.zookeeper.NamespaceAclRepair}), and the
 * Spring Cloud Zookeeper customizer that wires both into a service's Curator client. Depends on
 * Curator, ZooKeeper's client and Spring Cloud Zookeeper; no other package of cluster-api uses it.
 */
package dev.runnel.cluster.zookeeper;
