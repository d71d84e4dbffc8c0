package io.xlatbox.appliance.sessions;

import io.xlatbox.engine.L4Protocol;
import io.xlatbox.engine.TableViews;
import io.xlatbox.engine.TranslatorGroup;
import java.util.ArrayList;
import java.util.List;

/** Pool4 use of one protocol over all its addresses: ports (ICMP identifiers) in use and available. */
public record Pool4Summary(String protocol, long used, long total) {
    /** Percent in use, 0..100. */
    public double percent() {
        return total == 0 ? 0 : 100.0 * used / total;
    }

    /** The percentage for people: one decimal, "< 0.1" when some are used but fewer than that. */
    public String percentText() {
        double p = percent();
        return used > 0 && p < 0.1 ? "< 0.1" : String.format(java.util.Locale.ROOT, "%.1f", p);
    }

    /** One summary per protocol, TCP, UDP, ICMP. */
    public static List<Pool4Summary> of(List<TableViews.Pool4Usage> usage) {
        List<Pool4Summary> out = new ArrayList<>();
        for (L4Protocol p : L4Protocol.values()) {
            long used = 0;
            long total = 0;
            for (TableViews.Pool4Usage u : usage) {
                if (u.protocol() == p) {
                    used += u.used();
                    total += u.total();
                }
            }
            out.add(new Pool4Summary(p.name(), used, total));
        }
        return out;
    }

    public static List<Pool4Summary> of(TranslatorGroup group) {
        return of(group == null ? List.of() : group.pool4Usage());
    }
}
