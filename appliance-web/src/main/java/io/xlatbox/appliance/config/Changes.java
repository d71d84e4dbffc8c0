package io.xlatbox.appliance.config;

import java.util.ArrayList;
import java.util.List;

/** The change lines of {@link ConfigService#changes} ({@code path: old -> new}) as rows of a diff table. */
public final class Changes {
    private Changes() {
    }

    /** One changed setting. {@code before} or {@code after} is "(none)" when the setting was added or removed. */
    public record Row(String setting, String before, String after) {
        public boolean added() {
            return "(none)".equals(before);
        }

        public boolean removed() {
            return "(none)".equals(after);
        }
    }

    public static List<Row> rows(List<String> changes) {
        List<Row> out = new ArrayList<>();
        for (String c : changes) {
            int colon = c.indexOf(": ");
            int arrow = colon < 0 ? -1 : c.indexOf(" -> ", colon + 2);
            if (colon < 0 || arrow < 0) {
                out.add(new Row(c, "", ""));
            } else {
                out.add(new Row(c.substring(0, colon), c.substring(colon + 2, arrow), c.substring(arrow + 4)));
            }
        }
        return out;
    }
}
