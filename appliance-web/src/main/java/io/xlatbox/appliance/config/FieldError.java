package io.xlatbox.appliance.config;

/** One invalid setting: its path in the configuration (e.g. {@code nat64.pool4[1].portMin}) and what is wrong. */
public record FieldError(String field, String message) {
}
