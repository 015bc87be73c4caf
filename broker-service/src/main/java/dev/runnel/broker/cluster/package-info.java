/**
 * This broker as a member of the cluster: its registration in ZooKeeper
 * ({@code BrokerRegistration}, {@code ClusterMembership} with controlled shutdown), the controller's
 * commands received over internal HTTP and applied in order on their own thread
 * ({@code ControllerCommands}), the clients of the active controller's API
 * ({@code ControllerClient}, {@code ControllerAdminClient}, {@code ProducerIdManager}) and the log
 * directories' identity. Applies commands to the replica manager; may use config, metadata,
 * replication and storage, never the protocol handlers.
 */
package dev.runnel.broker.cluster;
