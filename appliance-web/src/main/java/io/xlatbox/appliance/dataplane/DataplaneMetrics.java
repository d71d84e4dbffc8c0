package io.xlatbox.appliance.dataplane;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.xlatbox.dns64.Dns64Counter;
import io.xlatbox.dns64.Dns64Server;
import io.xlatbox.engine.Counter;
import io.xlatbox.engine.L4Protocol;
import io.xlatbox.engine.TranslatorGroup;
import org.springframework.stereotype.Component;

/**
 * The engine's and the DNS64's counters as Prometheus metrics ({@code /actuator/prometheus}): each counter is
 * read when scraped, never copied on the packet path. Drops carry their reason as a label.
 */
@Component
public class DataplaneMetrics implements MeterBinder {
    private final DataplaneService dataplane;

    public DataplaneMetrics(DataplaneService dataplane) {
        this.dataplane = dataplane;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Counter c : Counter.values()) {
            FunctionCounter.Builder<DataplaneService> b = c.isDrop()
                    ? FunctionCounter.builder("xlatbox.nat64.drops", dataplane, d -> nat64(d, c))
                            .tag("reason", c.key())
                    : FunctionCounter.builder("xlatbox.nat64." + c.key(), dataplane, d -> nat64(d, c));
            b.description(c.description()).register(registry);
        }
        for (L4Protocol p : L4Protocol.values()) {
            String proto = p.name().toLowerCase(java.util.Locale.ROOT);
            Gauge.builder("xlatbox.nat64.sessions", dataplane, d -> tables(d, p, true)).tag("protocol", proto)
                    .description("live sessions").register(registry);
            Gauge.builder("xlatbox.nat64.bib", dataplane, d -> tables(d, p, false)).tag("protocol", proto)
                    .description("BIB entries").register(registry);
        }
        for (Dns64Counter c : Dns64Counter.values()) {
            FunctionCounter.builder("xlatbox.dns64." + c.name().toLowerCase(java.util.Locale.ROOT), dataplane,
                            d -> dns64(d, c))
                    .description(c.description()).register(registry);
        }
    }

    private static double nat64(DataplaneService d, Counter c) {
        TranslatorGroup g = d.group();
        return g == null ? 0 : g.counters().get(c);
    }

    private static double tables(DataplaneService d, L4Protocol p, boolean sessions) {
        TranslatorGroup g = d.group();
        if (g == null) {
            return 0;
        }
        return sessions ? g.sessionCounts().get(p) : g.bibCounts().get(p);
    }

    private static double dns64(DataplaneService d, Dns64Counter c) {
        Dns64Server s = d.dns64();
        return s == null ? 0 : s.counters().snapshot().getOrDefault(c, 0L);
    }
}
