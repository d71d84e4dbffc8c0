package io.xlatbox.appliance.config;

import java.util.List;
import java.util.Map;

/**
 * The step between a change and its apply when the change drops sessions: what it changes, how many sessions
 * go, and a form that posts the same input again with {@code confirm=yes}. Works without JavaScript.
 *
 * @param action    where the form posts
 * @param hidden    the submitted input, name and value, posted again as hidden fields
 * @param editable  whether "Back" can return to the form with the input kept (a form page) or only cancel
 * @param cancelUrl where Cancel leads, discarding the input
 */
public record ConfirmView(String title, int sessionsDropped, List<String> changes, String action,
                          List<Map.Entry<String, String>> hidden, boolean editable, String cancelUrl) {
    /** The changes as rows of a diff table. */
    public List<Changes.Row> rows() {
        return Changes.rows(changes);
    }
}
