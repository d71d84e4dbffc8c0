package io.xlatbox.clat.check;

import io.xlatbox.clat.check.CheckResult.Status;
import io.xlatbox.clat.util.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The check suite's results: a table for people, JSON for programs. */
public record Report(String namespace, String target, String name, String clat, Map<String, Object> clatStatus,
                     Instant started, long millis, List<CheckResult> results) {

    public long count(Status s) {
        return results.stream().filter(r -> r.status() == s).count();
    }

    public boolean passed() {
        return count(Status.FAIL) == 0;
    }

    public CheckResult result(String id) {
        return results.stream().filter(r -> r.id().equals(id)).findFirst().orElse(null);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", "xlatbox-clat check");
        m.put("namespace", namespace);
        m.put("target", target);
        m.put("name", name);
        m.put("started", started.toString());
        m.put("millis", millis);
        m.put("clat", clatStatus);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("passed", count(Status.PASS));
        summary.put("failed", count(Status.FAIL));
        summary.put("skipped", count(Status.SKIP));
        m.put("summary", summary);
        List<Object> checks = new ArrayList<>();
        for (CheckResult r : results) {
            checks.add(r.toMap());
        }
        m.put("checks", checks);
        return m;
    }

    public String toJson() {
        return Json.pretty(toMap());
    }

    /** The readable table. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append("464XLAT check from ").append(namespace == null ? "the current namespace" : "namespace " + namespace)
                .append(" to ").append(target).append(name != null ? " (" + name + ")" : "").append('\n');
        sb.append("CLAT: ").append(clat).append("\n\n");
        int w = 8;
        for (CheckResult r : results) {
            w = Math.max(w, r.title().length());
        }
        w = Math.min(w, 58);
        sb.append(String.format(Locale.ROOT, "  %-6s %-10s %-" + w + "s %8s  %s%n", "RESULT", "CHECK", "WHAT", "TIME",
                "DETAIL"));
        for (CheckResult r : results) {
            String status = switch (r.status()) {
                case PASS -> "pass";
                case FAIL -> "FAIL";
                case SKIP -> "skip";
            };
            String title = r.title().length() > w ? r.title().substring(0, w - 1) + "…" : r.title();
            sb.append(String.format(Locale.ROOT, "  %-6s %-10s %-" + w + "s %8s  %s%n", status, r.id(), title,
                    millis(r.millis()), r.result() == null ? "" : r.result()));
            if (r.cause() != null && !r.cause().isEmpty()) {
                String pad = " ".repeat(2 + 6 + 1 + 10 + 1);
                String label = r.status() == Status.SKIP ? "" : "cause: ";
                for (String line : r.cause().split("\n")) {
                    sb.append(pad).append(label).append(line).append('\n');
                    label = label.isEmpty() ? "" : "       ";
                }
            }
        }
        sb.append('\n').append(count(Status.PASS)).append(" passed, ").append(count(Status.FAIL)).append(" failed, ")
                .append(count(Status.SKIP)).append(" skipped in ").append(millis(millis)).append('\n');
        return sb.toString();
    }

    private static String millis(long ms) {
        return ms < 10_000 ? ms + " ms" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}
