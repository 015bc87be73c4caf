/**
 * A single-node ZooKeeper, ZooKeeper's own standalone server run in this JVM ({@link
 * dev.runnel.zookeeper.LocalZooKeeper}, also a runnable jar), for {@code bin/quickstart} and, on
 * port 0, for the cluster tests; production uses an external ensemble. Depends on ZooKeeper's
 * server and SLF4J only, nothing of Runnel.
 */
package dev.runnel.zookeeper;
