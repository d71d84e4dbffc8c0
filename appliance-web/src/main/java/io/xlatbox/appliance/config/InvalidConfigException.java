package io.xlatbox.appliance.config;

import java.util.List;
import java.util.stream.Collectors;

/** A configuration that fails validation: every bad field, each with its path. Nothing was changed. */
public final class InvalidConfigException extends RuntimeException {
    private final transient List<FieldError> errors;

    public InvalidConfigException(List<FieldError> errors) {
        super(errors.stream().map(e -> e.field() + ": " + e.message()).collect(Collectors.joining("; ")));
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }
}
