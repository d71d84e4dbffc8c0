package io.xlatbox.appliance.config;

import static io.xlatbox.appliance.config.FormSupport.blank;
import static io.xlatbox.appliance.config.FormSupport.parseInt;
import static io.xlatbox.appliance.config.FormSupport.text;
import static io.xlatbox.appliance.config.FormSupport.trim;

import io.xlatbox.appliance.config.Dns64Settings.Dns64Prefix;
import io.xlatbox.appliance.config.FormSupport.Lines;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * The DNS64 page's form, as typed. Simple lists (listen addresses, upstreams, exclusions, ACLs) are textareas
 * with one entry per line; the prefixes are indexed rows, each with its mapped IPv4 ranges.
 */
public class Dns64Form {
    /** The one-per-line lists, by their setting names. */
    static final List<String> LISTS = List.of("listen", "upstreams", "exclusions", "clientAcl", "synthesisAcl");

    public boolean enabled;
    public String listen = "";
    public String upstreams = "";
    public List<PrefixRow> prefixes = new ArrayList<>();
    public String exclusions = "";
    public String clientAcl = "";
    public String synthesisAcl = "";
    public String upstreamTimeoutMillis = "";
    public String cacheMaxEntries = "";
    public boolean allowNonGlobalWithWellKnownPrefix;

    private final List<Integer> prefixRows = new ArrayList<>();
    private final List<List<String>> rangesOfRows = new ArrayList<>();
    private Map<String, Lines> lines = Map.of();

    public static class PrefixRow {
        public String prefix = "";
        /** The IPv4 ranges this prefix may carry, separated by commas or spaces; empty: all. */
        public String mappedRanges = "";
        public boolean remove;

        public boolean isBlank() {
            return blank(prefix) && blank(mappedRanges);
        }
    }

    public static Dns64Form of(Dns64Settings d) {
        Dns64Form f = new Dns64Form();
        f.enabled = d.enabled();
        f.listen = FormSupport.lines(d.listen());
        f.upstreams = FormSupport.lines(d.upstreams());
        for (Dns64Prefix p : d.prefixes()) {
            PrefixRow row = new PrefixRow();
            row.prefix = p.prefix();
            row.mappedRanges = String.join(", ", p.mappedRanges());
            f.prefixes.add(row);
        }
        f.exclusions = FormSupport.lines(d.exclusions());
        f.clientAcl = FormSupport.lines(d.clientAcl());
        f.synthesisAcl = FormSupport.lines(d.synthesisAcl());
        f.upstreamTimeoutMillis = text(d.upstreamTimeoutMillis());
        f.cacheMaxEntries = text(d.cacheMaxEntries());
        f.allowNonGlobalWithWellKnownPrefix = d.allowNonGlobalWithWellKnownPrefix();
        return f;
    }

    public Dns64Form withEmptyRow() {
        prefixes.add(new PrefixRow());
        return this;
    }

    public Dns64Settings toSettings(Dns64Settings current, FormErrors errors) {
        lines = Map.of("listen", Lines.of(listen), "upstreams", Lines.of(upstreams), "exclusions",
                Lines.of(exclusions), "clientAcl", Lines.of(clientAcl), "synthesisAcl", Lines.of(synthesisAcl));
        prefixRows.clear();
        rangesOfRows.clear();
        List<Dns64Prefix> ps = new ArrayList<>();
        for (int i = 0; i < prefixes.size(); i++) {
            PrefixRow r = prefixes.get(i);
            if (r == null || r.remove || r.isBlank()) {
                continue;
            }
            List<String> ranges = FormSupport.items(r.mappedRanges);
            ps.add(new Dns64Prefix(trim(r.prefix), ranges));
            prefixRows.add(i);
            rangesOfRows.add(ranges);
        }
        return new Dns64Settings(enabled, lines.get("listen").values(), lines.get("upstreams").values(), ps,
                lines.get("exclusions").values(), lines.get("clientAcl").values(), lines.get("synthesisAcl").values(),
                parseInt(upstreamTimeoutMillis, "upstreamTimeoutMillis", current.upstreamTimeoutMillis(), errors),
                parseInt(cacheMaxEntries, "cacheMaxEntries", current.cacheMaxEntries(), errors),
                allowNonGlobalWithWellKnownPrefix);
    }

    /** Puts validation errors on fields: list entries by line number, prefix errors on their row. */
    public void addErrors(List<FieldError> validation, FormErrors errors) {
        Set<String> unparsable = errors.fields();
        FormSupport.mapErrors(validation, "dns64", (path, message) -> {
            String m = FormSupport.rowsInMessage(message, "prefixes", prefixRows);
            Matcher x = FormSupport.INDEXED.matcher(path);
            if (x.matches() && LISTS.contains(x.group(1))) {
                String list = x.group(1);
                int i = Integer.parseInt(x.group(2));
                Lines l = lines.getOrDefault(list, Lines.of(""));
                String what = x.group(3).isEmpty() ? "" : " " + x.group(3).substring(1);
                errors.add(list, l.describe(i) + what + ": " + listRefs(m, list, l));
            } else if (x.matches() && x.group(1).equals("prefixes")) {
                int i = Integer.parseInt(x.group(2));
                int row = i < prefixRows.size() ? prefixRows.get(i) : i;
                String rest = x.group(3);
                Matcher r = FormSupport.INDEXED.matcher(rest.startsWith(".") ? rest.substring(1) : rest);
                if (r.matches() && r.group(1).equals("mappedRanges")) {
                    int j = Integer.parseInt(r.group(2));
                    List<String> ranges = i < rangesOfRows.size() ? rangesOfRows.get(i) : List.of();
                    String range = j < ranges.size() ? "\"" + ranges.get(j) + "\"" : "range " + (j + 1);
                    errors.add("prefixes[" + row + "].mappedRanges", range + ": " + m);
                } else {
                    errors.add("prefixes[" + row + "]" + rest, m);
                }
            } else if (!unparsable.contains(path)) {
                errors.add(path, m);
            }
        }, errors);
    }

    /** "duplicate of listen[0]" becomes "duplicate of line 1". */
    private static String listRefs(String message, String list, Lines l) {
        Matcher m = java.util.regex.Pattern.compile(list + "\\[(\\d+)]").matcher(message);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            int i = Integer.parseInt(m.group(1));
            m.appendReplacement(sb, Matcher.quoteReplacement(
                    i < l.lineNumbers().size() ? "line " + l.lineNumbers().get(i) : m.group()));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
