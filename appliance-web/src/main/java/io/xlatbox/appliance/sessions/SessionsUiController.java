package io.xlatbox.appliance.sessions;

import io.xlatbox.appliance.dataplane.DataplaneService;
import io.xlatbox.engine.L4Protocol;
import io.xlatbox.engine.TableQuery;
import io.xlatbox.engine.TableViews;
import io.xlatbox.engine.TranslatorGroup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * The session and BIB browser (RFC 6146 §3.1, §3.2) and pool4 use: plain GET pages, filtered by protocol and
 * address, paged with the table cursor. Addresses link to the same page filtered by them.
 */
@Controller
public class SessionsUiController {
    static final List<Integer> LIMITS = List.of(50, 100, 500);

    private final DataplaneService dataplane;

    public SessionsUiController(DataplaneService dataplane) {
        this.dataplane = dataplane;
    }

    /** A session as a table row: (X',x),(Y',y) &lt;-&gt; (T,t),(Z,z), the TCP state and the time left. */
    public record SessionRow(String protocol, String x6, int x, String y6, int y, String t4, int t, String z4, int z,
                             String tcpState, String expires) {
        public String notation() {
            return "(" + x6 + "," + x + "),(" + y6 + "," + y + ") <-> (" + t4 + "," + t + "),(" + z4 + "," + z + ")";
        }
    }

    /** A BIB entry as a table row: (X',x) &lt;-&gt; (T,t). */
    public record BibRow(String protocol, String x6, int x, String t4, int t, boolean isStatic, int sessions) {
        public String notation() {
            return "(" + x6 + "," + x + ") <-> (" + t4 + "," + t + ")";
        }
    }

    @GetMapping("/sessions")
    public String sessions(@RequestParam(name = "protocol", required = false) String protocol,
                           @RequestParam(name = "address", required = false) String address,
                           @RequestParam(name = "cursor", defaultValue = "0") int cursor,
                           @RequestParam(name = "limit", defaultValue = "100") int limit,
                           @RequestParam(name = "trail", required = false) String trail, Model model) {
        Filter f = filter("sessions", protocol, address, cursor, limit, trail, model);
        return table(f, model, TranslatorGroup::sessions, s -> new SessionRow(s.protocol().name(), s.ipv6Address(),
                s.ipv6Port(), s.remoteIpv6Address(), s.remoteIpv6Port(), s.ipv4Address(), s.ipv4Port(),
                s.remoteIpv4Address(), s.remoteIpv4Port(), s.tcpState(), duration(s.expiresInMillis())));
    }

    @GetMapping("/bib")
    public String bib(@RequestParam(name = "protocol", required = false) String protocol,
                      @RequestParam(name = "address", required = false) String address,
                      @RequestParam(name = "cursor", defaultValue = "0") int cursor,
                      @RequestParam(name = "limit", defaultValue = "100") int limit,
                      @RequestParam(name = "trail", required = false) String trail, Model model) {
        Filter f = filter("bib", protocol, address, cursor, limit, trail, model);
        return table(f, model, TranslatorGroup::bib, b -> new BibRow(b.protocol().name(), b.ipv6Address(),
                b.ipv6Port(), b.ipv4Address(), b.ipv4Port(), b.isStatic(), b.sessions()));
    }

    /**
     * A page of one table (sessions or BIB) as rows, with the pager, when the filter is valid and the dataplane
     * runs; otherwise the empty rows the filter left in the model.
     */
    private <T> String table(Filter f, Model model, BiFunction<TranslatorGroup, TableQuery, TableQuery.Page<T>> fetch,
                             Function<T, ?> toRow) {
        TranslatorGroup g = dataplane.group();
        if (f.query() != null && g != null) {
            TableQuery.Page<T> page = fetch.apply(g, f.query());
            List<Object> rows = new ArrayList<>();
            for (T item : page.items()) {
                rows.add(toRow.apply(item));
            }
            model.addAttribute("rows", rows);
            pager(model, f, page.nextCursor());
        }
        return "sessions";
    }

    @GetMapping("/pool4")
    public String pool4(Model model) {
        TranslatorGroup g = dataplane.group();
        filter("pool4", null, null, 0, 100, null, model);
        List<TableViews.Pool4Usage> usage = new ArrayList<>(g == null ? List.of() : g.pool4Usage());
        usage.sort((a, b) -> Long.compare(b.used(), a.used())); // the busiest first; stable for the rest
        model.addAttribute("usage", usage);
        model.addAttribute("summary", Pool4Summary.of(usage));
        return "sessions";
    }

    /** The parsed filter; {@code query} is null when the filter is invalid (the errors are in the model). */
    record Filter(String tab, String protocol, String address, int cursor, int limit, List<Integer> trail,
                  TableQuery query) {
    }

    private Filter filter(String tab, String protocol, String address, int cursor, int limit, String trail,
                          Model model) {
        String proto = protocol == null ? "" : protocol.trim().toLowerCase(Locale.ROOT);
        String addr = address == null ? "" : address.trim();
        int lim = LIMITS.contains(limit) ? limit : Math.max(1, Math.min(limit, 1000));
        List<Integer> earlier = trail(trail);
        model.addAttribute("tab", tab);
        model.addAttribute("protocol", proto);
        model.addAttribute("address", addr);
        model.addAttribute("limit", lim);
        model.addAttribute("limits", LIMITS);
        model.addAttribute("cursor", cursor);
        model.addAttribute("rows", List.of());
        TranslatorGroup g = dataplane.group();
        model.addAttribute("running", g != null);
        model.addAttribute("sessionCounts", counts(g == null ? Map.of() : g.sessionCounts()));
        model.addAttribute("bibCounts", counts(g == null ? Map.of() : g.bibCounts()));
        L4Protocol p = null;
        boolean ok = true;
        if (!proto.isEmpty()) {
            try {
                p = L4Protocol.parse(proto);
            } catch (IllegalArgumentException e) {
                model.addAttribute("protocolError", e.getMessage());
                ok = false;
            }
        }
        TableQuery q = null;
        try {
            q = new TableQuery(p, addr.isEmpty() ? null : addr, Math.max(0, cursor), lim);
        } catch (IllegalArgumentException e) {
            model.addAttribute("addressError", "not an IPv6 or IPv4 address: " + e.getMessage());
            ok = false;
        }
        return new Filter(tab, proto, addr, cursor, lim, earlier, ok ? q : null);
    }

    /** Counts per protocol by lower-case name ("tcp", "udp", "icmp"), and "all". */
    public static Map<String, Integer> counts(Map<L4Protocol, Integer> byProtocol) {
        Map<String, Integer> out = new LinkedHashMap<>();
        int all = 0;
        for (L4Protocol p : L4Protocol.values()) {
            int n = byProtocol.getOrDefault(p, 0);
            out.put(p.name().toLowerCase(Locale.ROOT), n);
            all += n;
        }
        out.put("all", all);
        return out;
    }

    private static void pager(Model model, Filter f, int nextCursor) {
        if (nextCursor >= 0) {
            List<Integer> t = new ArrayList<>(f.trail());
            t.add(f.cursor());
            model.addAttribute("nextUrl", url(f, nextCursor, t));
        }
        if (f.cursor() > 0) {
            List<Integer> t = new ArrayList<>(f.trail());
            int prev = t.isEmpty() ? 0 : t.remove(t.size() - 1);
            model.addAttribute("prevUrl", url(f, prev, t));
            model.addAttribute("firstUrl", url(f, 0, List.of()));
        }
        model.addAttribute("page", f.trail().size() + 1);
    }

    private static String url(Filter f, int cursor, List<Integer> trail) {
        UriComponentsBuilder b = UriComponentsBuilder.fromPath("/" + f.tab());
        if (!f.protocol().isEmpty()) {
            b.queryParam("protocol", f.protocol());
        }
        if (!f.address().isEmpty()) {
            b.queryParam("address", f.address());
        }
        if (f.limit() != 100) {
            b.queryParam("limit", f.limit());
        }
        if (cursor > 0) {
            b.queryParam("cursor", cursor);
        }
        List<Integer> t = trail.size() > 50 ? trail.subList(trail.size() - 50, trail.size()) : trail;
        if (!t.isEmpty() && cursor > 0) {
            b.queryParam("trail", String.join(".", t.stream().map(String::valueOf).toList()));
        }
        return b.encode().build().toUriString();
    }

    private static List<Integer> trail(String s) {
        List<Integer> out = new ArrayList<>();
        if (s != null) {
            for (String p : s.split("[.,]")) {
                try {
                    out.add(Math.max(0, Integer.parseInt(p.trim())));
                } catch (NumberFormatException e) {
                    // ignore a mangled trail: only "previous" suffers
                }
            }
        }
        return out;
    }

    /** 299 s -> "4 min 59 s"; 7439 s -> "2 h 3 min". */
    static String duration(long millis) {
        long s = Math.max(0, millis) / 1000;
        if (s < 1) {
            return "< 1 s";
        }
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min " + (s % 60) + " s";
        }
        if (s < 86400) {
            return s / 3600 + " h " + (s % 3600) / 60 + " min";
        }
        return s / 86400 + " d " + (s % 86400) / 3600 + " h";
    }
}
