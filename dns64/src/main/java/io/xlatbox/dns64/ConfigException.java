package io.xlatbox.dns64;

import java.util.List;
import java.util.stream.Collectors;

/** An invalid DNS64 configuration: every problem found, each with the path of the field it concerns. */
public final class ConfigException extends IllegalArgumentException {
    /** One invalid field: {@code path} uses the configuration's own names, e.g. {@code prefixes[1].prefix}. */
    public record FieldError(String path, String message) {
        @Override
        public String toString() {
            return path + ": " + message;
        }
    }

    private final transient List<FieldError> errors;

    public ConfigException(List<FieldError> errors) {
        super(errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")));
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }
}
