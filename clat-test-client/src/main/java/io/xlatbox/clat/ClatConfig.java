package io.xlatbox.clat;

import io.xlatbox.clat.net.Endpoints;
import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How to run a CLAT. Everything has a default that suits a host on an IPv6-only network; {@link Builder#build()}
 * checks the values.
 *
 * @param namespace        network namespace to run in (as in /var/run/netns); null: the current one
 * @param tunName          the CLAT's TUN device (default "clat")
 * @param uplink           the IPv6 interface; null: the device of the IPv6 default route
 * @param ipv4             the CLAT's IPv4 address (default 192.0.0.2, RFC 7335)
 * @param ipv4Peer         the translator's IPv4 address on the TUN, source of its own ICMPv4 errors (192.0.0.1)
 * @param ipv4PrefixLength the length of the IPv4 subnet on the TUN (29)
 * @param errorSource4     IPv4 source of translated ICMPv6 errors from IPv6 routers (192.0.0.8, RFC 7600)
 * @param clatIpv6         the dedicated CLAT IPv6 address; null: a random one in the uplink's /64, answered by
 *                         proxy neighbor discovery
 * @param prefix           the PLAT prefix; null: discover it (PREF64 from a router advertisement, else RFC 7050)
 * @param dns              resolvers for RFC 7050; empty: those of the namespace's resolv.conf
 * @param raWait           how long to wait at start for a router advertisement with PREF64 (after soliciting one)
 * @param listenRa         listen for router advertisements (PREF64) at all
 * @param force            start even though native IPv4 exists (a default IPv4 route not through the CLAT)
 * @param queues           TUN queues, one translator thread each
 * @param ipv4Mtu          MTU of the IPv4 default route; 0: the uplink's MTU − 28 (RFC 6145's 20 octets of
 *                         header growth plus 8 for a fragment header)
 * @param statusDir        where the status file NS.json goes, read by {@code check}; null: none
 */
public record ClatConfig(String namespace, String tunName, String uplink, int ipv4, int ipv4Peer,
                         int ipv4PrefixLength, int errorSource4, long[] clatIpv6, Rfc6052Prefix prefix,
                         List<InetSocketAddress> dns, Duration raWait, boolean listenRa, boolean force, int queues,
                         int ipv4Mtu, Path statusDir) {
    /** Where running CLATs describe themselves, one file per namespace. */
    public static final Path DEFAULT_STATUS_DIR = Path.of("/run/xlatbox-clat");
    /** RFC 6877 / RFC 7915: IPv6 header (+20) and a fragment header (+8). */
    public static final int HEADER_GROWTH = 28;

    public static Builder builder() {
        return new Builder();
    }

    public String ipv4Text() {
        return Ipv4Address.format(ipv4);
    }

    /** The name of the status file of the CLAT in {@code namespace}. */
    public static Path statusFile(Path dir, String namespace) {
        return dir.resolve((namespace == null || namespace.isEmpty() ? "default" : namespace) + ".json");
    }

    public static final class Builder {
        private String namespace;
        private String tunName = "clat";
        private String uplink;
        private String ipv4 = "192.0.0.2";
        private String ipv4Peer = "192.0.0.1";
        private int ipv4PrefixLength = 29;
        private String errorSource4 = "192.0.0.8";
        private String clatIpv6;
        private String prefix;
        private final List<InetSocketAddress> dns = new ArrayList<>();
        private Duration raWait = Duration.ofMillis(1000);
        private boolean listenRa = true;
        private boolean force;
        private int queues = 1;
        private int ipv4Mtu;
        private Path statusDir = DEFAULT_STATUS_DIR;

        private Builder() {
        }

        public Builder namespace(String ns) { namespace = ns; return this; }
        public Builder tunName(String n) { tunName = n; return this; }
        public Builder uplink(String u) { uplink = u; return this; }
        public Builder ipv4(String a) { ipv4 = a; return this; }
        public Builder ipv4Peer(String a) { ipv4Peer = a; return this; }
        public Builder ipv4PrefixLength(int l) { ipv4PrefixLength = l; return this; }
        public Builder errorSource4(String a) { errorSource4 = a; return this; }
        public Builder clatIpv6(String a) { clatIpv6 = a; return this; }
        public Builder prefix(String p) { prefix = p; return this; }
        /** A resolver literal, with an optional port: "2001:db8::53", "[2001:db8::53]:5353". */
        public Builder addDns(String endpoint) { dns.add(Endpoints.parse(endpoint, 53)); return this; }
        public Builder raWait(Duration d) { raWait = d; return this; }
        public Builder listenRa(boolean b) { listenRa = b; return this; }
        public Builder force(boolean b) { force = b; return this; }
        public Builder queues(int n) { queues = n; return this; }
        public Builder ipv4Mtu(int m) { ipv4Mtu = m; return this; }
        public Builder statusDir(Path p) { statusDir = p; return this; }

        /** @throws IllegalArgumentException naming every bad value */
        public ClatConfig build() {
            List<String> errors = new ArrayList<>();
            int v4 = ip4(errors, "ipv4", ipv4);
            int peer = ip4(errors, "ipv4Peer", ipv4Peer);
            int err4 = ip4(errors, "errorSource4", errorSource4);
            if (ipv4PrefixLength < 8 || ipv4PrefixLength > 30) {
                errors.add("ipv4PrefixLength must be in 8..30 (the CLAT and its peer share the subnet)");
            } else if (v4 == peer) {
                errors.add("ipv4 and ipv4Peer must differ");
            } else {
                int mask = ~(-1 >>> ipv4PrefixLength);
                if ((v4 & mask) != (peer & mask)) {
                    errors.add("ipv4Peer " + ipv4Peer + " is not in " + ipv4 + "/" + ipv4PrefixLength);
                }
            }
            long[] v6 = null;
            if (clatIpv6 != null && !clatIpv6.isBlank()) {
                try {
                    v6 = Ipv6Address.parse(clatIpv6);
                } catch (IllegalArgumentException e) {
                    errors.add("clatIpv6: " + e.getMessage());
                }
            }
            Rfc6052Prefix p = null;
            if (prefix != null && !prefix.isBlank()) {
                try {
                    p = Rfc6052Prefix.parse(prefix);
                } catch (IllegalArgumentException e) {
                    errors.add("prefix: " + e.getMessage());
                }
            }
            if (p != null && v6 != null && p.contains(v6[0], v6[1])) {
                errors.add("clatIpv6 " + clatIpv6 + " lies inside the PLAT prefix " + p);
            }
            if (tunName == null || !tunName.matches("[A-Za-z0-9_.-]{1,15}")) {
                errors.add("tunName must be 1 to 15 letters, digits, '.', '_' or '-'");
            }
            if (queues < 1 || queues > 16) {
                errors.add("queues must be in 1..16");
            }
            if (ipv4Mtu != 0 && (ipv4Mtu < 576 || ipv4Mtu > 65507)) {
                errors.add("ipv4Mtu must be 0 (automatic) or in 576..65507");
            }
            if (raWait == null || raWait.isNegative()) {
                errors.add("raWait must be zero or positive");
            }
            if (!errors.isEmpty()) {
                throw new IllegalArgumentException("invalid CLAT configuration: " + String.join("; ", errors));
            }
            return new ClatConfig(namespace == null || namespace.isEmpty() ? null : namespace, tunName,
                    uplink == null || uplink.isEmpty() ? null : uplink, v4, peer, ipv4PrefixLength, err4, v6, p,
                    List.copyOf(dns), raWait, listenRa, force, queues, ipv4Mtu, statusDir);
        }

        private static int ip4(List<String> errors, String field, String value) {
            try {
                return Ipv4Address.parse(value);
            } catch (RuntimeException e) {
                errors.add(field + ": not an IPv4 address: '" + value + "'");
                return 0;
            }
        }
    }
}
