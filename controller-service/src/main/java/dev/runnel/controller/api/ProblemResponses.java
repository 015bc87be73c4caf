package dev.runnel.controller.api;

import java.net.URI;
import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

import dev.runnel.cluster.web.Problems;
import dev.runnel.controller.metadata.AdminException;

/**
 * Turns refusals into RFC 9457 problem responses: {@link AdminException} with its reason's status
 * and a {@code type} naming the reason, and Spring MVC's own errors (unreadable JSON, wrong method,
 * unknown path) through {@link ResponseEntityExceptionHandler}.
 */
@RestControllerAdvice
class ProblemResponses extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemResponses.class);

    @ExceptionHandler(AdminException.class)
    ResponseEntity<ProblemDetail> refused(AdminException e) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(e.reason().status()),
                e.getMessage());
        String reason = e.reason().name().toLowerCase(Locale.ROOT).replace('_', '-');
        problem.setType(URI.create(Problems.TYPE_BASE + reason));
        problem.setTitle(title(e.reason()));
        ResponseEntity.BodyBuilder builder = ResponseEntity.status(e.reason().status());
        if (e.reason() == AdminException.Reason.NOT_CONTROLLER) {
            builder.header("Retry-After", "1");
        }
        return builder.body(problem);
    }

    /** Anything else is a fault of ours: a 500 problem, logged, never a bare error page. */
    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        log.error("Admin request failed", e);
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
                "The controller failed to handle the request: " + e.getMessage());
        problem.setType(URI.create(Problems.TYPE_BASE + "internal-error"));
        problem.setTitle("Internal error");
        return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR).body(problem);
    }

    private static String title(AdminException.Reason reason) {
        String words = reason.name().toLowerCase(Locale.ROOT).replace('_', ' ');
        return Character.toUpperCase(words.charAt(0)) + words.substring(1);
    }
}
