package dev.runnel.broker.replication;

/** A request a partition refused for its replication state; nothing was changed. */
public final class ReplicaException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ReplicaError error;

    public ReplicaException(ReplicaError error, String message) {
        super(message, null, false, false);
        this.error = error;
    }

    public ReplicaError error() {
        return error;
    }
}
