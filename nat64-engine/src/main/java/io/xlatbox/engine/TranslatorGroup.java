package io.xlatbox.engine;

import io.xlatbox.engine.addr.Rfc6052Prefix;
import io.xlatbox.engine.nat64.Nat64State;
import io.xlatbox.engine.nat64.StatefulNat64;
import io.xlatbox.engine.xlat.AddressMapping;
import io.xlatbox.engine.xlat.StatelessMapping;
import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.nat64.TcpState;
import java.time.Clock;
import java.util.function.Supplier;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One translator served by several workers (one per TUN queue): they share the configuration, the NAT64 state
 * and the counters, and each has its own buffers. The control plane (configuration, timers without traffic,
 * status) works through a worker of its own under the writer role; it may wait for that role, workers never do.
 */
public final class TranslatorGroup {
    private static final int SLOW_PATH_SLOTS = 1024;

    private final Clock clock;
    private final Counters counters = new Counters();
    private final Nat64State state;
    private final Supplier<AddressMapping> statelessMapping;
    final SlowPathQueue slowPath;
    private volatile EngineConfig config;
    /** The second in which timers last ran, whoever ran them. */
    volatile long lastTimerSecond = Long.MIN_VALUE;
    private final Translator control;

    private TranslatorGroup(EngineConfig config, Clock clock, Nat64State state,
                            Supplier<AddressMapping> statelessMapping) {
        this.config = config;
        this.clock = clock;
        this.state = state;
        this.statelessMapping = statelessMapping;
        this.slowPath = new SlowPathQueue(SLOW_PATH_SLOTS, Math.max(config.ipv6Mtu(), config.ipv4Mtu()) + 64);
        this.control = newWorker();
        if (state != null) {
            control.nat64().acquireWriterBlocking();
            try {
                control.nat64().addStaticEntries(config.staticBib());
            } finally {
                control.nat64().releaseWriter();
            }
        }
    }

    /** Stateful NAT64 (RFC 6146). */
    public static TranslatorGroup stateful(EngineConfig config, Clock clock) {
        return new TranslatorGroup(config, clock, new Nat64State(config), null);
    }

    /** Stateless translation (RFC 7915 with RFC 6052 addresses) with {@code prefix}. */
    public static TranslatorGroup stateless(Rfc6052Prefix prefix, EngineConfig config, Clock clock) {
        return new TranslatorGroup(config, clock, null,
                () -> new StatelessMapping(prefix, config.ownIpv4Address()));
    }

    /**
     * Stateless translation with an address mapping of the caller's (a CLAT's, say: RFC 6877 maps its own IPv4
     * address one to one and everything else through the PLAT prefix). Each worker gets its own instance.
     */
    public static TranslatorGroup stateless(Supplier<AddressMapping> mapping,
                                            EngineConfig config, Clock clock) {
        return new TranslatorGroup(config, clock, null, mapping);
    }

    /** A new worker; give each thread its own. */
    public Translator newWorker() {
        AddressMapping mapping = state != null ? new StatefulNat64(state) : statelessMapping.get();
        return new Translator(this, mapping);
    }

    public EngineConfig config() {
        return config;
    }

    public Counters counters() {
        return counters;
    }

    Clock clock() {
        return clock;
    }

    boolean stateful() {
        return state != null;
    }

    /**
     * Swaps in a new configuration (an atomic snapshot swap: each packet sees the old or the new one); sessions
     * that depend on what changed are dropped and counted. Returns how many.
     */
    public synchronized int apply(EngineConfig next) {
        config = next;
        return withState(n -> n == null ? 0 : n.apply(next));
    }

    /** How many sessions {@link #apply} would drop for this configuration. */
    public synchronized int sessionsDroppedBy(EngineConfig next) {
        return withState(n -> n == null ? 0 : n.sessionsDroppedBy(next));
    }

    /** Runs the timers now; probes and ICMP errors they produce go to {@code sink}. */
    public synchronized void runTimers(PacketSink sink) {
        control.runTimers(sink);
    }

    /**
     * Runs {@code query} under the writer role, with the tables still: for status pages and tests. Returns 0
     * for a stateless translator.
     */
    public synchronized <T> T withState(Function<StatefulNat64, T> query) {
        StatefulNat64 n = control.nat64();
        if (n == null) {
            return query.apply(null);
        }
        n.acquireWriterBlocking();
        try {
            control.prepare();
            return query.apply(n);
        } finally {
            n.releaseWriter();
        }
    }

    // ---- status

    /** A page of the session table (RFC 6146 §3.2). */
    public TableQuery.Page<TableViews.Session> sessions(TableQuery q) {
        return withState(n -> {
            List<TableViews.Session> items = new ArrayList<>();
            if (n == null) {
                return new TableQuery.Page<>(items, -1);
            }
            AddressFilter f = new AddressFilter(q.address());
            long now = clock.millis();
            int next = n.forEachSession(q.cursor(), (p, xh, xl, x, yh, yl, y, t4, t, z4, z, state, exp) -> {
                if ((q.protocol() == null || q.protocol() == p) && f.matches(xh, xl, yh, yl, t4, z4)) {
                    items.add(new TableViews.Session(p, Ipv6Address.format(xh, xl), x, Ipv6Address.format(yh, yl),
                            y, Ipv4Address.format(t4), t, Ipv4Address.format(z4), z, TcpState.name(state),
                            Math.max(0, exp - now)));
                }
                return items.size() < q.limit();
            });
            return new TableQuery.Page<>(items, next);
        });
    }

    /** A page of the BIB (RFC 6146 §3.1). */
    public TableQuery.Page<TableViews.BibEntry> bib(TableQuery q) {
        return withState(n -> {
            List<TableViews.BibEntry> items = new ArrayList<>();
            if (n == null) {
                return new TableQuery.Page<>(items, -1);
            }
            AddressFilter f = new AddressFilter(q.address());
            int next = n.forEachBib(q.cursor(), (p, xh, xl, x, t4, t, isStatic, sessions) -> {
                if ((q.protocol() == null || q.protocol() == p) && f.matches(xh, xl, 0, 0, t4, t4)) {
                    items.add(new TableViews.BibEntry(p, Ipv6Address.format(xh, xl), x, Ipv4Address.format(t4), t,
                            isStatic, sessions));
                }
                return items.size() < q.limit();
            });
            return new TableQuery.Page<>(items, next);
        });
    }

    /** Ports in use per pool4 address and protocol. */
    public List<TableViews.Pool4Usage> pool4Usage() {
        return withState(n -> {
            List<TableViews.Pool4Usage> out = new ArrayList<>();
            if (n != null) {
                for (L4Protocol p : L4Protocol.values()) {
                    for (long[] u : n.pool4Usage(p)) {
                        out.add(new TableViews.Pool4Usage(p, Ipv4Address.format((int) u[0]), u[1], u[2]));
                    }
                }
            }
            return out;
        });
    }

    /** BIB entries per protocol. */
    public Map<L4Protocol, Integer> bibCounts() {
        return withState(n -> {
            Map<L4Protocol, Integer> m = new EnumMap<>(L4Protocol.class);
            for (L4Protocol p : L4Protocol.values()) {
                m.put(p, n == null ? 0 : n.bibCount(p));
            }
            return m;
        });
    }

    /** Sessions per protocol. */
    public Map<L4Protocol, Integer> sessionCounts() {
        return withState(n -> {
            Map<L4Protocol, Integer> m = new EnumMap<>(L4Protocol.class);
            for (L4Protocol p : L4Protocol.values()) {
                m.put(p, n == null ? 0 : n.sessionCount(p));
            }
            return m;
        });
    }

    /** Matches an entry by either of its IPv6 or IPv4 addresses; no filter matches everything. */
    private static final class AddressFilter {
        private final boolean any;
        private final boolean v6;
        private final long hi;
        private final long lo;
        private final int v4;

        AddressFilter(String address) {
            any = address == null || address.isBlank();
            v6 = !any && address.contains(":");
            long[] a = v6 ? Ipv6Address.parse(address) : new long[2];
            hi = a[0];
            lo = a[1];
            v4 = !any && !v6 ? Ipv4Address.parse(address) : 0;
        }

        boolean matches(long xh, long xl, long yh, long yl, int t4, int z4) {
            if (any) {
                return true;
            }
            return v6 ? (xh == hi && xl == lo) || (yh == hi && yl == lo) : t4 == v4 || z4 == v4;
        }
    }
}
