package io.xlatbox.clat.check;

import io.xlatbox.clat.ClatConfig;
import io.xlatbox.clat.net.Endpoints;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code check} tests and how long it may take.
 *
 * @param namespace   the client namespace the traffic starts from (null: the current one)
 * @param target      the IPv4-only server, as an IPv4 literal (the point of 464XLAT)
 * @param name        the target's DNS name, for the contrast checks through the DNS64 (null: those are skipped)
 * @param dns64       the network's resolver (DNS64); empty: the namespace's resolv.conf
 * @param dns4        an IPv4 resolver literal for the plain-DNS check; null: the target, port 53
 * @param dnsQuery    the name the plain-DNS check asks for (null: {@code name}, else ipv4only.arpa A)
 * @param httpPort    the target's HTTP port
 * @param httpPath    the small page
 * @param bulkPath    the big file; its SHA-256 is at bulkPath + ".sha256" (sha256sum format)
 * @param udpPort     the target's UDP echo port
 * @param timeout     per check (the bulk transfer and the traceroute have their own)
 * @param bulkTimeout the large transfer's limit
 * @param maxHops     traceroute's highest TTL
 * @param statusDir   where running CLATs leave their status files
 * @param only        check ids to run (empty: all)
 */
public record CheckOptions(String namespace, InetAddress target, String name, List<InetSocketAddress> dns64,
                           InetSocketAddress dns4, String dnsQuery, int httpPort, String httpPath, String bulkPath,
                           int udpPort, Duration timeout, Duration bulkTimeout, int maxHops, Path statusDir,
                           Set<String> only) {

    public static Builder builder() {
        return new Builder();
    }

    public boolean wants(String id) {
        return only.isEmpty() || only.contains(id);
    }

    public static final class Builder {
        private String namespace;
        private InetAddress target = Endpoints.ipv4("198.51.100.2");
        private String name;
        private final List<InetSocketAddress> dns64 = new ArrayList<>();
        private InetSocketAddress dns4;
        private String dnsQuery;
        private int httpPort = 80;
        private String httpPath = "/";
        private String bulkPath = "/big.bin";
        private int udpPort = 7;
        private Duration timeout = Duration.ofSeconds(5);
        private Duration bulkTimeout = Duration.ofSeconds(120);
        private int maxHops = 12;
        private Path statusDir = ClatConfig.DEFAULT_STATUS_DIR;
        private final Set<String> only = new LinkedHashSet<>();

        private Builder() {
        }

        public Builder namespace(String ns) { namespace = ns; return this; }
        public Builder target(String ipv4) { target = Endpoints.ipv4(ipv4); return this; }
        public Builder name(String n) { name = n; return this; }
        public Builder addDns64(String endpoint) { dns64.add(Endpoints.parse(endpoint, 53)); return this; }
        public Builder dns4(String endpoint) {
            InetSocketAddress a = Endpoints.parse(endpoint, 53);
            if (a.getAddress().getAddress().length != 4) {
                throw new IllegalArgumentException("--dns4 wants an IPv4 resolver, not " + endpoint);
            }
            dns4 = a;
            return this;
        }
        public Builder dnsQuery(String q) { dnsQuery = q; return this; }
        public Builder httpPort(int p) { httpPort = p; return this; }
        public Builder httpPath(String p) { httpPath = p; return this; }
        public Builder bulkPath(String p) { bulkPath = p; return this; }
        public Builder udpPort(int p) { udpPort = p; return this; }
        public Builder timeout(Duration d) { timeout = d; return this; }
        public Builder bulkTimeout(Duration d) { bulkTimeout = d; return this; }
        public Builder maxHops(int n) { maxHops = n; return this; }
        public Builder statusDir(Path p) { statusDir = p; return this; }
        public Builder only(String... ids) { only.addAll(List.of(ids)); return this; }

        public CheckOptions build() {
            if (timeout.isNegative() || timeout.isZero() || bulkTimeout.isNegative() || bulkTimeout.isZero()) {
                throw new IllegalArgumentException("timeouts must be positive");
            }
            if (maxHops < 2 || maxHops > 64) {
                throw new IllegalArgumentException("--max-hops must be in 2..64");
            }
            return new CheckOptions(namespace == null || namespace.isEmpty() ? null : namespace, target, name,
                    List.copyOf(dns64), dns4, dnsQuery, httpPort, httpPath, bulkPath, udpPort, timeout, bulkTimeout,
                    maxHops, statusDir, Set.copyOf(only));
        }
    }
}
