package dev.runnel.client.listener;

/** The listener method threw; the cause is what it threw. */
public class ListenerInvocationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ListenerInvocationException(String message, Throwable cause) {
        super(message, cause);
    }
}
