package io.xlatbox.appliance.config;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.beans.TypeMismatchException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import tools.jackson.core.JacksonException;

/**
 * Errors of the REST API as RFC 9457 problem documents; validation problems list every field with its path.
 * Ordered before Spring Boot's generic problem handler, which would otherwise answer unreadable bodies and bad
 * parameters first, without a type or a useful detail.
 */
@RestControllerAdvice(basePackages = "io.xlatbox.appliance")
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ProblemHandler {
    private static final String TYPES = "https://xlatbox.io/problems/";
    private static final Pattern SECTION = Pattern.compile(".*/api/v1/config/(nat64|dns64|system)/?");

    private static ProblemDetail problem(HttpStatus status, String type, String title, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(URI.create(TYPES + type));
        p.setTitle(title);
        return p;
    }

    @ExceptionHandler(InvalidConfigException.class)
    public ProblemDetail invalid(InvalidConfigException e) {
        ProblemDetail p = problem(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-configuration",
                "The configuration is not valid", e.errors().size() + " field(s) are not valid; nothing was changed");
        List<Map<String, String>> errors = e.errors().stream()
                .map(f -> Map.of("field", f.field(), "message", f.message())).toList();
        p.setProperty("errors", errors);
        return p;
    }

    @ExceptionHandler(VersionConflictException.class)
    public ProblemDetail conflict(VersionConflictException e) {
        ProblemDetail p = problem(HttpStatus.PRECONDITION_FAILED, "version-conflict",
                "The configuration changed meanwhile", e.getMessage());
        p.setProperty("activeVersion", e.active());
        return p;
    }

    @ExceptionHandler(ETags.PreconditionRequiredException.class)
    public ProblemDetail required(ETags.PreconditionRequiredException e) {
        return problem(HttpStatus.PRECONDITION_REQUIRED, "if-match-required", "If-Match is required",
                e.getMessage());
    }

    @ExceptionHandler(ConfigService.ApplyFailedException.class)
    public ProblemDetail applyFailed(ConfigService.ApplyFailedException e) {
        return problem(HttpStatus.CONFLICT, "apply-failed", "The dataplane refused the configuration",
                e.getMessage() + "; the previous configuration keeps running and nothing was saved");
    }

    @ExceptionHandler(ConfigService.NotFoundException.class)
    public ProblemDetail notFound(ConfigService.NotFoundException e) {
        return problem(HttpStatus.NOT_FOUND, "not-found", "Not found", e.getMessage());
    }

    /** Not JSON, or a value of the wrong type: the detail names the field (e.g. {@code pool4[0].portMin}). */
    @ExceptionHandler(HttpMessageNotReadableException.class)
    public ProblemDetail unreadable(HttpMessageNotReadableException e, HttpServletRequest req) {
        String m = e.getCause() instanceof JacksonException j ? j.getOriginalMessage() : e.getMessage();
        m = m == null ? "unreadable body" : m.split("\n")[0];
        if (m.startsWith("Required request body is missing")) {
            m = "a JSON request body is required"; // rather than the handler's Java signature
        } else if (m.startsWith("Cannot map `null` into type")) {
            m = "missing or null; every setting needs a value"; // a primitive left out of the body
        }
        String field = e.getCause() instanceof JacksonException j ? path(j) : "";
        Matcher section = SECTION.matcher(req.getRequestURI());
        if (!field.isEmpty() && section.matches()) {
            field = section.group(1) + "." + field; // the same paths as the validation errors
        }
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, "unreadable",
                "The request body is not valid JSON for this resource", field.isEmpty() ? m : field + ": " + m);
        if (!field.isEmpty()) {
            p.setProperty("errors", List.of(Map.of("field", field, "message", m)));
        }
        return p;
    }

    /** A query or path parameter that is not of its type ({@code ?limit=ten}). */
    @ExceptionHandler(TypeMismatchException.class)
    public ProblemDetail typeMismatch(TypeMismatchException e) {
        Class<?> t = e.getRequiredType();
        boolean number = t == long.class || t == int.class || (t != null && Number.class.isAssignableFrom(t));
        String expected = number ? "a whole number" : t == null ? "of another type" : "of type " + t.getSimpleName();
        return problem(HttpStatus.BAD_REQUEST, "bad-request", "Bad request",
                e.getPropertyName() + " must be " + expected + " (got '" + e.getValue() + "')");
    }

    /** The JSON path of a deserialization error, as the validation errors write it: {@code pool4[0].portMin}. */
    private static String path(JacksonException e) {
        StringBuilder b = new StringBuilder();
        for (JacksonException.Reference r : e.getPath()) {
            if (r.getPropertyName() != null) {
                b.append(b.isEmpty() ? "" : ".").append(r.getPropertyName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    @ExceptionHandler(IllegalArgumentException.class)
    public ProblemDetail badArgument(IllegalArgumentException e) {
        return problem(HttpStatus.BAD_REQUEST, "bad-request", "Bad request", e.getMessage());
    }
}
