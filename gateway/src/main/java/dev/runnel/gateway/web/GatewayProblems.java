package dev.runnel.gateway.web;

import java.net.URI;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

import dev.runnel.cluster.web.Problems;

/**
 * Every refusal as an RFC 9457 problem: {@link ProxyException} with its status and type, Spring
 * MVC's own errors (wrong method, unknown path, a path variable that is not a number) through
 * {@link ResponseEntityExceptionHandler}, and anything else as a logged 500.
 */
@RestControllerAdvice
class GatewayProblems extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(GatewayProblems.class);

    @ExceptionHandler(ProxyException.class)
    ResponseEntity<ProblemDetail> refused(ProxyException e) {
        return problem(e.status(), e.type(), e.getMessage());
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ProblemDetail> badPathValue(MethodArgumentTypeMismatchException e) {
        return problem(HttpStatus.BAD_REQUEST, "malformed-request", e.getName() + " must be a " +
                (e.getRequiredType() == null ? "valid value" : e.getRequiredType().getSimpleName()));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        log.error("Gateway request failed", e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "The gateway failed: " + e.getMessage());
    }

    private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String type, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(Problems.TYPE_BASE + type));
        problem.setTitle(status.getReasonPhrase());
        return ResponseEntity.status(status).body(problem);
    }
}
