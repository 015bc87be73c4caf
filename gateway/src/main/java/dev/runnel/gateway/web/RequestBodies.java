package dev.runnel.gateway.web;

import java.io.IOException;
import java.io.InputStream;

import org.springframework.http.HttpStatus;
import org.springframework.util.unit.DataSize;

import jakarta.servlet.http.HttpServletRequest;

/** Reading a request body no larger than {@code runnel.gateway.max-request-size}. */
public final class RequestBodies {

    private RequestBodies() {
    }

    /** The whole body; one over {@code limit} (declared or actual) is refused with 413 before more is read. */
    public static byte[] read(HttpServletRequest request, DataSize limit) throws IOException {
        long max = limit.toBytes();
        if (request.getContentLengthLong() > max) {
            throw tooLarge(max);
        }
        try (InputStream in = request.getInputStream()) {
            byte[] body = in.readNBytes((int) max + 1);
            if (body.length > max) {
                throw tooLarge(max);
            }
            return body;
        }
    }

    private static ProxyException tooLarge(long max) {
        return new ProxyException(HttpStatus.CONTENT_TOO_LARGE, "request-too-large",
                "the request body is over runnel.gateway.max-request-size (" + max + " bytes)");
    }
}
