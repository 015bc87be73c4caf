/**
 * The controller's decisions and the metadata they change: the state machine fed by events that
 * returns the ZooKeeper writes and broker commands of each decision ({@link
 * dev.runnel.controller.metadata.ControllerStateMachine}, {@link
 * dev.runnel.controller.metadata.Decision}), the cluster model, the leadership rules, and the
 * ZooKeeper store that loads the metadata and commits decisions fenced by the controller epoch.
 * Depends on {@code placement}, cluster-api, common, Curator and ZooKeeper; not on Spring, HTTP or
 * the other controller packages.
 */
package dev.runnel.controller.metadata;
