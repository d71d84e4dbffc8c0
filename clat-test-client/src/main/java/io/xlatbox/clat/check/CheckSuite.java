package io.xlatbox.clat.check;

import static io.xlatbox.clat.check.CheckResult.data;

import io.xlatbox.clat.ClatStatus;
import io.xlatbox.clat.check.CheckResult.Outcome;
import io.xlatbox.clat.check.CheckResult.Status;
import io.xlatbox.clat.discovery.DiscoveryException;
import io.xlatbox.clat.discovery.PlatPrefix;
import io.xlatbox.clat.discovery.Rfc7050Discovery;
import io.xlatbox.clat.net.DnsClient;
import io.xlatbox.clat.net.Endpoints;
import io.xlatbox.clat.net.Netns;
import io.xlatbox.clat.net.RawSocket;
import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import io.xlatbox.engine.tun.NetNamespace;
import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The 464XLAT check suite, run from the client namespace (every socket is opened on a thread inside it):
 * <ol>
 *   <li>{@code path}: where IPv4 to the target goes (through the CLAT's TUN?) and the CLAT's addresses and prefix;</li>
 *   <li>{@code plat}: RFC 7050 discovery through the network's DNS64, compared with the CLAT's prefix;</li>
 *   <li>{@code tcp4}, {@code udp4}, {@code icmp4}: HTTP GET, UDP echo and ICMP echo to the IPv4 literal;</li>
 *   <li>{@code ttl4-icmp}, {@code ttl4-udp}: traceroute-style TTL expiry, ICMP echo and UDP probes with TTL 1, 2,
 *       ...; the Time Exceeded of the last router before the target (an IPv4 router behind the NAT64) has crossed
 *       both translators, and the packet it quotes must come back as the one we sent;</li>
 *   <li>{@code dns4}: plain DNS to an IPv4 resolver literal;</li>
 *   <li>{@code bulk4}: a large download verified against its .sha256 file, across the CLAT's smaller MTU;</li>
 *   <li>{@code dns64}, {@code tcp6}, {@code udp6}, {@code icmp6}: for contrast, the target by name through the
 *       DNS64 without the CLAT (AAAA, then IPv6 straight to the synthesized address).</li>
 * </ol>
 * Every check has a timeout and is abandoned (its sockets closed) when it runs out. A failed check through the CLAT
 * says where its packets stopped: the CLAT's counters during the check (from its status file), and an ICMPv6 echo to
 * the target's PLAT address straight from the namespace, which tells a NAT64 that is down or unrouted from a
 * target that does not answer.
 */
public final class CheckSuite {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration DNS_ATTEMPT = Duration.ofMillis(1500);

    private final CheckOptions o;
    private final Netns ns;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "xlatbox-clat-check");
        t.setDaemon(true);
        return t;
    });
    private final List<CheckResult> results = new ArrayList<>();
    private ClatStatus clat;
    private Rfc6052Prefix plat;
    private String platFrom;
    private InetAddress target6;
    private InetAddress source4;
    private String ipv6Probe;
    private InetAddress synthesized;
    private String synthesizedProblem;

    private CheckSuite(CheckOptions o) {
        this.o = o;
        this.ns = new Netns(o.namespace());
    }

    /** Runs the suite; never throws for a failed check, never hangs (every check has its timeout). */
    public static Report run(CheckOptions options) {
        CheckSuite s = new CheckSuite(options);
        try {
            return s.runAll();
        } finally {
            s.pool.shutdownNow();
        }
    }

    private Report runAll() {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        clat = ClatStatus.read(o.statusDir(), o.namespace());
        if (clat != null && !clat.stale() && clat.get("prefix") != null) {
            plat = Rfc6052Prefix.parse(clat.get("prefix"));
            platFrom = "the CLAT (" + clat.get("prefixSource") + ")";
        }
        String t = Endpoints.text(o.target());
        check("path", "IPv4 route to " + t, o.timeout(), false, this::path);
        check("plat", "PLAT prefix by RFC 7050 through the DNS64", o.timeout().multipliedBy(3), false, this::plat);
        if (plat != null) {
            int v4 = Ipv4Address.parse(t);
            target6 = Ipv6Address.toInet(plat.embedHi(v4), plat.embedLo(v4));
        }
        check("tcp4", "TCP to " + t + ":" + o.httpPort() + " (HTTP GET " + o.httpPath() + ")", o.timeout(), true,
                this::tcp4);
        check("udp4", "UDP to " + t + ":" + o.udpPort() + " (echo)", o.timeout(), true, this::udp4);
        check("icmp4", "ICMP echo to " + t, o.timeout(), true, this::icmp4);
        Duration ttlTimeout = Duration.ofSeconds(Math.max(10, o.maxHops() * 2L + 2));
        check("ttl4-icmp", "TTL expiry, ICMP echo with TTL 1, 2, ... to " + t, ttlTimeout, true, a -> ttl(a, false));
        check("ttl4-udp", "TTL expiry, UDP with TTL 1, 2, ... to " + t, ttlTimeout, true, a -> ttl(a, true));
        InetSocketAddress dns4 = o.dns4() != null ? o.dns4() : new InetSocketAddress(o.target(), 53);
        check("dns4", "DNS to the IPv4 resolver " + DnsClient.describe(dns4), o.timeout(), true, a -> dns4(dns4));
        check("bulk4", "Large TCP transfer (GET " + o.bulkPath() + ", SHA-256 checked)", o.bulkTimeout(), true,
                this::bulk4);
        String by = o.name() != null ? o.name() : "name";
        check("dns64", "AAAA " + by + " through the DNS64", o.timeout().multipliedBy(2), false, a -> dns64());
        check("tcp6", "TCP to " + by + " over IPv6, no CLAT (HTTP GET)", o.timeout(), false, this::tcp6);
        check("udp6", "UDP to " + by + " over IPv6, no CLAT (echo)", o.timeout(), false, this::udp6);
        check("icmp6", "ICMPv6 echo to " + by + ", no CLAT", o.timeout(), false, this::icmp6);
        long millis = (System.nanoTime() - t0) / 1_000_000L;
        return new Report(o.namespace(), t, o.name(), clatLine(), clat == null ? null : clat.fields(), started,
                millis, List.copyOf(results));
    }

    private String clatLine() {
        if (clat == null) {
            return "no CLAT status in " + o.statusDir() + " for this namespace (no CLAT of ours running there)";
        }
        if (clat.stale()) {
            return "stale: " + clat.staleReason();
        }
        return clat.get("ipv4") + " on " + clat.get("tun") + " (IPv4 MTU " + clat.number("ipv4Mtu") + ") <-> "
                + clat.get("ipv6") + "; PLAT prefix " + clat.get("prefix") + " from " + clat.get("prefixSource")
                + " (" + clat.get("prefixDetail") + ")";
    }

    // ---------------------------------------------------------------------------------------------------------
    // Running a check with its timeout

    /** Sockets and probes of a running check, closed to abort it. */
    static final class Abort {
        private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

        <T extends AutoCloseable> T add(T c) {
            open.add(c);
            return c;
        }

        void closeAll() {
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // aborting anyway
                }
            }
        }
    }

    @FunctionalInterface
    interface Body {
        Outcome run(Abort abort) throws Exception;
    }

    private void check(String id, String title, Duration timeout, boolean viaClat, Body body) {
        if (!o.wants(id)) {
            return;
        }
        // The CLAT rewrites its status every 250 ms: this may be that old, which is close enough for the deltas.
        ClatStatus before = viaClat ? ClatStatus.read(o.statusDir(), o.namespace()) : null;
        Abort abort = new Abort();
        long t0 = System.nanoTime();
        Future<Outcome> f = pool.submit(() -> NetNamespace.callIn(o.namespace(), () -> body.run(abort)));
        Outcome out;
        try {
            out = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            abort.closeAll();
            f.cancel(true);
            out = Outcome.fail("no result within " + seconds(timeout) + " (abandoned)", null, data());
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            out = Outcome.fail("error: " + c.getClass().getSimpleName() + ": " + c.getMessage(), null, data());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort.closeAll();
            out = Outcome.fail("interrupted", null, data());
        } finally {
            abort.closeAll();
        }
        long millis = (System.nanoTime() - t0) / 1_000_000L;
        if (out.status() == Status.FAIL) {
            String where = viaClat ? whereIpv4Stopped(before, out.cause()) : whereIpv6Stopped(out.cause());
            out = new Outcome(Status.FAIL, out.result(), where, out.data());
        }
        results.add(new CheckResult(id, title, out.status(), millis, out.result(), out.cause(), out.data()));
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    // ---------------------------------------------------------------------------------------------------------
    // The checks

    private Outcome path(Abort a) throws IOException {
        String t = Endpoints.text(o.target());
        Map<String, Object> route = ns.routeGet(t);
        if (route == null) {
            String err = ns.routeGetError(t);
            return Outcome.fail("no IPv4 route to " + t, "no IPv4 route in " + ns.describe() + (err != null ? " ("
                    + err + ")" : "") + ": no CLAT running there? Start one: xlatbox-clat run --netns "
                    + (ns.name() == null ? "NS" : ns.name()), data());
        }
        String dev = (String) route.get("dev");
        String src = (String) route.get("prefsrc");
        if (src != null) {
            source4 = Endpoints.literal(src);
        }
        boolean ours = clat != null && !clat.stale() && dev != null && dev.equals(clat.get("tun"));
        Map<String, Object> d = data("device", dev, "source", src, "viaClat", ours);
        if (ours) {
            return Outcome.pass("via the CLAT: " + dev + ", source " + src + ", IPv4 MTU " + clat.number("ipv4Mtu")
                    + ", as " + clat.get("ipv6") + " to " + clat.get("prefix"), d);
        }
        if (clat != null && !clat.stale()) {
            return Outcome.fail("via " + dev + ", not the CLAT's " + clat.get("tun"), "another route to " + t
                    + " takes precedence over the CLAT's default route: IPv4 does not go through the CLAT", d);
        }
        return Outcome.pass("via " + dev + (src != null ? ", source " + src : "")
                + (clat == null ? " (no CLAT status file: not a CLAT of ours, or native IPv4)" : ""), d);
    }

    /** The resolvers to ask through the DNS64, or the failure to read resolv.conf ({@code unreadable}). */
    private record Dns64Resolvers(List<InetSocketAddress> servers, Outcome unreadable) {
    }

    /** --dns, else the namespace's resolv.conf. */
    private Dns64Resolvers dns64Resolvers() {
        try {
            return new Dns64Resolvers(!o.dns64().isEmpty() ? o.dns64() : Endpoints.resolvers(o.namespace()), null);
        } catch (IOException e) {
            return new Dns64Resolvers(List.of(), Outcome.fail("cannot read resolv.conf", e.getMessage(), data()));
        }
    }

    private Outcome plat(Abort a) {
        Dns64Resolvers given = dns64Resolvers();
        if (given.unreadable() != null) {
            return given.unreadable();
        }
        List<InetSocketAddress> resolvers = given.servers();
        if (resolvers.isEmpty()) {
            return Outcome.skip("no resolver given (--dns) or in resolv.conf: cannot ask the DNS64");
        }
        PlatPrefix found;
        try {
            found = Rfc7050Discovery.discover(o.namespace(), resolvers, 2, DNS_ATTEMPT, Clock.systemUTC());
        } catch (DiscoveryException e) {
            boolean clatElsewhere = plat != null && clat != null && !"rfc7050".equals(clat.get("prefixSource"));
            if (clatElsewhere) {
                // A network may announce its prefix by PREF64 only (or the CLAT was given one): no DNS64 is no fault.
                return Outcome.skip("no DNS64 prefix (" + e.getMessage() + "); the CLAT uses " + plat + " from "
                        + platFrom);
            }
            return Outcome.fail("no NAT64 prefix from the DNS64", e.getMessage()
                    + (plat != null ? "; the CLAT uses " + plat + " from " + platFrom : ""), data());
        }
        Map<String, Object> d = data("prefix", found.prefix().toString(), "detail", found.detail());
        if (plat == null) {
            plat = found.prefix();
            platFrom = "RFC 7050 (" + found.detail() + ")";
            return Outcome.pass(found.prefix() + " (" + found.detail() + "); no CLAT status to compare with", d);
        }
        if (!plat.equals(found.prefix())) {
            return Outcome.fail("the DNS64 synthesizes with " + found.prefix() + ", the CLAT translates to " + plat,
                    "the network's prefixes disagree: names resolved through the DNS64 and IPv4 literals through the "
                            + "CLAT go to different NAT64 prefixes (the CLAT's came from " + platFrom + ")", d);
        }
        return Outcome.pass(found.prefix() + " (" + found.detail() + "), the same as the CLAT's", d);
    }

    private Outcome tcp4(Abort a) {
        return http(a, new InetSocketAddress(o.target(), o.httpPort()));
    }

    private Outcome http(Abort a, InetSocketAddress to) {
        int ms = (int) Math.max(500, o.timeout().toMillis() * 3 / 5);
        try {
            HttpProbe.Response r = HttpProbe.get(to, o.httpPath(), ms, ms, false, a::add);
            Map<String, Object> d = data("status", r.status(), "bytes", r.bytes(), "connectMillis",
                    round(r.connectMillis()), "totalMillis", round(r.totalMillis()));
            String line = "HTTP " + r.status() + ", " + r.bytes() + " bytes; connect " + fmt(r.connectMillis())
                    + ", total " + fmt(r.totalMillis());
            if (r.status() >= 400) {
                return Outcome.fail(line, "the server answered " + r.status() + " " + r.reason()
                        + ": the path works, the page does not exist (--http-path)", d);
            }
            return Outcome.pass(line, d);
        } catch (IOException e) {
            return Outcome.fail(socketError(e, "TCP", to, ms), null, data("error", e.toString()));
        }
    }

    private Outcome udp4(Abort a) {
        return udp(a, new InetSocketAddress(o.target(), o.udpPort()));
    }

    private Outcome udp(Abort a, InetSocketAddress to) {
        byte[] payload = new byte[48];
        RANDOM.nextBytes(payload);
        System.arraycopy("xlatbox-clat".getBytes(StandardCharsets.US_ASCII), 0, payload, 0, 12);
        int per = (int) Math.max(300, Math.min(1000, o.timeout().toMillis() / 4));
        try (DatagramSocket s = a.add(new DatagramSocket(null))) {
            s.bind(null);
            s.connect(to);
            byte[] buf = new byte[2048];
            for (int attempt = 1; attempt <= 3; attempt++) {
                long t0 = System.nanoTime();
                s.send(new DatagramPacket(payload, payload.length));
                long deadline = t0 + per * 1_000_000L;
                while (true) {
                    long left = (deadline - System.nanoTime()) / 1_000_000L;
                    if (left <= 0) {
                        break;
                    }
                    s.setSoTimeout((int) left);
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    try {
                        s.receive(p);
                    } catch (SocketTimeoutException e) {
                        break;
                    }
                    if (p.getLength() == payload.length && Arrays.equals(Arrays.copyOf(buf, p.getLength()), payload)) {
                        double rtt = (System.nanoTime() - t0) / 1e6;
                        return Outcome.pass("echo of " + payload.length + " bytes in " + fmt(rtt) + " (attempt "
                                + attempt + " of 3)", data("rttMillis", round(rtt), "attempt", attempt));
                    }
                }
            }
            return Outcome.fail("no echo in 3 attempts (" + per + " ms each)", null, data());
        } catch (PortUnreachableException e) {
            return Outcome.fail("ICMP port unreachable", "the target answered, but nothing listens on UDP port "
                    + to.getPort() + " (the path works)", data());
        } catch (IOException e) {
            return Outcome.fail(socketError(e, "UDP", to, per), null, data("error", e.toString()));
        }
    }

    private Outcome icmp4(Abort a) throws IOException {
        return echo(a, o.target(), false);
    }

    private Outcome echo(Abort a, InetAddress dst, boolean v6) throws IOException {
        int per = (int) Math.max(300, Math.min(1000, o.timeout().toMillis() / 4));
        try (IcmpProbe p = a.add(v6 ? IcmpProbe.v6(null) : IcmpProbe.v4(null))) {
            for (int attempt = 1; attempt <= 3; attempt++) {
                IcmpProbe.Reply r = p.echo(dst, 64, attempt, per);
                if (r == null) {
                    continue;
                }
                Map<String, Object> d = data("rttMillis", round(r.rttMillis()), "from", Endpoints.text(r.from()),
                        "ttl", r.ttl(), "checksumsOk", r.checksumsOk(), "attempt", attempt);
                if (r.kind() != IcmpProbe.Kind.ECHO_REPLY) {
                    return Outcome.fail(r.describe(v6), null, d);
                }
                if (!r.checksumsOk()) {
                    return Outcome.fail("echo reply with a bad ICMP checksum", "a translator on the way broke the "
                            + "checksum", d);
                }
                return Outcome.pass("reply in " + fmt(r.rttMillis()) + (r.ttl() >= 0 ? ", TTL " + r.ttl() : "")
                        + " (attempt " + attempt + " of 3)", d);
            }
            return Outcome.fail("no reply in 3 attempts (" + per + " ms each)", null, data());
        }
    }

    /** Traceroute: ICMP echo or UDP (ports 33434 + TTL) with TTL 1, 2, ... until the target answers. */
    private Outcome ttl(Abort a, boolean udp) throws IOException {
        InetAddress dst = o.target();
        InetAddress expectedSource = source4;
        List<String> hops = new ArrayList<>();
        List<Object> hopData = new ArrayList<>();
        IcmpProbe.Reply last = null;
        IcmpProbe.Reply beforeLast = null;
        int reachedAt = -1;
        int silent = 0;
        String stopped = null;
        try (IcmpProbe p = a.add(IcmpProbe.v4(null));
             RawSocket us = udp ? a.add(RawSocket.udp4(null)) : null) {
            int localPort = us != null ? us.bindPort(0) : 0;
            for (int ttl = 1; ttl <= o.maxHops(); ttl++) {
                IcmpProbe.Reply r = null;
                for (int attempt = 0; attempt < 2 && r == null; attempt++) {
                    r = udp ? p.udp(us, localPort, dst, 33434 + ttl, ttl, 800)
                            : p.echo(dst, ttl, ttl * 4 + attempt, 800);
                }
                if (r == null) {
                    hops.add(ttl + " *");
                    hopData.add(data("ttl", ttl));
                    if (++silent >= 3) {
                        stopped = "no answer for TTL " + (ttl - 2) + " to " + ttl;
                        break;
                    }
                    continue;
                }
                silent = 0;
                beforeLast = last;
                last = r;
                hops.add(ttl + " " + Endpoints.text(r.from()) + " " + fmt(r.rttMillis()));
                hopData.add(data("ttl", ttl, "from", Endpoints.text(r.from()), "type", r.type(), "code", r.code(),
                        "rttMillis", round(r.rttMillis()), "checksumsOk", r.checksumsOk(),
                        "quotedSource", r.innerSource() == null ? null : Endpoints.text(r.innerSource())));
                if (!r.checksumsOk()) {
                    return Outcome.fail("bad checksum in the " + r.describe(false) + " at TTL " + ttl,
                            "an ICMP error was translated with a wrong checksum (outer ICMP or quoted IPv4 header)",
                            data("hops", hopData));
                }
                if (r.innerSource() != null && expectedSource != null && !r.innerSource().equals(expectedSource)) {
                    return Outcome.fail("the " + r.describe(false) + " quotes a packet from "
                            + Endpoints.text(r.innerSource()) + ", not " + Endpoints.text(expectedSource),
                            "the packet inside the ICMP error was not translated back to what we sent",
                            data("hops", hopData));
                }
                boolean fromTarget = r.from().equals(dst);
                if (!udp && r.kind() == IcmpProbe.Kind.ECHO_REPLY) {
                    reachedAt = ttl;
                    break;
                }
                if (udp && fromTarget && r.kind() == IcmpProbe.Kind.UNREACHABLE && r.code() == 3) {
                    reachedAt = ttl;
                    break;
                }
                if (r.kind() != IcmpProbe.Kind.TIME_EXCEEDED) {
                    stopped = r.describe(false) + " at TTL " + ttl;
                    break;
                }
            }
        }
        String list = String.join(", ", hops);
        Map<String, Object> d = data("hops", hopData, "reachedAt", reachedAt);
        if (reachedAt < 0) {
            return Outcome.fail("not reached: " + (stopped != null ? stopped : "no answer up to TTL " + o.maxHops())
                    + "; hops " + list, null, d);
        }
        boolean beyond = beforeLast != null && beforeLast.kind() == IcmpProbe.Kind.TIME_EXCEEDED
                && !beforeLast.from().equals(dst) && !isIetfSpecial(beforeLast.from());
        if (!beyond) {
            return Outcome.fail("reached at TTL " + reachedAt + " but no Time Exceeded from an IPv4 router just "
                    + "before it; hops " + list, "the last router before the target (behind the NAT64) did not "
                    + "answer, or its error did not cross both translators", d);
        }
        return Outcome.pass("reached at TTL " + reachedAt + "; the time exceeded from "
                + Endpoints.text(beforeLast.from()) + " crossed the NAT64 and the CLAT; hops " + list, d);
    }

    /** 192.0.0.0/24 (RFC 7335 CLAT addresses, RFC 7600's 192.0.0.8): translator stand-ins, not real routers. */
    private static boolean isIetfSpecial(InetAddress a) {
        byte[] b = a.getAddress();
        return b.length == 4 && (b[0] & 0xFF) == 192 && b[1] == 0 && b[2] == 0;
    }

    private Outcome dns4(InetSocketAddress server) throws TextParseException {
        String q = o.dnsQuery() != null ? o.dnsQuery() : o.name() != null ? o.name() : "ipv4only.arpa";
        Message query = Message.newQuery(Record.newRecord(Name.fromString(q.endsWith(".") ? q : q + "."), Type.A,
                DClass.IN));
        query.getHeader().setID(RANDOM.nextInt(1 << 16));
        boolean implicit = o.dns4() == null;
        String who = DnsClient.describe(server);
        long t0 = System.nanoTime();
        try {
            Message m = DnsClient.query(null, server, query, Duration.ofMillis(Math.min(2000,
                    o.timeout().toMillis() / 2)));
            double rtt = (System.nanoTime() - t0) / 1e6;
            List<String> answers = new ArrayList<>();
            for (Record r : m.getSection(Section.ANSWER)) {
                answers.add(r.rdataToString());
            }
            return Outcome.pass(Rcode.string(m.getRcode()) + " in " + fmt(rtt) + " for " + q + " A"
                    + (answers.isEmpty() ? "" : ": " + String.join(", ", answers)),
                    data("rcode", Rcode.string(m.getRcode()), "answers", answers, "rttMillis", round(rtt)));
        } catch (PortUnreachableException e) {
            if (implicit) {
                return Outcome.skip("no IPv4 resolver at " + who + " (ICMP port unreachable; give one with --dns4)");
            }
            return Outcome.fail("ICMP port unreachable from " + who, "no DNS server listens there", data());
        } catch (SocketTimeoutException e) {
            boolean pathWorks = results.stream().anyMatch(r -> (r.id().equals("udp4") || r.id().equals("tcp4"))
                    && r.status() == Status.PASS);
            if (implicit && pathWorks) {
                return Outcome.skip("no IPv4 resolver at " + who + " (no answer, while TCP/UDP to the target work;"
                        + " give one with --dns4)");
            }
            return Outcome.fail("no answer from " + who, null, data());
        } catch (IOException e) {
            return Outcome.fail(socketError(e, "DNS", server, 2000), null, data());
        }
    }

    private Outcome bulk4(Abort a) {
        InetSocketAddress to = new InetSocketAddress(o.target(), o.httpPort());
        int ms = (int) Math.max(1000, o.timeout().toMillis() * 3 / 5);
        String expected;
        try {
            HttpProbe.Response sum = HttpProbe.get(to, o.bulkPath() + ".sha256", ms, ms, false, a::add);
            if (sum.status() == 404) {
                HttpProbe.Response probe = HttpProbe.get(to, o.bulkPath(), ms, ms, false, a::add);
                if (probe.status() == 404) {
                    return Outcome.skip("no " + o.bulkPath() + " on the target (give another with --bulk-path)");
                }
                return Outcome.fail("cannot verify: " + o.bulkPath() + ".sha256 not found", "the target has "
                        + o.bulkPath() + " but no .sha256 file next to it (sha256sum format)", data());
            }
            expected = sum.headText().trim().split("\\s+")[0].toLowerCase(Locale.ROOT);
            if (!expected.matches("[0-9a-f]{64}")) {
                return Outcome.fail("bad checksum file", o.bulkPath() + ".sha256 does not start with a SHA-256",
                        data());
            }
        } catch (IOException e) {
            return Outcome.fail(socketError(e, "TCP", to, ms), null, data("error", e.toString()));
        }
        try {
            HttpProbe.Response r = HttpProbe.get(to, o.bulkPath(), ms, 10_000, true, a::add);
            double seconds = r.totalMillis() / 1000.0;
            double mbps = r.bytes() * 8 / 1e6 / Math.max(seconds, 1e-6);
            String mtu = clat != null && !clat.stale() ? "; IPv4 MTU " + clat.number("ipv4Mtu") + " (IPv6 "
                    + clat.number("uplinkMtu") + ")" : "";
            Map<String, Object> d = data("bytes", r.bytes(), "seconds", round(seconds), "megabitsPerSecond",
                    round(mbps), "sha256", r.sha256(), "expectedSha256", expected);
            String line = r.bytes() + " bytes in " + String.format(Locale.ROOT, "%.2f s = %.0f Mbit/s", seconds, mbps)
                    + mtu;
            if (r.status() != 200) {
                return Outcome.fail("HTTP " + r.status(), "the server would not send " + o.bulkPath(), d);
            }
            if (!expected.equals(r.sha256())) {
                return Outcome.fail(line + ", SHA-256 MISMATCH", "the data arrived changed: " + r.sha256()
                        + " instead of " + expected, d);
            }
            return Outcome.pass(line + ", SHA-256 matches", d);
        } catch (HttpProbe.Truncated e) {
            return Outcome.fail("transfer broke off: " + e.getMessage(), null, data("bytes", e.bytes));
        } catch (IOException e) {
            return Outcome.fail(socketError(e, "TCP", to, ms), null, data("error", e.toString()));
        }
    }

    private Outcome dns64() {
        if (o.name() == null) {
            return Outcome.skip("no --name for the target: the by-name checks through the DNS64 need one");
        }
        Dns64Resolvers given = dns64Resolvers();
        if (given.unreadable() != null) {
            return given.unreadable();
        }
        List<InetSocketAddress> resolvers = given.servers();
        if (resolvers.isEmpty()) {
            synthesizedProblem = "no resolver";
            return Outcome.skip("no resolver given (--dns) or in resolv.conf");
        }
        Name qname;
        try {
            qname = Name.fromString(o.name().endsWith(".") ? o.name() : o.name() + ".");
        } catch (TextParseException e) {
            return Outcome.fail("bad name " + o.name(), e.getMessage(), data());
        }
        List<String> problems = new ArrayList<>();
        for (InetSocketAddress r : resolvers) {
            Message q = Message.newQuery(Record.newRecord(qname, Type.AAAA, DClass.IN));
            q.getHeader().setID(RANDOM.nextInt(1 << 16));
            long t0 = System.nanoTime();
            try {
                Message m = DnsClient.query(null, r, q, DNS_ATTEMPT);
                double rtt = (System.nanoTime() - t0) / 1e6;
                List<InetAddress> aaaa = new ArrayList<>();
                for (Record rec : m.getSection(Section.ANSWER)) {
                    if (rec instanceof AAAARecord x) {
                        aaaa.add(x.getAddress());
                    }
                }
                if (aaaa.isEmpty()) {
                    problems.add(DnsClient.describe(r) + " answered " + Rcode.string(m.getRcode())
                            + " without AAAA records");
                    continue;
                }
                synthesized = aaaa.get(0);
                boolean under = plat != null && contains(plat, synthesized);
                String note = plat == null ? "" : under ? " (synthesized under " + plat + ")"
                        : " (not under the PLAT prefix " + plat + ": a native AAAA, or another prefix)";
                return Outcome.pass(Endpoints.text(aaaa.get(0)) + note + " from " + DnsClient.describe(r) + " in "
                        + fmt(rtt), data("aaaa", aaaa.stream().map(Endpoints::text).toList(),
                        "resolver", DnsClient.describe(r), "rttMillis", round(rtt), "underPlat", under));
            } catch (IOException e) {
                problems.add(DnsClient.describe(r) + ": " + (e instanceof SocketTimeoutException ? "no answer"
                        : e.getMessage()));
            }
        }
        synthesizedProblem = String.join("; ", problems);
        return Outcome.fail("no AAAA for " + o.name(), synthesizedProblem, data());
    }

    /** The contrast checks need the AAAA; when dns64 was left out (--only), they ask for it themselves. */
    private InetAddress synthesized() {
        if (synthesized == null && synthesizedProblem == null && !o.wants("dns64")) {
            Outcome ignored = dns64();
            if (ignored.status() == Status.SKIP && synthesizedProblem == null) {
                synthesizedProblem = ignored.cause();
            }
        }
        return synthesized;
    }

    private Outcome noSynthesized() {
        return Outcome.skip(o.name() == null ? "no --name for the target"
                : "no AAAA for " + o.name() + " (see dns64" + (synthesizedProblem != null ? ": "
                + synthesizedProblem : "") + ")");
    }

    private Outcome tcp6(Abort a) {
        return synthesized() == null ? noSynthesized() : http(a, new InetSocketAddress(synthesized, o.httpPort()));
    }

    private Outcome udp6(Abort a) {
        return synthesized() == null ? noSynthesized() : udp(a, new InetSocketAddress(synthesized, o.udpPort()));
    }

    private Outcome icmp6(Abort a) throws IOException {
        return synthesized() == null ? noSynthesized() : echo(a, synthesized, true);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Where did it stop?

    private String socketError(IOException e, String proto, InetSocketAddress to, int ms) {
        String host = Endpoints.text(to.getAddress());
        String dst = (host.contains(":") ? "[" + host + "]" : host) + ":" + to.getPort();
        String msg = String.valueOf(e.getMessage());
        if (e instanceof NoRouteToHostException || msg.contains("unreachable")) {
            return "an ICMP unreachable came back for " + dst + " (" + msg + ")";
        }
        if (e instanceof ConnectException && msg.contains("refused")) {
            return "connection refused by " + dst + " (the target or a translator answered with a reset)";
        }
        if (e instanceof SocketTimeoutException) {
            return "no answer from " + dst + " within " + ms + " ms";
        }
        return proto + " to " + dst + ": " + msg;
    }

    /** The CLAT's status, waiting until it has been written after now (it is rewritten every 250 ms). */
    private ClatStatus fresh() {
        ClatStatus s = ClatStatus.read(o.statusDir(), o.namespace());
        if (s == null || s.stale()) {
            return s;
        }
        Instant now = Instant.now();
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            String u = s.get("updated");
            if (u != null && Instant.parse(u).isAfter(now)) {
                return s;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return s;
            }
            ClatStatus next = ClatStatus.read(o.statusDir(), o.namespace());
            if (next == null || next.stale()) {
                return next;
            }
            s = next;
        }
        return s;
    }

    /** For a failed check through the CLAT: the CLAT's counters during it, and an ICMPv6 probe of the NAT64. */
    private String whereIpv4Stopped(ClatStatus before, String cause) {
        List<String> parts = new ArrayList<>();
        if (cause != null) {
            parts.add(cause);
        }
        ClatStatus after = before != null ? fresh() : null;
        if (before != null && after != null && !after.stale()) {
            long in4 = after.counter("receivedIpv4") - before.counter("receivedIpv4");
            long out6 = after.counter("translated4to6") - before.counter("translated4to6");
            long in6 = after.counter("receivedIpv6") - before.counter("receivedIpv6");
            long out4 = after.counter("translated6to4") - before.counter("translated6to4");
            List<String> drops = new ArrayList<>();
            for (Map.Entry<String, Object> e : after.counters().entrySet()) {
                if (e.getKey().startsWith("drop")) {
                    long delta = after.counter(e.getKey()) - before.counter(e.getKey());
                    if (delta > 0) {
                        drops.add(e.getKey() + " " + delta);
                    }
                }
            }
            String t6 = target6 != null ? Endpoints.text(target6) : "the PLAT";
            parts.add("CLAT " + after.get("tun") + " during the check: " + in4 + " IPv4 packets in, " + out6
                    + " out as IPv6 to " + t6 + "; " + in6 + " IPv6 packets back, " + out4 + " delivered as IPv4"
                    + (drops.isEmpty() ? "" : "; drops: " + String.join(", ", drops)));
            if (in4 == 0) {
                parts.add("the packets never reached the CLAT: check the IPv4 route (see path)");
            } else if (out6 > 0 && in6 == 0) {
                parts.add("nothing came back to the CLAT address " + after.get("ipv6"));
            }
        } else if (clat == null || clat.stale()) {
            parts.add("no CLAT status (" + (clat == null ? "no status file" : clat.staleReason())
                    + "): cannot tell what the CLAT saw");
        }
        if (target6 != null) {
            parts.add(ipv6ProbeOfTarget());
        }
        return String.join("\n", parts);
    }

    private String whereIpv6Stopped(String cause) {
        List<String> parts = new ArrayList<>();
        if (cause != null) {
            parts.add(cause);
        }
        if (synthesized instanceof Inet6Address && plat != null && contains(plat, synthesized)) {
            if (target6 == null || !target6.equals(synthesized)) {
                target6 = synthesized;
                ipv6Probe = null;
            }
            parts.add(ipv6ProbeOfTarget());
        }
        return parts.isEmpty() ? null : String.join("\n", parts);
    }

    /** ICMPv6 echo from the namespace straight to the target's PLAT address (no CLAT): once per run. */
    private String ipv6ProbeOfTarget() {
        if (ipv6Probe != null) {
            return ipv6Probe;
        }
        String t6 = Endpoints.text(target6);
        String verdict;
        try {
            verdict = NetNamespace.callIn(o.namespace(), () -> {
                try (IcmpProbe p = IcmpProbe.v6(null)) {
                    IcmpProbe.Reply r = null;
                    for (int i = 0; i < 2 && r == null; i++) {
                        r = p.echo(target6, 64, 100 + i, 700);
                    }
                    if (r == null) {
                        return "ICMPv6 echo straight to " + t6 + " (no CLAT): no answer either — NAT64 down, or "
                                + "the target down?";
                    }
                    if (r.kind() == IcmpProbe.Kind.ECHO_REPLY) {
                        return "ICMPv6 echo straight to " + t6 + " (no CLAT) is answered in " + fmt(r.rttMillis())
                                + ": the NAT64 and the target are up, so this protocol or port is what fails";
                    }
                    String why = r.describe(true);
                    if (r.kind() == IcmpProbe.Kind.UNREACHABLE && (r.code() == 0 || r.code() == 3)) {
                        return "ICMPv6 echo straight to " + t6 + " (no CLAT): " + why + " — the IPv6 network does "
                                + "not route " + (plat != null ? plat : "the PLAT prefix") + ": NAT64 down?";
                    }
                    return "ICMPv6 echo straight to " + t6 + " (no CLAT): " + why;
                }
            });
        } catch (Exception e) {
            String route = null;
            try {
                route = ns.routeGetError(t6);
            } catch (IOException ignored) {
                // the probe's own error is the news
            }
            verdict = "cannot probe " + t6 + ": " + e.getMessage() + (route != null ? " (" + route + ")" : "");
        }
        ipv6Probe = verdict;
        return verdict;
    }

    // ---------------------------------------------------------------------------------------------------------

    private static boolean contains(Rfc6052Prefix p, InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != 16) {
            return false;
        }
        ByteBuffer bb = ByteBuffer.wrap(b);
        return p.contains(bb.getLong(0), bb.getLong(8));
    }

    static String fmt(double millis) {
        return millis < 10 ? String.format(Locale.ROOT, "%.2f ms", millis)
                : millis < 1000 ? String.format(Locale.ROOT, "%.0f ms", millis)
                : String.format(Locale.ROOT, "%.2f s", millis / 1000);
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
