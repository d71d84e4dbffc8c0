package io.xlatbox.appliance.dns;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.xlatbox.appliance.dataplane.DataplaneService;
import io.xlatbox.dns64.Dns64Server;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** DNS64 statistics: queries, synthesis, cache, upstream health, drops. */
@RestController
@RequestMapping("/api/v1/dns64")
@Tag(name = "dns64")
public class Dns64RestController {
    private final DataplaneService dataplane;

    public Dns64RestController(DataplaneService dataplane) {
        this.dataplane = dataplane;
    }

    @GetMapping("/stats")
    @Operation(summary = "DNS64 counters, cache size and whether it runs")
    public Map<String, Object> stats() {
        Map<String, Object> out = new LinkedHashMap<>();
        Dns64Server d = dataplane.dns64();
        out.put("running", d != null);
        if (d != null) {
            Map<String, Long> counters = new LinkedHashMap<>();
            d.counters().snapshot().forEach((c, v) -> counters.put(c.name(), v));
            out.put("counters", counters);
            out.put("cacheEntries", d.cacheEntries());
            out.put("listening", d.boundAddresses().stream().map(Object::toString).toList());
        }
        out.put("error", dataplane.state().dns64Error());
        return out;
    }
}
