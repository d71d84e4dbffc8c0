package io.xlatbox.clat.cli;

import io.xlatbox.clat.Clat;
import io.xlatbox.clat.ClatConfig;
import io.xlatbox.clat.ClatException;
import io.xlatbox.clat.check.CheckOptions;
import io.xlatbox.clat.check.CheckSuite;
import io.xlatbox.clat.check.Report;
import io.xlatbox.clat.discovery.DiscoveryException;
import io.xlatbox.clat.discovery.PlatPrefix;
import io.xlatbox.clat.discovery.Pref64Listener;
import io.xlatbox.clat.discovery.Rfc7050Discovery;
import io.xlatbox.clat.net.Endpoints;
import io.xlatbox.clat.net.Netns;
import io.xlatbox.engine.Counter;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * The command line: {@code run} a CLAT in a namespace until SIGTERM, {@code check} the 464XLAT path from a
 * namespace, {@code discover} the PLAT prefix without starting anything.
 *
 * <p>Exit codes: 0 success (check: no check failed); 1 a check failed, or the CLAT could not be set up; 2 bad
 * usage; 3 no PLAT prefix found; 4 native IPv4 present (run without --force).
 */
public final class ClatMain {
    static final String USAGE = String.join("\n",
            "usage: java -jar xlatbox-clat.jar run|check|discover [options]",
            "",
            "run: start a CLAT (RFC 6877) and stay in the foreground until SIGTERM/SIGINT, then remove it",
            "  --netns NS          network namespace to run in (default: the current one)",
            "  --dns ADDR[:PORT]   the network's DNS64 for RFC 7050 (repeatable; default: resolv.conf of NS)",
            "  --prefix P          the PLAT prefix, e.g. 64:ff9b::/96 (default: PREF64 from an RA, else RFC 7050)",
            "  --force             start even though native IPv4 exists",
            "  --tun NAME          TUN device (default clat)",
            "  --uplink DEV        IPv6 interface (default: the IPv6 default route's)",
            "  --clat-ipv4 ADDR    the CLAT's IPv4 address (default 192.0.0.2, subnet 192.0.0.0/29)",
            "  --clat-ipv6 ADDR    a dedicated CLAT IPv6 address (default: random in the uplink /64, proxy-ND)",
            "  --ipv4-mtu N        MTU of the IPv4 default route (default: uplink MTU - 28)",
            "  --ra-wait MS        how long to wait for a PREF64 at start (default 1000)",
            "  --no-ra             do not listen for router advertisements",
            "  --queues N          TUN queues / translator threads (default 1)",
            "  --status SECONDS    print the counters every SECONDS",
            "  --status-dir DIR    where the status file goes (default /run/xlatbox-clat)",
            "",
            "check: run the 464XLAT check suite from a namespace; prints a table (and JSON with --json)",
            "  --netns NS          the client namespace (default: the current one)",
            "  --target ADDR       the IPv4-only server, as an IPv4 literal (default 198.51.100.2)",
            "  --name NAME         its DNS name, for the contrast checks through the DNS64 (no CLAT)",
            "  --dns ADDR[:PORT]   the DNS64 (repeatable; default: resolv.conf of NS)",
            "  --dns4 ADDR[:PORT]  an IPv4 resolver for the plain-DNS check (default: the target, port 53)",
            "  --dns-query NAME    the name dns4 asks for (default: --name, else ipv4only.arpa)",
            "  --http-port N / --http-path P / --bulk-path P / --udp-port N",
            "                      the target's services (default 80, /, /big.bin with /big.bin.sha256, 7)",
            "  --timeout MS        per check (default 5000); --bulk-timeout S (default 120); --max-hops N (12)",
            "  --only ID,ID        run only these checks (path plat tcp4 udp4 icmp4 ttl4-icmp ttl4-udp dns4",
            "                      bulk4 dns64 tcp6 udp6 icmp6)",
            "  --json FILE         also write the results as JSON (- : JSON on stdout, the table on stderr)",
            "",
            "discover: print the PLAT prefix (PREF64, else RFC 7050) as seen from --netns NS (--dns, --ra-wait)",
            "",
            "exit codes: 0 ok; 1 a check failed or setup failed; 2 usage; 3 no PLAT prefix; 4 native IPv4 (run)");

    private ClatMain() {
    }

    public static void main(String[] args) {
        quietSlf4j();
        int code;
        try {
            code = run(args, System.out, System.err);
        } catch (IllegalArgumentException e) {
            System.err.println("xlatbox-clat: " + e.getMessage() + "\n\n" + USAGE);
            code = 2;
        }
        System.exit(code);
    }

    /** dnsjava logs through SLF4J; on the command line there is no backend, so say "none" instead of a warning. */
    private static void quietSlf4j() {
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "WARN");
            }
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
            out.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "run" -> runClat(rest, out, err);
            case "check" -> check(rest, out, err);
            case "discover" -> discover(rest, out, err);
            default -> throw new IllegalArgumentException("unknown command '" + args[0] + "'");
        };
    }

    // ---- run

    static ClatConfig runConfig(String[] args) {
        ClatConfig.Builder b = ClatConfig.builder();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--netns" -> b.namespace(value(args, ++i, a));
                case "--dns" -> b.addDns(value(args, ++i, a));
                case "--prefix" -> b.prefix(value(args, ++i, a));
                case "--force" -> b.force(true);
                case "--tun" -> b.tunName(value(args, ++i, a));
                case "--uplink" -> b.uplink(value(args, ++i, a));
                case "--clat-ipv4" -> b.ipv4(value(args, ++i, a)).ipv4Peer(peerOf(value(args, i, a)));
                case "--clat-ipv6" -> b.clatIpv6(value(args, ++i, a));
                case "--ipv4-mtu" -> b.ipv4Mtu(number(args, ++i, a));
                case "--ra-wait" -> b.raWait(Duration.ofMillis(number(args, ++i, a)));
                case "--no-ra" -> b.listenRa(false);
                case "--queues" -> b.queues(number(args, ++i, a));
                case "--status-dir" -> b.statusDir(Path.of(value(args, ++i, a)));
                case "--status" -> i++; // handled by runClat
                default -> throw new IllegalArgumentException("unknown option " + a + " for run");
            }
        }
        return b.build();
    }

    /** The TUN peer for a CLAT address: the other address of its /29's first pair (192.0.0.2 -> 192.0.0.1). */
    private static String peerOf(String ipv4) {
        int v = io.xlatbox.engine.addr.Ipv4Address.parse(ipv4);
        int peer = (v & 7) == 1 ? v + 1 : (v & ~7) | 1;
        return io.xlatbox.engine.addr.Ipv4Address.format(peer);
    }

    private static int runClat(String[] args, PrintStream out, PrintStream err) {
        ClatConfig config = runConfig(args);
        int status = 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--status")) {
                status = number(args, i + 1, "--status");
            }
        }
        logToStderr();
        Clat clat;
        try {
            clat = Clat.start(config);
        } catch (ClatException e) {
            err.println("xlatbox-clat: " + e.getMessage());
            return e.reason().exitCode();
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            clat.stop();
            out.println("CLAT stopped; " + counters(clat.counters()));
            out.flush();
            stopped.countDown();
        }, "xlatbox-clat-shutdown"));
        out.println("CLAT running in " + new Netns(config.namespace()).describe() + ": " + clat.describe());
        if (clat.statusFile() != null) {
            out.println("status: " + clat.statusFile());
        }
        out.flush();
        try {
            while (!stopped.await(status > 0 ? status : 3600, java.util.concurrent.TimeUnit.SECONDS)) {
                if (status > 0) {
                    out.println(counters(clat.counters()));
                    out.flush();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private static String counters(Map<Counter, Long> counters) {
        StringBuilder sb = new StringBuilder();
        counters.forEach((c, v) -> {
            if (v != 0) {
                sb.append(c.key()).append('=').append(v).append(' ');
            }
        });
        return sb.length() == 0 ? "no packets" : sb.toString().trim();
    }

    private static void logToStderr() {
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) {
            root.removeHandler(h);
        }
        System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
        ConsoleHandler h = new ConsoleHandler();
        h.setFormatter(new SimpleFormatter());
        h.setLevel(Level.INFO);
        root.addHandler(h);
    }

    // ---- check

    static CheckOptions checkOptions(String[] args) {
        CheckOptions.Builder b = CheckOptions.builder();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--netns" -> b.namespace(value(args, ++i, a));
                case "--target" -> b.target(value(args, ++i, a));
                case "--name" -> b.name(value(args, ++i, a));
                case "--dns" -> b.addDns64(value(args, ++i, a));
                case "--dns4" -> b.dns4(value(args, ++i, a));
                case "--dns-query" -> b.dnsQuery(value(args, ++i, a));
                case "--http-port" -> b.httpPort(number(args, ++i, a));
                case "--http-path" -> b.httpPath(value(args, ++i, a));
                case "--bulk-path" -> b.bulkPath(value(args, ++i, a));
                case "--udp-port" -> b.udpPort(number(args, ++i, a));
                case "--timeout" -> b.timeout(Duration.ofMillis(number(args, ++i, a)));
                case "--bulk-timeout" -> b.bulkTimeout(Duration.ofSeconds(number(args, ++i, a)));
                case "--max-hops" -> b.maxHops(number(args, ++i, a));
                case "--only" -> b.only(value(args, ++i, a).split(","));
                case "--status-dir" -> b.statusDir(Path.of(value(args, ++i, a)));
                case "--json" -> i++; // handled by check
                default -> throw new IllegalArgumentException("unknown option " + a + " for check");
            }
        }
        return b.build();
    }

    private static int check(String[] args, PrintStream out, PrintStream err) {
        CheckOptions options = checkOptions(args);
        String json = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--json")) {
                json = value(args, i + 1, "--json");
            }
        }
        if (options.namespace() != null) {
            if (!new Netns(options.namespace()).exists()) {
                err.println("xlatbox-clat: no network namespace " + options.namespace());
                return 1;
            }
            try {
                io.xlatbox.engine.tun.NetNamespace.callIn(options.namespace(), () -> null);
            } catch (Exception e) {
                err.println("xlatbox-clat: cannot enter network namespace " + options.namespace() + ": "
                        + e.getMessage() + " (check needs root: setns, raw ICMP sockets)");
                return 1;
            }
        }
        Report report = CheckSuite.run(options);
        boolean jsonOnStdout = "-".equals(json);
        (jsonOnStdout ? err : out).print(report.table());
        if (jsonOnStdout) {
            out.print(report.toJson());
        } else if (json != null) {
            try {
                Files.writeString(Path.of(json), report.toJson(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                err.println("xlatbox-clat: cannot write " + json + ": " + e.getMessage());
                return 1;
            }
        }
        out.flush();
        return report.passed() ? 0 : 1;
    }

    // ---- discover

    private static int discover(String[] args, PrintStream out, PrintStream err) {
        String ns = null;
        List<InetSocketAddress> dns = new ArrayList<>();
        Duration raWait = Duration.ofMillis(1000);
        String uplink = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--netns" -> ns = value(args, ++i, a);
                case "--dns" -> dns.add(Endpoints.parse(value(args, ++i, a), 53));
                case "--ra-wait" -> raWait = Duration.ofMillis(number(args, ++i, a));
                case "--uplink" -> uplink = value(args, ++i, a);
                default -> throw new IllegalArgumentException("unknown option " + a + " for discover");
            }
        }
        Netns n = new Netns(ns);
        String raNote = "";
        try {
            if (uplink == null) {
                for (Netns.Route r : n.defaultRoutes(6)) {
                    if (r.device() != null) {
                        uplink = r.device();
                        break;
                    }
                }
            }
            if (uplink != null && !raWait.isZero()) {
                try (Pref64Listener l = Pref64Listener.start(ns, uplink, Clock.systemUTC(), () -> { })) {
                    l.solicit();
                    PlatPrefix p = l.await(raWait);
                    if (p != null) {
                        out.println(p.prefix() + "\t" + p);
                        return 0;
                    }
                    raNote = "no PREF64 on " + uplink + " within " + raWait.toMillis() + " ms ("
                            + l.advertisementsSeen() + " advertisements seen); ";
                }
            }
            if (dns.isEmpty()) {
                dns = Endpoints.resolvers(ns);
            }
            PlatPrefix p = Rfc7050Discovery.discover(ns, dns, 3, Duration.ofMillis(1000), Clock.systemUTC());
            out.println(p.prefix() + "\t" + p);
            return 0;
        } catch (DiscoveryException e) {
            err.println("xlatbox-clat: no NAT64 prefix found: " + raNote + e.getMessage());
            return 3;
        } catch (IOException e) {
            err.println("xlatbox-clat: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    // ---- arguments

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static int number(String[] args, int i, String option) {
        String v = value(args, i, option);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " wants a number, not '" + v + "'");
        }
    }
}
