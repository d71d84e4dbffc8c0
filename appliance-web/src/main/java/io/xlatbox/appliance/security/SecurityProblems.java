package io.xlatbox.appliance.security;

import java.net.URI;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** {@link SecurityProblem}s as RFC 9457 problem documents, in the style of the configuration's ProblemHandler. */
@RestControllerAdvice(basePackageClasses = SecurityProblems.class)
public class SecurityProblems {
    static final String TYPES = "https://xlatbox.io/problems/";

    @ExceptionHandler(SecurityProblem.class)
    public ResponseEntity<ProblemDetail> problem(SecurityProblem e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(e.status(), e.getMessage());
        p.setType(URI.create(TYPES + e.type()));
        p.setTitle(e.title());
        if (!e.errors().isEmpty()) {
            p.setProperty("errors", e.errors().stream()
                    .map(f -> Map.of("field", f.field(), "message", f.message())).toList());
        }
        ResponseEntity.BodyBuilder r = ResponseEntity.status(e.status());
        if (e.retryAfter() != null) {
            r.header(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, e.retryAfter().toSeconds())));
        }
        return r.body(p);
    }
}
