package io.xlatbox.appliance.dashboard;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.xlatbox.appliance.config.ConfigService;
import io.xlatbox.appliance.dataplane.DataplaneService;
import io.xlatbox.appliance.sessions.Pool4Summary;
import io.xlatbox.dns64.Dns64Server;
import io.xlatbox.engine.Counter;
import io.xlatbox.engine.TranslatorGroup;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Status, counters and their history, for the dashboard and for scripts. */
@RestController
@RequestMapping("/api/v1/status")
@Tag(name = "status")
public class StatusRestController {
    private final DataplaneService dataplane;
    private final ConfigService configs;
    private final MetricsHistory history;

    public StatusRestController(DataplaneService dataplane, ConfigService configs, MetricsHistory history) {
        this.dataplane = dataplane;
        this.configs = configs;
        this.history = history;
    }

    @GetMapping
    @Operation(summary = "What runs (engine, DNS64), startup errors, the active configuration version, table sizes, pool4 ports in use per protocol")
    public Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("configVersion", configs.active().version());
        out.put("dataplane", dataplane.state());
        TranslatorGroup g = dataplane.group();
        if (g != null) {
            out.put("bib", g.bibCounts());
            out.put("sessions", g.sessionCounts());
            Map<String, Map<String, Long>> pool4 = new LinkedHashMap<>();
            for (Pool4Summary p : Pool4Summary.of(g)) {
                pool4.put(p.protocol(), Map.of("used", p.used(), "total", p.total()));
            }
            out.put("pool4", pool4);
        }
        return out;
    }

    @GetMapping("/counters")
    @Operation(summary = "NAT64 counters (received, translated, drops per reason) and DNS64 counters")
    public Map<String, Object> counters() {
        Map<String, Object> out = new LinkedHashMap<>();
        TranslatorGroup g = dataplane.group();
        Map<String, Long> nat = new LinkedHashMap<>();
        if (g != null) {
            g.counters().snapshot().forEach((c, v) -> nat.put(c.key(), v));
        }
        out.put("nat64", nat);
        Map<String, Long> dns = new LinkedHashMap<>();
        Dns64Server d = dataplane.dns64();
        if (d != null) {
            d.counters().snapshot().forEach((c, v) -> dns.put(c.name(), v));
        }
        out.put("dns64", dns);
        return out;
    }

    @GetMapping("/history")
    @Operation(summary = "Rates and levels sampled every 2 s over the last hour (since: a time in ms, exclusive)")
    public Map<String, Object> history(@RequestParam(defaultValue = "0") long since) {
        return history.since(since);
    }

    /** The descriptions of the NAT64 counters, for labels. */
    @GetMapping("/counters/descriptions")
    public Map<String, String> descriptions() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Counter c : Counter.values()) {
            out.put(c.key(), c.description());
        }
        return out;
    }
}
