package dev.runnel.broker.storage;

/**
 * A refused storage operation, typed by its {@link LogError}. An append that throws this has
 * changed nothing: neither the files nor the log's offsets.
 */
public class LogException extends RuntimeException {

    private final LogError error;

    public LogException(LogError error, String message) {
        super(message);
        this.error = error;
    }

    public LogException(LogError error, String message, Throwable cause) {
        super(message, cause);
        this.error = error;
    }

    public LogError error() {
        return error;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + error + "]: " + getMessage();
    }
}
