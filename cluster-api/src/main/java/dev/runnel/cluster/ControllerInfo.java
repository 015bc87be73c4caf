package dev.runnel.cluster;

/**
 * The active controller, as it records itself in {@link ZkPaths#CONTROLLER} when it takes over.
 *
 * @param id    the controller's configured id
 * @param url   the base URL of its HTTP API (admin and internal)
 * @param epoch the controller epoch it took over with
 */
public record ControllerInfo(int id, String url, int epoch) {
}
