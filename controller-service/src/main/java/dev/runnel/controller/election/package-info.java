/**
 * Becoming and being the active controller: the Curator leader latch ({@link
 * dev.runnel.controller.election.ControllerElection}) and the event loop that owns the state
 * machine, commits its decisions to ZooKeeper and sends their commands ({@link
 * dev.runnel.controller.election.ActiveController}). Depends on {@code metadata}, {@code channel},
 * cluster-api, {@code dev.runnel.common.time}, Curator and Spring's lifecycle interface; not on the
 * HTTP API.
 */
package dev.runnel.controller.election;
