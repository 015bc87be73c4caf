package dev.runnel.gateway.web;

import org.springframework.http.HttpStatus;

/**
 * A request the gateway refuses (in the REST proxy, the REST consumers or admin routing), with the
 * HTTP status and the problem type {@link GatewayProblems} answers it with.
 */
public class ProxyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final HttpStatus status;
    private final String type;

    public ProxyException(HttpStatus status, String type, String message) {
        super(message);
        this.status = status;
        this.type = type;
    }

    public HttpStatus status() {
        return status;
    }

    /** The last part of the problem's {@code type} URI, such as {@code unknown-topic}. */
    public String type() {
        return type;
    }
}
