package dev.runnel.broker.protocol;

/**
 * Completes a request whose client must learn of a failure although it gets no answer: an
 * {@code acks=0} produce that failed. The connection sends the answers before it and closes, and
 * the client refreshes its metadata on reconnecting, as with Kafka.
 */
final class CloseConnectionException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    CloseConnectionException(String message) {
        super(message, null, false, false);
    }
}
