package dev.runnel.controller.placement;

/**
 * Replicas cannot be placed as asked: a bad partition count or replication factor, too few live
 * brokers, or rack information on some brokers but not on others. The message says which.
 */
public final class PlacementException extends RuntimeException {

    public PlacementException(String message) {
        super(message);
    }
}
