package dev.runnel.broker.security;

import java.util.Objects;

/**
 * An error and the message to send with it, as one item of a response carries them (Kafka's
 * {@code ApiError}). The message is meant for the client: it never holds a secret.
 *
 * @param error   the wire error, {@link SecurityError#NONE} for success
 * @param message the message, {@code null} for success
 */
public record ApiError(SecurityError error, String message) {

    public static final ApiError NONE = new ApiError(SecurityError.NONE, null);

    public ApiError {
        Objects.requireNonNull(error, "error");
    }

    public static ApiError of(SecurityError error, String message) {
        return new ApiError(error, message);
    }

    public boolean isFailure() {
        return error != SecurityError.NONE;
    }

    public short code() {
        return error.code();
    }
}
