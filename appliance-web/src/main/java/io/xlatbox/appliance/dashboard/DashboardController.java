package io.xlatbox.appliance.dashboard;

import io.xlatbox.appliance.config.ConfigService;
import io.xlatbox.appliance.dataplane.DataplaneService;
import io.xlatbox.appliance.dns.Dns64UiController;
import io.xlatbox.appliance.sessions.Pool4Summary;
import io.xlatbox.appliance.sessions.SessionsUiController;
import io.xlatbox.dns64.Dns64Counter;
import io.xlatbox.dns64.Dns64Server;
import io.xlatbox.engine.Counter;
import io.xlatbox.engine.L4Protocol;
import io.xlatbox.engine.TranslatorGroup;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * The dashboard: what runs, the table sizes, pool4 use, DNS64 and the drops, rendered complete on the server
 * (so the page is useful without JavaScript); /js/dashboard.js then keeps the numbers live and draws the graphs
 * from /api/v1/status/history.
 */
@Controller
public class DashboardController {
    private final DataplaneService dataplane;
    private final ConfigService configs;

    public DashboardController(DataplaneService dataplane, ConfigService configs) {
        this.dataplane = dataplane;
        this.configs = configs;
    }

    /** A drop reason with its counter key (as in /api/v1/status/counters), description and count. */
    public record Drop(String key, String description, long count) {
    }

    @GetMapping("/")
    public String dashboard(Model model) {
        ConfigService.Active active = configs.active();
        DataplaneService.State state = dataplane.state();
        TranslatorGroup g = dataplane.group();
        model.addAttribute("state", state);
        model.addAttribute("activeVersion", active.version());
        model.addAttribute("pool6", active.config().nat64().pool6());
        model.addAttribute("recent", configs.versions(5, Long.MAX_VALUE));

        Map<L4Protocol, Integer> sessions = g == null ? Map.of() : g.sessionCounts();
        Map<L4Protocol, Integer> bib = g == null ? Map.of() : g.bibCounts();
        model.addAttribute("sessions", SessionsUiController.counts(sessions));
        model.addAttribute("bib", SessionsUiController.counts(bib));
        List<Pool4Summary> pool4 = Pool4Summary.of(g);
        long used = 0;
        long total = 0;
        for (Pool4Summary p : pool4) {
            used += p.used();
            total += p.total();
        }
        model.addAttribute("pool4", pool4);
        model.addAttribute("pool4Total", new Pool4Summary("all", used, total));

        Map<Counter, Long> c = g == null ? Map.of() : g.counters().snapshot();
        List<Drop> drops = new ArrayList<>();
        long dropped = 0;
        for (Map.Entry<Counter, Long> e : c.entrySet()) {
            if (e.getKey().isDrop() && e.getValue() > 0) {
                drops.add(new Drop(e.getKey().key(), e.getKey().description(), e.getValue()));
                dropped += e.getValue();
            }
        }
        drops.sort(Comparator.comparingLong(Drop::count).reversed());
        model.addAttribute("drops", drops);
        model.addAttribute("dropped", dropped);
        Map<String, Long> traffic = new LinkedHashMap<>();
        for (Counter k : List.of(Counter.TRANSLATED_6TO4, Counter.TRANSLATED_4TO6, Counter.TRANSLATED_BYTES_6TO4,
                Counter.TRANSLATED_BYTES_4TO6, Counter.SESSIONS_CREATED)) {
            traffic.put(k.key(), c.getOrDefault(k, 0L));
        }
        model.addAttribute("traffic", traffic);

        Dns64Server dns = dataplane.dns64();
        model.addAttribute("dnsRunning", dns != null);
        if (dns != null) {
            Map<Dns64Counter, Long> d = dns.counters().snapshot();
            long queries = d.getOrDefault(Dns64Counter.QUERIES_UDP, 0L) + d.getOrDefault(Dns64Counter.QUERIES_TCP, 0L);
            long hits = d.getOrDefault(Dns64Counter.CACHE_HITS, 0L);
            long misses = d.getOrDefault(Dns64Counter.CACHE_MISSES, 0L);
            model.addAttribute("dnsQueries", queries);
            model.addAttribute("dnsSynthesized", d.getOrDefault(Dns64Counter.SYNTHESIZED, 0L));
            model.addAttribute("dnsHitRate", hits + misses == 0 ? null : 100.0 * hits / (hits + misses));
            model.addAttribute("dnsCache", dns.cacheEntries());
            model.addAttribute("dnsListening",
                    dns.boundAddresses().stream().map(Dns64UiController::format).toList());
        }
        return "dashboard";
    }
}
