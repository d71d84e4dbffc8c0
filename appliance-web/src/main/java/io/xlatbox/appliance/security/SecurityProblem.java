package io.xlatbox.appliance.security;

import io.xlatbox.appliance.config.FieldError;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.springframework.http.HttpStatus;

/**
 * A refusal of the security features (setup, tokens), told to REST clients as an RFC 9457 problem by
 * {@link SecurityProblems} and to the pages as a message.
 */
public final class SecurityProblem extends RuntimeException {
    private final HttpStatus status;
    private final String type;
    private final String title;
    private final transient List<FieldError> errors;
    private final Duration retryAfter;

    SecurityProblem(HttpStatus status, String type, String title, String detail, List<FieldError> errors,
                    Duration retryAfter) {
        super(detail);
        this.status = status;
        this.type = type;
        this.title = title;
        this.errors = List.copyOf(errors);
        this.retryAfter = retryAfter;
    }

    static SecurityProblem invalid(String title, List<FieldError> errors) {
        return new SecurityProblem(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-request", title,
                errors.stream().map(e -> e.field() + ": " + e.message()).collect(Collectors.joining("; ")), errors,
                null);
    }

    static SecurityProblem tooManyAttempts(Duration wait) {
        return new SecurityProblem(HttpStatus.TOO_MANY_REQUESTS, "too-many-attempts", "Too many failed attempts",
                "Too many failed attempts from your address. Try again in " + LoginThrottle.minutes(wait) + ".",
                List.of(), wait);
    }

    public HttpStatus status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    public List<FieldError> errors() {
        return errors;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
