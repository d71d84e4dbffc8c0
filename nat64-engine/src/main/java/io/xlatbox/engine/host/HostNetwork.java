package io.xlatbox.engine.host;

import io.xlatbox.engine.addr.Ipv4Prefix;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Everything the engine changes in the host's network stack, in one place: the routes that bring pool6 and pool4
 * traffic to the TUN, IPv6 and IPv4 forwarding, and the optional NAT44 that puts pool4 behind a single WAN
 * address. It drives iproute2 and nftables (what an appliance image has) in the engine's network namespace, and
 * remembers what it added so that {@link #undo()} removes exactly that.
 *
 * <p>Single WAN address design: pool4 is a range of its own (private, say 100.64.64.0/24), routed to the TUN;
 * nftables masquerades packets from pool4 leaving by the WAN interface, and conntrack turns the replies back into
 * pool4 addresses, which the route brings to the TUN. The host's own IPv4 traffic, from the WAN address, is not
 * touched, and no port range of the WAN address has to be set aside.
 */
public final class HostNetwork {
    /** nftables table owned by the engine; nothing else is touched. */
    public static final String NFT_TABLE = "xlatbox";

    private final String namespace;
    private final List<String[]> undo = new ArrayList<>();
    /** Routes in place, as "-6 prefix" or "-4 prefix", and their device. */
    private final Set<String> routes = new TreeSet<>();
    private String routeDevice;

    public HostNetwork(String namespace) {
        this.namespace = namespace == null || namespace.isEmpty() ? null : namespace;
    }

    /** Turns on IPv6 and IPv4 forwarding (the translator is a router on both sides). */
    public void enableForwarding() throws IOException {
        run("sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
        run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    }

    /**
     * Routes pool6 and every pool4 prefix into the TUN. Called again with other prefixes, it adds the new routes
     * first and then deletes only those that went away, so traffic that keeps its prefix never loses its route.
     */
    public void routeToTun(String tun, Rfc6052Prefix pool6, Set<Ipv4Prefix> pool4) throws IOException {
        Set<String> wanted = new TreeSet<>();
        wanted.add("-6 " + pool6);
        for (Ipv4Prefix p : pool4) {
            wanted.add("-4 " + p);
        }
        for (String r : wanted) {
            String[] f = r.split(" ");
            run("ip", f[0], "route", "replace", f[1], "dev", tun);
        }
        for (String r : routes) {
            if (!wanted.contains(r)) {
                String[] f = r.split(" ");
                run("ip", f[0], "route", "del", f[1], "dev", tun);
            }
        }
        routes.clear();
        routes.addAll(wanted);
        routeDevice = tun;
    }

    /** Masquerades pool4 behind the address of {@code wan} (nftables, table {@value #NFT_TABLE}). */
    public void masquerade(Set<Ipv4Prefix> pool4, String wan) throws IOException {
        if (wan.isEmpty() || !wan.matches("[A-Za-z0-9_.@-]{1,15}")) {
            throw new IllegalArgumentException("not an interface name: '" + wan + "'");
        }
        Set<String> prefixes = new TreeSet<>();
        for (Ipv4Prefix p : pool4) {
            prefixes.add(p.toString());
        }
        String script = "table ip " + NFT_TABLE + " {\n"
                + "  chain postrouting {\n"
                + "    type nat hook postrouting priority srcnat; policy accept;\n"
                + "    ip saddr { " + String.join(", ", prefixes) + " } oifname \"" + wan + "\" masquerade\n"
                + "  }\n"
                + "}\n";
        // One nft transaction: declaring the table, deleting it and declaring it again replaces it atomically.
        runWithInput("table ip " + NFT_TABLE + "\ndelete table ip " + NFT_TABLE + "\n" + script, "nft", "-f", "-");
        if (undo.stream().noneMatch(u -> u[0].equals("nft"))) {
            undo.add(new String[] {"nft", "delete", "table", "ip", NFT_TABLE});
        }
    }

    /** Removes what this object added, newest first; failures are collected, not thrown one by one. */
    public List<String> undo() {
        List<String> failures = new ArrayList<>();
        for (String r : routes) {
            String[] f = r.split(" ");
            try {
                run("ip", f[0], "route", "del", f[1], "dev", routeDevice);
            } catch (IOException e) {
                failures.add(e.getMessage());
            }
        }
        routes.clear();
        for (int i = undo.size() - 1; i >= 0; i--) {
            try {
                run(undo.get(i));
            } catch (IOException e) {
                failures.add(e.getMessage());
            }
        }
        undo.clear();
        return failures;
    }

    private void run(String... cmd) throws IOException {
        runWithInput(null, cmd);
    }

    private void runWithInput(String input, String... cmd) throws IOException {
        List<String> argv = new ArrayList<>();
        if (namespace != null) {
            argv.addAll(List.of("ip", "netns", "exec", namespace));
        }
        argv.addAll(List.of(cmd));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IOException("cannot run '" + argv.get(namespace != null ? 4 : 0) + "' (is "
                    + (argv.contains("nft") ? "nftables" : "iproute2") + " installed?): " + e.getMessage(), e);
        }
        if (input != null) {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", argv) + ": timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", argv) + ": interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " failed (exit " + p.exitValue() + "): " + output);
        }
    }
}
