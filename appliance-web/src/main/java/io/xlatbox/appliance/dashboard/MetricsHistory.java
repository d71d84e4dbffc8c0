package io.xlatbox.appliance.dashboard;

import io.xlatbox.appliance.dataplane.DataplaneService;
import io.xlatbox.dns64.Dns64Counter;
import io.xlatbox.dns64.Dns64Server;
import io.xlatbox.engine.Counter;
import io.xlatbox.engine.L4Protocol;
import io.xlatbox.engine.TranslatorGroup;
import io.xlatbox.engine.TableViews;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The dashboard's memory: every {@value #PERIOD_MS} ms, a sample of the counters as rates and of the tables as
 * levels, kept for the last {@value #SAMPLES} samples (an hour at two seconds) in fixed arrays.
 */
@Component
public class MetricsHistory {
    static final int PERIOD_MS = 2000;
    static final int SAMPLES = 1800;

    /** The series the dashboard draws, in this order. */
    public static final List<String> SERIES = List.of(
            "packets6to4", "packets4to6", "bytes6to4", "bytes4to6",
            "sessionsTcp", "sessionsUdp", "sessionsIcmp", "pool4Used",
            "dnsQueries", "dnsSynthesized", "dnsCacheHits", "dnsCacheMisses", "drops");

    /** The drop reasons, each with its own rate series ("dropsByReason"). */
    private static final Counter[] DROPS = Arrays.stream(Counter.values()).filter(Counter::isDrop)
            .toArray(Counter[]::new);

    private final DataplaneService dataplane;
    private final long[] times = new long[SAMPLES];
    private final double[][] values = new double[SERIES.size()][SAMPLES];
    private final float[][] dropRates = new float[DROPS.length][SAMPLES];
    private int next;
    private int count;
    private long[] lastCounters;
    private long[] lastDrops;
    private long lastTime;

    public MetricsHistory(DataplaneService dataplane) {
        this.dataplane = dataplane;
    }

    @Scheduled(fixedRate = PERIOD_MS, initialDelay = PERIOD_MS)
    public void sample() {
        TranslatorGroup group = dataplane.group();
        if (group == null) {
            return;
        }
        long now = System.currentTimeMillis();
        Map<Counter, Long> c = group.counters().snapshot();
        Dns64Server dns = dataplane.dns64();
        Map<Dns64Counter, Long> d = dns != null ? dns.counters().snapshot() : Map.of();
        long drops = 0;
        for (Map.Entry<Counter, Long> e : c.entrySet()) {
            if (e.getKey().isDrop()) {
                drops += e.getValue();
            }
        }
        long[] counters = {
            c.get(Counter.TRANSLATED_6TO4), c.get(Counter.TRANSLATED_4TO6),
            c.get(Counter.TRANSLATED_BYTES_6TO4), c.get(Counter.TRANSLATED_BYTES_4TO6),
            d.getOrDefault(Dns64Counter.QUERIES_UDP, 0L) + d.getOrDefault(Dns64Counter.QUERIES_TCP, 0L), d.getOrDefault(Dns64Counter.SYNTHESIZED, 0L),
            d.getOrDefault(Dns64Counter.CACHE_HITS, 0L), d.getOrDefault(Dns64Counter.CACHE_MISSES, 0L), drops};
        long[] dropCounts = new long[DROPS.length];
        for (int i = 0; i < DROPS.length; i++) {
            dropCounts[i] = c.getOrDefault(DROPS[i], 0L);
        }
        Map<L4Protocol, Integer> sessions = group.sessionCounts();
        long used = 0;
        for (TableViews.Pool4Usage u : group.pool4Usage()) {
            used += u.used();
        }
        synchronized (this) {
            double secs = lastCounters == null ? 0 : Math.max(0.001, (now - lastTime) / 1000.0);
            int[] rateSlots = {0, 1, 2, 3, 8, 9, 10, 11, 12};
            for (int i = 0; i < rateSlots.length; i++) {
                values[rateSlots[i]][next] = lastCounters == null ? 0
                        : Math.max(0, (counters[i] - lastCounters[i]) / secs);
            }
            for (int i = 0; i < DROPS.length; i++) {
                dropRates[i][next] = lastDrops == null ? 0
                        : (float) Math.max(0, (dropCounts[i] - lastDrops[i]) / secs);
            }
            values[4][next] = sessions.get(L4Protocol.TCP);
            values[5][next] = sessions.get(L4Protocol.UDP);
            values[6][next] = sessions.get(L4Protocol.ICMP);
            values[7][next] = used;
            times[next] = now;
            next = (next + 1) % SAMPLES;
            count = Math.min(count + 1, SAMPLES);
            lastCounters = counters;
            lastDrops = dropCounts;
            lastTime = now;
        }
    }

    /**
     * The samples since {@code sinceMillis} (all when 0), oldest first: {"time": [...], series: [...]}, and
     * "dropsByReason": {counter key: [...]} with the reasons that dropped anything in these samples (the drop
     * rates per second of each reason; a reason left out was zero throughout).
     */
    public synchronized Map<String, Object> since(long sinceMillis) {
        List<Long> t = new ArrayList<>();
        List<List<Double>> v = new ArrayList<>();
        for (int s = 0; s < SERIES.size(); s++) {
            v.add(new ArrayList<>());
        }
        List<Integer> slots = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            int i = (next - count + k + SAMPLES) % SAMPLES;
            if (times[i] <= sinceMillis) {
                continue;
            }
            slots.add(i);
            t.add(times[i]);
            for (int s = 0; s < SERIES.size(); s++) {
                v.get(s).add(values[s][i]);
            }
        }
        Map<String, List<Double>> drops = new LinkedHashMap<>();
        for (int d = 0; d < DROPS.length; d++) {
            boolean any = false;
            for (int i : slots) {
                any |= dropRates[d][i] > 0;
            }
            if (any) {
                List<Double> rates = new ArrayList<>(slots.size());
                for (int i : slots) {
                    rates.add((double) dropRates[d][i]);
                }
                drops.put(DROPS[d].key(), rates);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("time", t);
        for (int s = 0; s < SERIES.size(); s++) {
            out.put(SERIES.get(s), v.get(s));
        }
        out.put("dropsByReason", drops);
        return out;
    }
}
