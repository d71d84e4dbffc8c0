package io.xlatbox.dns64.cli;

import io.xlatbox.dns64.Dns64Config;
import io.xlatbox.dns64.Dns64Config.Endpoint;
import io.xlatbox.dns64.Dns64Counter;
import io.xlatbox.dns64.Dns64Server;
import io.xlatbox.engine.cli.CommandLine;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the DNS64 on its own, without the appliance: for dns64-bench.sh, labs and small setups. It stays in the
 * foreground until SIGTERM or SIGINT, then prints its counters.
 */
public final class Dns64Main {
    private static final String USAGE = String.join("\n",
            "usage: java -jar xlatbox-dns64.jar [options]",
            "  --listen ADDR:PORT      address to answer on, UDP and TCP ([::1]:53 for IPv6; repeatable;",
            "                          default 127.0.0.1:53)",
            "  --upstream ADDR[:PORT]  upstream resolver (repeatable, in order of preference; required)",
            "  --prefix P[=R,R...]     RFC 6052 prefix, optionally with the IPv4 ranges it may map",
            "                          (repeatable; default 64:ff9b::/96)",
            "  --allow-non-global      synthesize non-global IPv4 addresses behind 64:ff9b::/96",
            "  --exclude P             AAAA exclusion range (repeatable; default ::ffff:0:0/96)",
            "  --client P              client ACL entry (repeatable; default loopback and private ranges)",
            "  --threads N             UDP threads per listen address (default: CPUs, at most 4)",
            "  --timeout MS            upstream timeout (default 1500)",
            "  --cache N               cache entries (default 200000; 0: no cache)",
            "  --edns-size N           largest UDP response (default 1232)",
            "  --status SECONDS        print counters every SECONDS (default: only at exit)");

    private Dns64Main() {
    }

    public static void main(String[] args) {
        // dnsjava logs through SLF4J; alone on the command line there is no logging backend, so say "none"
        // explicitly (slf4j-api's own no-op provider) instead of letting SLF4J print a warning at start.
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                System.setProperty("slf4j.internal.verbosity", "WARN");
            }
        }
        CommandLine.run(USAGE, () -> run(args));
    }

    private static void run(String[] args) throws IOException, InterruptedException {
        Dns64Config.Builder b = Dns64Config.builder();
        List<Endpoint> listen = new ArrayList<>();
        List<Endpoint> upstreams = new ArrayList<>();
        List<Dns64Config.PrefixSpec> prefixes = new ArrayList<>();
        List<String> exclusions = new ArrayList<>();
        List<String> clients = new ArrayList<>();
        int status = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--listen": listen.add(Endpoint.parse(value(args, ++i, a), 53)); break;
                case "--upstream": upstreams.add(Endpoint.parse(value(args, ++i, a), 53)); break;
                case "--prefix": prefixes.add(prefix(value(args, ++i, a))); break;
                case "--allow-non-global": b.allowNonGlobalWithWellKnownPrefix(true); break;
                case "--exclude": exclusions.add(value(args, ++i, a)); break;
                case "--client": clients.add(value(args, ++i, a)); break;
                case "--threads": b.udpThreads(number(value(args, ++i, a), a)); break;
                case "--timeout": b.upstreamTimeout(Duration.ofMillis(number(value(args, ++i, a), a))); break;
                case "--cache": b.cacheMaxEntries(number(value(args, ++i, a), a)); break;
                case "--edns-size": b.ednsBufferSize(number(value(args, ++i, a), a)); break;
                case "--status": status = number(value(args, ++i, a), a); break;
                case "-h":
                case "--help":
                    System.out.println(USAGE);
                    return;
                default: throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (!listen.isEmpty()) {
            b.listen(listen);
        }
        b.upstreams(upstreams);
        if (!prefixes.isEmpty()) {
            b.prefixSpecs(prefixes);
        }
        if (!exclusions.isEmpty()) {
            b.exclusions(exclusions);
        }
        if (!clients.isEmpty()) {
            b.clientAcl(clients);
        }
        Dns64Config config = b.build();
        Dns64Server server = Dns64Server.start(config);
        System.out.println("dns64 listening on " + server.boundAddresses() + " (UDP and TCP), upstreams "
                + config.upstreams() + ", prefixes " + config.prefixes());
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            print(server);
            done.countDown();
        }, "dns64-shutdown"));
        if (status > 0) {
            while (!done.await(status, java.util.concurrent.TimeUnit.SECONDS)) {
                print(server);
            }
        } else {
            done.await();
        }
    }

    private static Dns64Config.PrefixSpec prefix(String text) {
        int eq = text.indexOf('=');
        if (eq < 0) {
            return new Dns64Config.PrefixSpec(text, List.of("0.0.0.0/0"));
        }
        return new Dns64Config.PrefixSpec(text.substring(0, eq), List.of(text.substring(eq + 1).split(",")));
    }

    private static void print(Dns64Server server) {
        StringBuilder sb = new StringBuilder("counters:");
        for (Map.Entry<Dns64Counter, Long> e : server.counters().snapshot().entrySet()) {
            if (e.getValue() != 0) {
                sb.append(' ').append(e.getKey().name().toLowerCase()).append('=').append(e.getValue());
            }
        }
        System.out.println(sb);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static int number(String v, String option) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number, got '" + v + "'");
        }
    }
}
