/**
 * What controllers and brokers say to each other and keep in ZooKeeper: the layout ({@link
 * dev.runnel.cluster.ZkPaths}) and its records, with their JSON form ({@link
 * dev.runnel.cluster.ClusterJson}); the internal HTTP API's paths, requests, responses and errors
 * ({@link dev.runnel.cluster.InternalApi}, {@link dev.runnel.cluster.ClusterError}) and its client;
 * the bodies of the controller's reassignment API, which brokers call ({@link
 * dev.runnel.cluster.PartitionReassignments}) and leader election API ({@link
 * dev.runnel.cluster.LeaderElections});
 * the topic configs a cluster accepts; the shared {@code runnel.cluster.*} settings. Depends on
 * Jackson, Curator and ZooKeeper's client, never on a service module or on Spring MVC (that is
 * {@code web}).
 */
package dev.runnel.cluster;
