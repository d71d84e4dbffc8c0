package io.xlatbox.appliance.dns;

import io.xlatbox.appliance.config.ConfigService;
import io.xlatbox.appliance.config.Dns64Settings;
import io.xlatbox.appliance.dataplane.DataplaneService;
import io.xlatbox.dns64.Dns64Counter;
import io.xlatbox.dns64.Dns64Server;
import io.xlatbox.engine.addr.Ipv6Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/** DNS64 statistics: whether it runs (or why not), where it listens, its cache, and every counter explained. */
@Controller
public class Dns64UiController {
    private final DataplaneService dataplane;
    private final ConfigService configs;

    public Dns64UiController(DataplaneService dataplane, ConfigService configs) {
        this.dataplane = dataplane;
        this.configs = configs;
    }

    /** A counter: its name (as in /api/v1/dns64/stats), what it counts, and its value. */
    public record CounterRow(String name, String description, long value, String group) {
    }

    @GetMapping("/dns")
    public String dns(Model model) {
        DataplaneService.State state = dataplane.state();
        Dns64Settings settings = configs.active().config().dns64();
        Dns64Server d = dataplane.dns64();
        model.addAttribute("state", state);
        model.addAttribute("settings", settings);
        model.addAttribute("running", d != null);
        List<CounterRow> rows = new ArrayList<>();
        if (d != null) {
            Map<Dns64Counter, Long> snap = d.counters().snapshot();
            for (Dns64Counter c : Dns64Counter.values()) {
                rows.add(new CounterRow(c.name(), c.description(), snap.getOrDefault(c, 0L), group(c)));
            }
            long hits = snap.getOrDefault(Dns64Counter.CACHE_HITS, 0L);
            long misses = snap.getOrDefault(Dns64Counter.CACHE_MISSES, 0L);
            model.addAttribute("queries", snap.getOrDefault(Dns64Counter.QUERIES_UDP, 0L)
                    + snap.getOrDefault(Dns64Counter.QUERIES_TCP, 0L));
            model.addAttribute("synthesized", snap.getOrDefault(Dns64Counter.SYNTHESIZED, 0L));
            model.addAttribute("hitRate", hits + misses == 0 ? null : 100.0 * hits / (hits + misses));
            model.addAttribute("cacheEntries", d.cacheEntries());
            model.addAttribute("inFlight", d.inFlight());
            model.addAttribute("listening", d.boundAddresses().stream().map(Dns64UiController::format).toList());
        }
        model.addAttribute("counters", rows);
        return "dns";
    }

    /** As in the settings: 0.0.0.0:53, [::]:53, [2001:db8::1]:53 (RFC 5952 text). */
    public static String format(InetSocketAddress a) {
        if (a.getAddress() instanceof Inet6Address v6) {
            ByteBuffer b = ByteBuffer.wrap(v6.getAddress());
            return "[" + Ipv6Address.format(b.getLong(), b.getLong()) + "]:" + a.getPort();
        }
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return host + ":" + a.getPort();
    }

    private static String group(Dns64Counter c) {
        String n = c.name();
        if (n.startsWith("UPSTREAM")) {
            return "Upstreams";
        }
        if (n.startsWith("RESPONSES")) {
            return "Responses";
        }
        if (n.startsWith("DROP")) {
            return "Drops";
        }
        return "Queries";
    }
}
