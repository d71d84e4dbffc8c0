package io.xlatbox.clat.net;

import io.xlatbox.clat.util.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A network namespace seen through iproute2 ({@code ip -n NS -json ...}) and sysctl: the routes, links and
 * addresses the CLAT needs to know about, and the few changes it makes. Read-only methods never change anything.
 */
public final class Netns {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final String name;

    /** {@code name} as in /var/run/netns, or null for the current namespace. */
    public Netns(String name) {
        this.name = name == null || name.isEmpty() ? null : name;
    }

    public String name() {
        return name;
    }

    /** "namespace xl12c" or "the current namespace", for messages. */
    public String describe() {
        return name == null ? "the current network namespace" : "network namespace " + name;
    }

    public record Route(String destination, String gateway, String device, long metric, String prefsrc) {
        @Override
        public String toString() {
            return destination + (gateway != null ? " via " + gateway : "") + (device != null ? " dev " + device : "")
                    + (metric > 0 ? " metric " + metric : "");
        }
    }

    public record Link(String name, int index, int mtu, boolean up, String kind) {
    }

    public record Address(String address, int prefixLength, String scope, String device) {
    }

    /** Interface counters as the kernel sees them: rx is what the device delivered to the stack. */
    public record LinkStats(long rxPackets, long rxBytes, long txPackets, long txBytes, long rxDropped,
                            long txDropped) {
    }

    /** Runs {@code ip -n NS args...}; throws with the command's message unless it succeeds. */
    public Commands.Result ip(String... args) throws IOException {
        Commands.Result r = ipMaybe(args);
        if (!r.ok()) {
            throw new IOException(r.describe());
        }
        return r;
    }

    /** Runs {@code ip -n NS args...} and returns whatever happened. */
    public Commands.Result ipMaybe(String... args) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add("ip");
        if (name != null) {
            argv.add("-n");
            argv.add(name);
        }
        argv.addAll(List.of(args));
        return Commands.run(TIMEOUT, argv);
    }

    private List<Object> ipJson(String... args) throws IOException {
        String[] argv = new String[args.length + 1];
        argv[0] = "-json";
        System.arraycopy(args, 0, argv, 1, args.length);
        Commands.Result r = ipMaybe(argv);
        if (!r.ok()) {
            throw new IOException(r.describe());
        }
        String out = r.stdout().trim();
        return out.isEmpty() ? List.of() : Json.array(Json.parse(out));
    }

    public List<Route> defaultRoutes(int family) throws IOException {
        return routes(family == 4 ? "-4" : "-6", "route", "show", "default");
    }

    /** Every IPv6 route of the main table. */
    public List<Route> routes6() throws IOException {
        return routes("-6", "route", "show");
    }

    private List<Route> routes(String... args) throws IOException {
        List<Route> routes = new ArrayList<>();
        for (Object o : ipJson(args)) {
            Map<String, Object> m = Json.object(o);
            String gw = Json.string(m, "gateway");
            String dev = Json.string(m, "dev");
            if (gw == null && m.get("nexthops") instanceof List<?> hops && !hops.isEmpty()) {
                Map<String, Object> h = Json.object(hops.get(0));
                gw = Json.string(h, "gateway");
                dev = Json.string(h, "dev");
            }
            routes.add(new Route(Json.string(m, "dst"), gw, dev, Json.number(m, "metric", 0),
                    Json.string(m, "prefsrc")));
        }
        return routes;
    }

    /** The link, or null if it does not exist. */
    public Link link(String device) throws IOException {
        Commands.Result r = ipMaybe("-json", "link", "show", "dev", device);
        if (!r.ok() || r.stdout().isBlank()) {
            return null;
        }
        List<Object> l = Json.array(Json.parse(r.stdout().trim()));
        if (l.isEmpty()) {
            return null;
        }
        Map<String, Object> m = Json.object(l.get(0));
        Object flags = m.get("flags");
        boolean up = flags instanceof List<?> f && f.contains("UP");
        Map<String, Object> info = m.get("linkinfo") instanceof Map<?, ?> ? Json.object(m.get("linkinfo")) : null;
        return new Link(Json.string(m, "ifname"), (int) Json.number(m, "ifindex", 0), (int) Json.number(m, "mtu", 0),
                up, info == null ? null : Json.string(info, "info_kind"));
    }

    /** Addresses of one family ("inet" or "inet6") on {@code device} (null: all devices). */
    public List<Address> addresses(String family, String device) throws IOException {
        List<String> args = new ArrayList<>(List.of(family.equals("inet") ? "-4" : "-6", "addr", "show"));
        if (device != null) {
            args.add("dev");
            args.add(device);
        }
        List<Address> out = new ArrayList<>();
        for (Object o : ipJson(args.toArray(String[]::new))) {
            Map<String, Object> m = Json.object(o);
            Object infos = m.get("addr_info");
            if (!(infos instanceof List<?> list)) {
                continue;
            }
            for (Object i : list) {
                Map<String, Object> a = Json.object(i);
                if (a.get("local") == null) {
                    continue;
                }
                out.add(new Address(Json.string(a, "local"), (int) Json.number(a, "prefixlen", 0),
                        Json.string(a, "scope"), Json.string(m, "ifname")));
            }
        }
        return out;
    }

    /** {@code ip route get ADDRESS}: the route the kernel would use, as a map, or null when there is none. */
    public Map<String, Object> routeGet(String address) throws IOException {
        Commands.Result r = ipMaybe("-json", "route", "get", address);
        if (!r.ok() || r.stdout().isBlank()) {
            return null;
        }
        List<Object> l = Json.array(Json.parse(r.stdout().trim()));
        return l.isEmpty() ? null : Json.object(l.get(0));
    }

    /** Why {@code ip route get} found no route (its message), or null when it found one. */
    public String routeGetError(String address) throws IOException {
        Commands.Result r = ipMaybe("route", "get", address);
        return r.ok() ? null : (r.stderr() + r.stdout()).trim();
    }

    public LinkStats stats(String device) throws IOException {
        Commands.Result r = ipMaybe("-json", "-s", "link", "show", "dev", device);
        if (!r.ok() || r.stdout().isBlank()) {
            return null;
        }
        Map<String, Object> m = Json.object(Json.array(Json.parse(r.stdout().trim())).get(0));
        Map<String, Object> s = Json.object(m.get("stats64") != null ? m.get("stats64") : m.get("stats"));
        Map<String, Object> rx = Json.object(s.get("rx"));
        Map<String, Object> tx = Json.object(s.get("tx"));
        return new LinkStats(Json.number(rx, "packets", 0), Json.number(rx, "bytes", 0), Json.number(tx, "packets", 0),
                Json.number(tx, "bytes", 0), Json.number(rx, "dropped", 0), Json.number(tx, "dropped", 0));
    }

    /** The value of a sysctl in this namespace, or null if it does not exist. */
    public String sysctl(String key) throws IOException {
        Commands.Result r = Commands.run(TIMEOUT, Commands.inNamespace(name, "sysctl", "-n", key));
        return r.ok() ? r.stdout().trim() : null;
    }

    public void setSysctl(String key, String value) throws IOException {
        Commands.Result r = Commands.run(TIMEOUT, Commands.inNamespace(name, "sysctl", "-q", "-w", key + "=" + value));
        if (!r.ok()) {
            throw new IOException(r.describe());
        }
    }

    /** Whether the namespace exists (or is the current one). */
    public boolean exists() {
        return name == null || java.nio.file.Files.exists(java.nio.file.Path.of("/var/run/netns", name));
    }
}
