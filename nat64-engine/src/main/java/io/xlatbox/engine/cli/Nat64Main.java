package io.xlatbox.engine.cli;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.DataplaneConfig;
import io.xlatbox.engine.Engine;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.addr.StaticBibEntry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the NAT64 engine on its own, without the appliance: for the lab, benchmarks and small setups. It stays in
 * the foreground until SIGTERM or SIGINT, then removes the TUN device and the routes it added.
 */
public final class Nat64Main {
    private static final String USAGE = String.join("\n",
            "usage: java -jar xlatbox-nat64.jar [options]",
            "  --tun NAME            TUN device (default nat64; env TB_TUN)",
            "  --queues N            TUN queues, one worker each (default: number of CPUs)",
            "  --netns NS            create the TUN and routes in network namespace NS",
            "  --pool6 PREFIX        RFC 6052 prefix (default 64:ff9b::/96; env TB_PREFIX6)",
            "  --pool4 PREFIX[,...]  IPv4 pool for TCP, UDP (1024-65535) and ICMP (env TB_POOL4; required)",
            "  --static P,V6,PORT,V4,PORT  static BIB entry, e.g. tcp,2001:db8::5,80,192.0.2.1,80 (repeatable)",
            "  --no-routes           do not add routes nor enable forwarding",
            "  --no-offloads         no TUN offloads (virtio-net header, GSO): one packet per read and write",
            "  --nat44 IFACE         masquerade pool4 behind IFACE's address (nftables)",
            "  --allow-non-global    translate non-global IPv4 addresses behind 64:ff9b::/96",
            "  --ipv4-mtu N / --ipv6-mtu N / --tun-mtu N",
            "  --max-sessions N / --max-sessions-per-host N",
            "  --own4 ADDR / --own6 ADDR   source of ICMP errors the translator originates",
            "  --status SECONDS      print counters every SECONDS (default: only at exit)");

    private Nat64Main() {
    }

    public static void main(String[] args) {
        CommandLine.run(USAGE, () -> run(args));
    }

    private static void run(String[] args) throws IOException, InterruptedException {
        EngineConfig.Builder b = EngineConfig.builder();
        DataplaneConfig dp = DataplaneConfig.defaults();
        String tun = env("TB_TUN", "nat64");
        String pool6 = env("TB_PREFIX6", "64:ff9b::/96");
        String pool4 = System.getenv("TB_POOL4");
        List<StaticBibEntry> statics = new ArrayList<>();
        int status = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--tun": tun = value(args, ++i, a); break;
                case "--queues": dp = dp.withQueues(Integer.parseInt(value(args, ++i, a))); break;
                case "--netns": dp = dp.withNamespace(value(args, ++i, a)); break;
                case "--pool6": pool6 = value(args, ++i, a); break;
                case "--pool4": pool4 = value(args, ++i, a); break;
                case "--static": statics.add(staticEntry(value(args, ++i, a))); break;
                case "--no-routes": dp = dp.withManageRoutes(false); break;
                case "--no-offloads": dp = dp.withOffloads(false); break;
                case "--nat44": dp = dp.withNat44(value(args, ++i, a)); break;
                case "--allow-non-global": b.allowNonGlobalWithWellKnownPrefix(true); break;
                case "--ipv4-mtu": b.ipv4Mtu(Integer.parseInt(value(args, ++i, a))); break;
                case "--ipv6-mtu": b.ipv6Mtu(Integer.parseInt(value(args, ++i, a))); break;
                case "--tun-mtu": dp = dp.withTunMtu(Integer.parseInt(value(args, ++i, a))); break;
                case "--max-sessions": b.maxSessions(Integer.parseInt(value(args, ++i, a))); break;
                case "--max-sessions-per-host": b.maxSessionsPerHost(Integer.parseInt(value(args, ++i, a))); break;
                case "--own4": b.ownIpv4Address(value(args, ++i, a)); break;
                case "--own6": b.ownIpv6Address(value(args, ++i, a)); break;
                case "--status": status = Integer.parseInt(value(args, ++i, a)); break;
                case "-h":
                case "--help":
                    System.out.println(USAGE);
                    return;
                default:
                    throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (pool4 == null || pool4.isBlank()) {
            throw new IllegalArgumentException("--pool4 is required");
        }
        b.pool6(pool6);
        for (String p : pool4.split(",")) {
            b.addPool4(p.trim());
        }
        b.staticBib(statics);
        EngineConfig config = b.build();
        Engine engine = Engine.start(config, dp.withTunName(tun));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            engine.stop();
            printCounters(engine.counters());
            stopped.countDown();
        }, "xlatbox-shutdown"));
        System.out.println("xlatbox NAT64 running on " + engine.tunName() + ": pool6 " + config.pool6() + ", pool4 "
                + pool4 + (statics.isEmpty() ? "" : ", static " + statics));
        if (status > 0) {
            while (stopped.getCount() > 0) {
                Thread.sleep(status * 1000L);
                printCounters(engine.counters());
            }
        }
        stopped.await();
    }

    private static void printCounters(Map<Counter, Long> counters) {
        StringBuilder sb = new StringBuilder();
        counters.forEach((c, v) -> {
            if (v != 0) {
                sb.append(c.key()).append('=').append(v).append(' ');
            }
        });
        System.out.println(sb.toString().trim());
    }

    private static StaticBibEntry staticEntry(String spec) {
        String[] f = spec.split(",");
        if (f.length != 5) {
            throw new IllegalArgumentException("--static wants proto,ipv6,port,ipv4,port; got '" + spec + "'");
        }
        return StaticBibEntry.parse(f[0], f[1], Integer.parseInt(f[2]), f[3], Integer.parseInt(f[4]));
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }

}
