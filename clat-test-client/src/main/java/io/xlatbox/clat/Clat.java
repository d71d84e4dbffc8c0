package io.xlatbox.clat;

import io.xlatbox.clat.discovery.DiscoveryException;
import io.xlatbox.clat.discovery.PlatPrefix;
import io.xlatbox.clat.discovery.Pref64Listener;
import io.xlatbox.clat.discovery.Rfc7050Discovery;
import io.xlatbox.clat.net.Endpoints;
import io.xlatbox.clat.net.Netns;
import io.xlatbox.clat.util.Json;
import io.xlatbox.clat.util.Threads;
import io.xlatbox.engine.Counter;
import io.xlatbox.engine.DataplaneConfig;
import io.xlatbox.engine.Engine;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.TranslatorGroup;
import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A CLAT (RFC 6877): the customer-side translator of 464XLAT, for a host (or a network namespace) on an IPv6-only
 * network. It gives IPv4-only programs an IPv4 address and a default route, and translates their packets
 * statelessly (RFC 7915, the engine's translator with a {@link ClatMapping}) to IPv6 packets from a dedicated CLAT
 * IPv6 address to the PLAT prefix, where the network's NAT64 (the PLAT) takes over.
 *
 * <pre>{@code
 * try (Clat clat = Clat.start(ClatConfig.builder().namespace("client").addDns("2001:db8:1::1").build())) {
 *     clat.prefix();      // 64:ff9b::/96 (RFC 7050 discovery: DNS64 2001:db8:1::1, TTL 60 s)
 *     clat.counters();    // the translator's counters
 * }                       // TUN, addresses, routes, proxy neighbor entry and sysctls are undone
 * }</pre>
 *
 * What {@link #start} does, in the namespace:
 * <ol>
 *   <li>finds the IPv6 uplink (the IPv6 default route's device) and refuses to run when native IPv4 exists
 *       (a default IPv4 route), unless forced (RFC 6877 §6.3);</li>
 *   <li>learns the PLAT prefix: configured; else a PREF64 option (RFC 8781) from a router advertisement, solicited
 *       and awaited for {@link ClatConfig#raWait()}; else RFC 7050 through the network's DNS64. It keeps listening:
 *       a PREF64 that appears later is preferred, one that expires or is withdrawn falls back to RFC 7050, and an
 *       RFC 7050 prefix is asked for again when its TTL runs out (at least every 60 s);</li>
 *   <li>picks the dedicated CLAT IPv6 address: the configured one, or a random interface identifier in the
 *       uplink's /64, which the uplink answers for by proxy neighbor discovery (RFC 6877 §6.3 allows either);</li>
 *   <li>starts the translator on its TUN (no engine-managed routes), puts the CLAT IPv4 address (192.0.0.2/29) on it,
 *       adds the IPv4 default route through it with MTU = uplink MTU − 28, turns on IPv6 forwarding (keeping router
 *       advertisements accepted: accept_ra 1 becomes 2), adds the proxy neighbor entry and the /128 route of the CLAT
 *       address into the TUN;</li>
 *   <li>writes its status (addresses, prefix and where it came from, counters) every 250 ms to
 *       {@code /run/xlatbox-clat/NS.json}, which {@code check} reads to say where packets stopped.</li>
 * </ol>
 * {@link #stop} undoes exactly what start did, newest first; so does a failed start.
 */
public final class Clat implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Clat.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration DNS_ATTEMPT = Duration.ofMillis(1000);
    private static final int DNS_ATTEMPTS = 3;
    /** How often the status file is rewritten (check takes counter deltas from it) and prefix changes looked at. */
    private static final long STATUS_PERIOD_MILLIS = 250;

    private final ClatConfig config;
    private final Netns ns;
    private final Clock clock = Clock.systemUTC();
    private final Deque<Undo> undo = new ArrayDeque<>();
    private final Instant started = Instant.now();
    private String uplink;
    private int uplinkMtu;
    private int ipv4Mtu;
    private boolean proxyNd;
    private List<InetSocketAddress> resolvers = List.of();
    private ClatAddresses.Holder addresses;
    private TranslatorGroup group;
    private Engine engine;
    private Pref64Listener listener;
    private volatile PlatPrefix prefix;
    private volatile PlatPrefix lastRfc7050;
    private volatile String lastPrefixProblem;
    private volatile boolean prefixSourcesChanged;
    private Thread housekeeper;
    private volatile boolean running;
    /** Set first thing in stop(): no status file is written after it (the housekeeper may outlive its join). */
    private volatile boolean stopping;
    private final Object statusLock = new Object();
    private Path statusFile;

    private record Undo(String what, Action action) {
    }

    @FunctionalInterface
    private interface Action {
        void run() throws IOException;
    }

    private Clat(ClatConfig config) {
        this.config = config;
        this.ns = new Netns(config.namespace());
    }

    /**
     * Starts the CLAT (see the class comment).
     *
     * @throws ClatException NATIVE_IPV4 when native IPv4 exists and it was not forced; NO_PREFIX when no PLAT prefix
     *                       could be learned; SETUP for everything else (no uplink, a device in the way, a failed
     *                       command). Nothing stays behind.
     */
    public static Clat start(ClatConfig config) throws ClatException {
        Clat c = new Clat(config);
        try {
            c.bringUp();
            return c;
        } catch (ClatException e) {
            c.undoAll();
            throw e;
        } catch (IOException | RuntimeException e) {
            c.undoAll();
            throw new ClatException(ClatException.Reason.SETUP, "cannot start the CLAT in " + c.ns.describe() + ": "
                    + e.getMessage(), e);
        }
    }

    private void bringUp() throws ClatException, IOException {
        if (!ns.exists()) {
            throw new ClatException(ClatException.Reason.SETUP, "no network namespace " + ns.name()
                    + " (ip netns add " + ns.name() + ")");
        }
        String tun = config.tunName();
        if (ns.link(tun) != null) {
            throw new ClatException(ClatException.Reason.SETUP, "a device named " + tun + " already exists in "
                    + ns.describe() + ": is another CLAT running there? (" + ClatConfig.statusFile(
                    statusDir(), ns.name()) + ")");
        }
        // 1. The IPv6 uplink, and no native IPv4.
        uplink = config.uplink();
        if (uplink == null) {
            for (Netns.Route r : ns.defaultRoutes(6)) {
                if (r.device() != null && !r.device().equals(tun)) {
                    uplink = r.device();
                    break;
                }
            }
            if (uplink == null) {
                throw new ClatException(ClatException.Reason.SETUP, "no IPv6 default route in " + ns.describe()
                        + ": a CLAT needs an IPv6 uplink (or name one with --uplink)");
            }
        }
        Netns.Link up = ns.link(uplink);
        if (up == null) {
            throw new ClatException(ClatException.Reason.SETUP, "no interface " + uplink + " in " + ns.describe());
        }
        uplinkMtu = up.mtu() > 0 ? up.mtu() : 1500;
        ipv4Mtu = config.ipv4Mtu() != 0 ? config.ipv4Mtu() : uplinkMtu - ClatConfig.HEADER_GROWTH;
        List<Netns.Route> native4 = new ArrayList<>();
        for (Netns.Route r : ns.defaultRoutes(4)) {
            if (!tun.equals(r.device())) {
                native4.add(r);
            }
        }
        if (!native4.isEmpty() && !config.force()) {
            throw new ClatException(ClatException.Reason.NATIVE_IPV4, "native IPv4 in " + ns.describe()
                    + " (default route " + native4.get(0) + "): a CLAT is for IPv6-only networks and stays off "
                    + "when IPv4 is there (RFC 6877 section 6.3); --force starts it anyway");
        }

        // 2. The PLAT prefix.
        resolvers = !config.dns().isEmpty() ? config.dns() : Endpoints.resolvers(ns.name());
        if (config.listenRa()) {
            try {
                listener = Pref64Listener.start(ns.name(), uplink, clock, () -> prefixSourcesChanged = true);
                undo.push(new Undo("stop the router advertisement listener", listener::close));
            } catch (IOException e) {
                LOG.warning("not listening for router advertisements (PREF64) on " + uplink + ": " + e.getMessage());
            }
        }
        prefix = initialPrefix();

        // 3. The dedicated CLAT IPv6 address.
        long[] clat6 = config.clatIpv6() != null ? config.clatIpv6() : pickClatIpv6(up);
        proxyNd = onLink(clat6);
        if (prefix.prefix().contains(clat6[0], clat6[1])) {
            throw new ClatException(ClatException.Reason.SETUP, "the CLAT IPv6 address "
                    + Ipv6Address.format(clat6[0], clat6[1]) + " lies inside the PLAT prefix " + prefix.prefix());
        }
        int mask = ~(-1 >>> config.ipv4PrefixLength());
        addresses = new ClatAddresses.Holder(new ClatAddresses(prefix.prefix(), config.ipv4(), config.ipv4Peer(),
                config.ipv4() & mask, config.ipv4PrefixLength(), clat6[0], clat6[1], config.errorSource4()));

        // 4. The translator on its TUN, then the addresses and routes around it.
        EngineConfig ec = engineConfig(prefix.prefix());
        group = TranslatorGroup.stateless(() -> new ClatMapping(addresses), ec, clock);
        DataplaneConfig dp = DataplaneConfig.defaults().withTunName(tun).withQueues(config.queues())
                .withNamespace(ns.name()).withManageRoutes(false).withTunMtu(Math.max(1280, uplinkMtu));
        Logger.getLogger(Engine.class.getName()).setLevel(Level.WARNING); // it would say "NAT64 up"
        engine = Engine.start(group, dp);
        undo.push(new Undo("stop the translator and remove " + tun, engine::stop));

        String v4 = config.ipv4Text();
        String v6 = Ipv6Address.format(clat6[0], clat6[1]);
        ns.ip("-4", "addr", "add", v4 + "/" + config.ipv4PrefixLength(), "dev", tun);
        ns.ip("-4", "route", native4.isEmpty() ? "add" : "prepend", "default", "dev", tun, "src", v4, "mtu",
                String.valueOf(ipv4Mtu));
        undo.push(new Undo("remove the IPv4 default route via " + tun,
                () -> ns.ipMaybe("-4", "route", "del", "default", "dev", tun)));
        setSysctl("net.ipv6.conf.all.forwarding", "1");
        String acceptRa = ns.sysctl("net.ipv6.conf." + sysctlName(uplink) + ".accept_ra");
        if ("1".equals(acceptRa)) {
            // With forwarding on, the kernel ignores router advertisements unless accept_ra is 2.
            setSysctl("net.ipv6.conf." + sysctlName(uplink) + ".accept_ra", "2");
        }
        if (proxyNd) {
            setSysctl("net.ipv6.conf." + sysctlName(uplink) + ".proxy_ndp", "1");
            setSysctl("net.ipv6.neigh." + sysctlName(uplink) + ".proxy_delay", "0");
            ns.ip("-6", "neigh", "add", "proxy", v6, "dev", uplink);
            undo.push(new Undo("remove the proxy neighbor entry for " + v6,
                    () -> ns.ipMaybe("-6", "neigh", "del", "proxy", v6, "dev", uplink)));
        }
        ns.ip("-6", "route", "add", v6 + "/128", "dev", tun);
        undo.push(new Undo("remove the route of " + v6 + " into " + tun,
                () -> ns.ipMaybe("-6", "route", "del", v6 + "/128", "dev", tun)));

        // 5. Status file and housekeeping.
        if (config.statusDir() != null) {
            statusFile = ClatConfig.statusFile(config.statusDir(), ns.name());
            undo.push(new Undo("remove " + statusFile, () -> {
                synchronized (statusLock) {
                    stopping = true;
                    Files.deleteIfExists(statusFile);
                }
            }));
            writeStatus();
        }
        running = true;
        housekeeper = new Thread(this::housekeeping, "xlatbox-clat-" + tun);
        housekeeper.setDaemon(true);
        housekeeper.start();
        LOG.info(() -> "CLAT up in " + ns.describe() + ": " + describe());
    }

    private Path statusDir() {
        return config.statusDir() != null ? config.statusDir() : ClatConfig.DEFAULT_STATUS_DIR;
    }

    private EngineConfig engineConfig(Rfc6052Prefix plat) {
        long[] v6 = {addresses.get().ipv6Hi(), addresses.get().ipv6Lo()};
        return EngineConfig.builder()
                .pool6(plat)
                .ownIpv4Address(Ipv4Address.format(config.ipv4Peer()))
                .ownIpv6Address(Ipv6Address.format(v6[0], v6[1]))
                .ipv6Mtu(Math.max(1280, uplinkMtu))
                .ipv4Mtu(Math.max(1280, uplinkMtu))
                .lowestIpv6Mtu(1280)
                .build();
    }

    /** Configured; else PREF64 (solicited, awaited); else RFC 7050. */
    private PlatPrefix initialPrefix() throws ClatException {
        if (config.prefix() != null) {
            return new PlatPrefix(config.prefix(), PlatPrefix.Source.CONFIGURED, "given", null);
        }
        String raNote;
        if (listener != null) {
            listener.solicit();
            try {
                PlatPrefix p = listener.await(config.raWait());
                if (p != null) {
                    return p;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClatException(ClatException.Reason.NO_PREFIX, "interrupted while waiting for a PREF64");
            }
            raNote = "no router advertisement with a PREF64 option (RFC 8781) on " + uplink + " within "
                    + config.raWait().toMillis() + " ms (" + listener.advertisementsSeen() + " advertisements seen"
                    + (listener.lastProblem() != null ? "; " + listener.lastProblem() : "") + ")";
        } else {
            raNote = "not listening for PREF64";
        }
        try {
            PlatPrefix p = Rfc7050Discovery.discover(ns.name(), resolvers, DNS_ATTEMPTS, DNS_ATTEMPT, clock);
            lastRfc7050 = p;
            return p;
        } catch (DiscoveryException e) {
            throw new ClatException(ClatException.Reason.NO_PREFIX, "no NAT64 prefix found: " + raNote + "; "
                    + e.getMessage() + ". Without a prefix the CLAT cannot translate: is there a DNS64 (give it "
                    + "with --dns) or a router sending PREF64? Or give the prefix with --prefix.");
        }
    }

    /** A random interface identifier in the uplink's first global /64 (not one in use there). */
    private long[] pickClatIpv6(Netns.Link up) throws ClatException, IOException {
        List<Netns.Address> mine = ns.addresses("inet6", up.name());
        Netns.Address base = null;
        for (Netns.Address a : mine) {
            if ("global".equals(a.scope()) && a.prefixLength() == 64) {
                base = a;
                break;
            }
        }
        if (base == null) {
            throw new ClatException(ClatException.Reason.SETUP, "no global /64 address on " + up.name()
                    + " to take a CLAT IPv6 address from: give a dedicated one (routed to this host) with --clat-ipv6");
        }
        long hi = Ipv6Address.parse(base.address())[0];
        List<String> inUse = new ArrayList<>();
        for (Netns.Address a : ns.addresses("inet6", null)) {
            inUse.add(a.address());
        }
        for (int i = 0; i < 16; i++) {
            long lo = RANDOM.nextLong() & ~0x0200000000000000L; // universal/local bit clear: not an EUI-64
            if ((lo >>> 16) == 0) {
                continue; // keep clear of ::, ::1 and other small suffixes people give routers
            }
            String text = Ipv6Address.format(hi, lo);
            if (!inUse.contains(text)) {
                return new long[] {hi, lo};
            }
        }
        throw new ClatException(ClatException.Reason.SETUP, "no free CLAT IPv6 address found");
    }

    /** Whether the address lies in an on-link prefix of the uplink (then the uplink must answer for it). */
    private boolean onLink(long[] a) throws IOException {
        for (Netns.Address mine : ns.addresses("inet6", uplink)) {
            if (!"global".equals(mine.scope())) {
                continue;
            }
            long[] m = Ipv6Address.parse(mine.address());
            int len = mine.prefixLength();
            long maskHi = len >= 64 ? -1L : len == 0 ? 0 : -1L << (64 - len);
            long maskLo = len <= 64 ? 0L : -1L << (128 - len);
            if ((m[0] & maskHi) == (a[0] & maskHi) && (m[1] & maskLo) == (a[1] & maskLo)) {
                return true;
            }
        }
        return false;
    }

    private void setSysctl(String key, String value) throws IOException {
        String old = ns.sysctl(key);
        if (old == null) {
            throw new IOException("no sysctl " + key + " in " + ns.describe());
        }
        if (old.equals(value)) {
            return;
        }
        ns.setSysctl(key, value);
        undo.push(new Undo("restore " + key + "=" + old, () -> ns.setSysctl(key, old)));
    }

    /** sysctl writes a '.' in an interface name as '/'. */
    private static String sysctlName(String device) {
        return device.replace('.', '/');
    }

    // ---------------------------------------------------------------------------------------------------------
    // Running

    private void housekeeping() {
        while (running) {
            try {
                Thread.sleep(STATUS_PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            if (!running) {
                return;
            }
            try {
                PlatPrefix p = prefix;
                boolean due = p.expires() != null && !p.expires().isAfter(clock.instant());
                if (prefixSourcesChanged || due) {
                    prefixSourcesChanged = false;
                    refreshPrefix();
                }
                writeStatus();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "CLAT housekeeping", e);
            }
        }
    }

    /** Chooses the prefix again: PREF64 if one is valid, else RFC 7050 (asked again when due); swaps it in. */
    synchronized void refreshPrefix() {
        if (config.prefix() != null) {
            return;
        }
        PlatPrefix next = listener != null ? listener.current() : null;
        if (next == null) {
            PlatPrefix dns = lastRfc7050;
            if (dns == null || dns.expires() == null || !dns.expires().isAfter(clock.instant())) {
                try {
                    dns = Rfc7050Discovery.discover(ns.name(), resolvers, DNS_ATTEMPTS, DNS_ATTEMPT, clock);
                    lastRfc7050 = dns;
                    lastPrefixProblem = null;
                } catch (DiscoveryException e) {
                    lastPrefixProblem = e.getMessage();
                    LOG.warning("keeping " + prefix.prefix() + ": " + e.getMessage());
                    // Keep translating with what we have; try again in a minute.
                    prefix = new PlatPrefix(prefix.prefix(), prefix.source(), prefix.detail() + "; refresh failed",
                            clock.instant().plus(Rfc7050Discovery.MIN_REFRESH));
                    return;
                }
            }
            next = dns;
        }
        PlatPrefix before = prefix;
        prefix = next;
        if (!next.prefix().equals(before.prefix())) {
            try {
                addresses.set(addresses.get().withPlat(next.prefix()));
                group.apply(group.config().toBuilder().pool6(next.prefix()).build());
                LOG.info("CLAT prefix changed from " + before + " to " + next);
            } catch (RuntimeException e) {
                prefix = before;
                LOG.warning("cannot use " + next + ": " + e.getMessage());
            }
        }
    }

    private void writeStatus() throws IOException {
        synchronized (statusLock) {
            if (statusFile == null || stopping) {
                return;
            }
            Files.createDirectories(statusFile.getParent());
            Path tmp = statusFile.resolveSibling(statusFile.getFileName() + ".tmp");
            Files.writeString(tmp, Json.pretty(status()), StandardCharsets.UTF_8);
            Files.move(tmp, statusFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** What the status file says: addresses, prefix and its source, MTUs, counters. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid", ProcessHandle.current().pid());
        m.put("namespace", ns.name());
        m.put("tun", config.tunName());
        m.put("uplink", uplink);
        m.put("uplinkMtu", uplinkMtu);
        m.put("ipv4", config.ipv4Text() + "/" + config.ipv4PrefixLength());
        m.put("ipv4Peer", Ipv4Address.format(config.ipv4Peer()));
        m.put("ipv4Mtu", ipv4Mtu);
        m.put("ipv6", addresses.get().ipv6Text());
        m.put("proxyNd", proxyNd);
        m.put("errorSource4", Ipv4Address.format(config.errorSource4()));
        PlatPrefix p = prefix;
        m.put("prefix", p.prefix().toString());
        m.put("prefixSource", p.source().name().toLowerCase(java.util.Locale.ROOT));
        m.put("prefixDetail", p.detail());
        m.put("prefixExpires", p.expires() == null ? null : p.expires().toString());
        m.put("prefixProblem", lastPrefixProblem);
        m.put("resolvers", resolvers.stream().map(io.xlatbox.clat.net.DnsClient::describe).toList());
        m.put("routerAdvertisements", listener == null ? null : listener.advertisementsSeen());
        m.put("started", started.toString());
        m.put("updated", Instant.now().toString());
        m.put("healthy", engine != null && engine.healthy());
        Map<String, Object> counters = new LinkedHashMap<>();
        if (engine != null) {
            for (Map.Entry<Counter, Long> e : engine.counters().entrySet()) {
                if (e.getValue() != 0) {
                    counters.put(e.getKey().key(), e.getValue());
                }
            }
        }
        m.put("counters", counters);
        return m;
    }

    public ClatConfig config() {
        return config;
    }

    /** The PLAT prefix in use and where it came from. */
    public PlatPrefix prefix() {
        return prefix;
    }

    public String tunName() {
        return config.tunName();
    }

    public String uplink() {
        return uplink;
    }

    public String ipv4() {
        return config.ipv4Text();
    }

    public String ipv6() {
        return addresses.get().ipv6Text();
    }

    /** MTU of the IPv4 default route through the CLAT. */
    public int ipv4Mtu() {
        return ipv4Mtu;
    }

    public Path statusFile() {
        return statusFile;
    }

    public Map<Counter, Long> counters() {
        return engine.counters();
    }

    public boolean healthy() {
        return engine != null && engine.healthy();
    }

    /** One line for people. */
    public String describe() {
        return config.ipv4Text() + "/" + config.ipv4PrefixLength() + " on " + config.tunName() + " (IPv4 MTU "
                + ipv4Mtu + ") <-> " + addresses.get().ipv6Text() + (proxyNd ? " (proxy-ND on " + uplink + ")" : "")
                + ", PLAT prefix " + prefix;
    }

    /** Undoes everything start did, newest first; failures are logged, the rest still undone. Idempotent. */
    public void stop() {
        Thread h;
        synchronized (this) {
            stopping = true;
            running = false;
            h = housekeeper;
            housekeeper = null;
        }
        if (h != null) {
            // Not holding the lock: the housekeeper may be in refreshPrefix, which takes it.
            h.interrupt();
            Threads.join(h, 5000);
        }
        undoAll();
    }

    private synchronized void undoAll() {
        while (!undo.isEmpty()) {
            Undo u = undo.pop();
            try {
                u.action().run();
            } catch (IOException | RuntimeException e) {
                LOG.warning("cleanup: cannot " + u.what() + ": " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        stop();
    }
}
