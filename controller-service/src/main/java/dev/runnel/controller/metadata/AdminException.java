package dev.runnel.controller.metadata;

/**
 * An admin request the controller refuses, before changing anything, or ({@link
 * Reason#OUTCOME_UNKNOWN}) one whose fate it cannot tell. The REST API turns it into a problem
 * response with the error's HTTP status.
 */
public final class AdminException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why a request was refused, with the HTTP status it maps to. */
    public enum Reason {
        INVALID_TOPIC(400),
        INVALID_PARTITIONS(400),
        INVALID_REPLICATION_FACTOR(400),
        INVALID_REPLICA_ASSIGNMENT(400),
        INVALID_CONFIG(400),
        INVALID_REQUEST(400),
        UNKNOWN_TOPIC(404),
        UNKNOWN_PARTITION(404),
        UNKNOWN_GROUP(404),
        TOPIC_EXISTS(409),
        /** A cancellation of a partition reassignment that is not under way. */
        NO_REASSIGNMENT_IN_PROGRESS(409),
        NOT_CONTROLLER(503),
        /** The change was submitted but not decided in time: it may still be applied. Not to be repeated blindly. */
        OUTCOME_UNKNOWN(504);

        private final int status;

        Reason(int status) {
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final Reason reason;

    public AdminException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
