package io.xlatbox.appliance.config;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Helpers shared by the configuration forms: every input arrives as text and is parsed here, so that a bad
 * number is reported next to its field and the user's input is shown again exactly as typed.
 */
final class FormSupport {
    /** A path into a list: {@code name[index]rest}. */
    static final Pattern INDEXED = Pattern.compile("^([A-Za-z0-9]+)\\[(\\d+)](.*)$");

    private FormSupport() {
    }

    static String trim(String s) {
        return s == null ? "" : s.trim();
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    static String text(Object v) {
        return v == null ? "" : String.valueOf(v);
    }

    /** A whole number from a field; on failure the error is recorded and {@code placeholder} returned. */
    static long parseLong(String raw, String field, long placeholder, FormErrors errors) {
        String s = trim(raw).replace("_", "");
        if (s.isEmpty()) {
            errors.add(field, "is required");
            return placeholder;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            errors.add(field, "must be a whole number (got \"" + s + "\")");
            return placeholder;
        }
    }

    static int parseInt(String raw, String field, int placeholder, FormErrors errors) {
        long v = parseLong(raw, field, placeholder, errors);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            errors.add(field, "is out of range");
            return placeholder;
        }
        return (int) v;
    }

    /** The non-blank lines of a textarea, each with its line number (1-based), for one-per-line lists. */
    record Lines(List<String> values, List<Integer> lineNumbers) {
        static Lines of(String text) {
            List<String> values = new ArrayList<>();
            List<Integer> numbers = new ArrayList<>();
            if (text != null) {
                String[] lines = text.split("\\R", -1);
                for (int i = 0; i < lines.length; i++) {
                    String l = lines[i].trim();
                    if (!l.isEmpty()) {
                        values.add(l);
                        numbers.add(i + 1);
                    }
                }
            }
            return new Lines(List.copyOf(values), List.copyOf(numbers));
        }

        /** "line 3 (value)" for the value at list index {@code i}. */
        String describe(int i) {
            return i >= 0 && i < values.size() ? "line " + lineNumbers.get(i) + " (" + values.get(i) + ")"
                    : "line " + (i + 1);
        }
    }

    static String lines(List<String> values) {
        return String.join("\n", values);
    }

    /** Items separated by commas or white space: "10.0.0.0/8, 192.0.2.0/24". */
    static List<String> items(String text) {
        List<String> out = new ArrayList<>();
        for (String p : trim(text).split("[,\\s]+")) {
            if (!p.isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * Hands the validation errors of one section to {@code mapper} with the section prefix removed (and Bean
     * Validation's {@code .<list element>} suffix dropped); errors of other sections go to the summary.
     */
    static void mapErrors(List<FieldError> errors, String section, BiConsumer<String, String> mapper,
                          FormErrors out) {
        String prefix = section + ".";
        for (FieldError e : errors) {
            String path = e.field().replace(".<list element>", "").replace("<list element>", "");
            if (path.startsWith(prefix)) {
                mapper.accept(path.substring(prefix.length()), e.message());
            } else if (path.equals(section)) {
                out.add("", e.message());
            } else {
                out.add("", (path.isEmpty() ? "" : path + ": ") + e.message());
            }
        }
    }

    /** Replaces "name[i]" (a configuration index) in a message with "row N" (the form's row, 1-based). */
    static String rowsInMessage(String message, String name, List<Integer> formRows) {
        Matcher m = Pattern.compile(Pattern.quote(name) + "\\[(\\d+)]").matcher(message);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            int i = Integer.parseInt(m.group(1));
            String row = i < formRows.size() ? "row " + (formRows.get(i) + 1) : m.group();
            m.appendReplacement(sb, Matcher.quoteReplacement(row));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
