package io.xlatbox.appliance.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The problems of one submitted form, keyed by the form field they belong to (the input's name, such as
 * {@code pool4[2].portMin}), for the messages next to each field and the summary above the form. The key ""
 * holds problems that belong to no single field.
 */
public final class FormErrors {
    private final Map<String, List<String>> byField = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();

    /** One problem: the field's input name (or ""), the id of its input, and the message. */
    public record Entry(String field, String anchor, String message) {
    }

    public void add(String field, String message) {
        String f = field == null ? "" : field;
        byField.computeIfAbsent(f, k -> new ArrayList<>()).add(message);
        entries.add(new Entry(f, anchor(f), message));
    }

    public boolean has(String field) {
        return byField.containsKey(field);
    }

    /** The messages of one field; empty when it has none. */
    public List<String> get(String field) {
        return byField.getOrDefault(field, List.of());
    }

    /** The fields that have errors now (a copy). */
    public Set<String> fields() {
        return new HashSet<>(byField.keySet());
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public int count() {
        return entries.size();
    }

    public List<Entry> entries() {
        return entries;
    }

    /** {@link #anchor} for templates. */
    public String id(String field) {
        return anchor(field);
    }

    /** The id of a field's input: its name with the brackets and dots of list paths replaced. */
    public static String anchor(String field) {
        return field.isEmpty() ? "form" : "f-" + field.replaceAll("[\\[\\].]+", "-").replaceAll("-$", "");
    }
}
