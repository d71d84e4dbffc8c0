package io.xlatbox.appliance.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Unmodifiable copies of the lists in the settings records. Unlike {@link List#copyOf} they keep null entries, so
 * that {@code "pool4": [null]} reaches validation and is reported with its path (422) instead of failing inside
 * the JSON reader with a NullPointerException.
 */
final class ConfigLists {
    private ConfigLists() {
    }

    static <T> List<T> copy(List<T> list) {
        return list == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(list));
    }
}
