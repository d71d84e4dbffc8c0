package io.xlatbox.dns64;

import io.xlatbox.engine.ConfigException;
import io.xlatbox.engine.ConfigException.FieldError;
import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Ipv4Prefix;
import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The complete, immutable configuration of the DNS64. A running {@link Dns64Server} swaps one snapshot for another
 * atomically ({@link Dns64Server#apply}); every query sees exactly one snapshot. Every instance is valid:
 * {@link Builder#build()} checks everything and reports all problems at once, each with its field path.
 */
public final class Dns64Config {
    /** RFC 6147 §5.1.4: the AAAA exclusion set should contain ::ffff:0:0/96 by default. */
    public static final List<String> DEFAULT_EXCLUSIONS = List.of("::ffff:0:0/96");
    /** Loopback, RFC 1918, RFC 4193 (ULA) and link-local: a DNS64 is not an open resolver. */
    public static final List<String> DEFAULT_CLIENT_ACL = List.of("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12",
            "192.168.0.0/16", "169.254.0.0/16", "::1/128", "fc00::/7", "fe80::/10");
    /** Everyone the client ACL lets in gets synthesis. */
    public static final List<String> DEFAULT_SYNTHESIS_ACL = List.of("0.0.0.0/0", "::/0");

    /** A socket address: an IP literal (never a name) and a port. Port 0 on a listener means "any free port". */
    public record Endpoint(String address, int port) {
        public Endpoint {
            Objects.requireNonNull(address, "address");
        }

        /** Parses "192.0.2.1:53", "[2001:db8::1]:53", or a bare address with {@code defaultPort}. */
        public static Endpoint parse(String text, int defaultPort) {
            String t = text.trim();
            if (t.startsWith("[")) {
                int close = t.indexOf(']');
                if (close < 0) {
                    throw new IllegalArgumentException("missing ']' in '" + text + "'");
                }
                String rest = t.substring(close + 1);
                int port = rest.isEmpty() ? defaultPort : parsePort(rest.substring(1), text);
                return new Endpoint(t.substring(1, close), port);
            }
            int colon = t.lastIndexOf(':');
            if (colon >= 0 && t.indexOf(':') == colon) { // one colon: IPv4:port
                return new Endpoint(t.substring(0, colon), parsePort(t.substring(colon + 1), text));
            }
            return new Endpoint(t, defaultPort); // IPv4 alone, or a bare IPv6 literal
        }

        private static int parsePort(String p, String text) {
            try {
                return Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad port in '" + text + "'");
            }
        }

        /** The socket address; the address must be an IP literal. */
        public InetSocketAddress socketAddress() {
            return new InetSocketAddress(literal(address), port);
        }

        @Override
        public String toString() {
            return address.indexOf(':') >= 0 ? "[" + address + "]:" + port : address + ":" + port;
        }
    }

    /** An RFC 6052 prefix and the IPv4 ranges that may be synthesized with it (RFC 6147 §5.1.7, §5.2). */
    public record PrefixMapping(Rfc6052Prefix prefix, List<Ipv4Prefix> mappedRanges) {
        public PrefixMapping {
            Objects.requireNonNull(prefix, "prefix");
            mappedRanges = List.copyOf(mappedRanges);
        }

        public boolean mapsRange(int v4) {
            for (Ipv4Prefix r : mappedRanges) {
                if (r.contains(v4)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String toString() {
            return prefix + " " + mappedRanges;
        }
    }

    private final List<Endpoint> listen;
    private final List<Endpoint> upstreams;
    private final Duration upstreamTimeout;
    private final List<PrefixMapping> prefixes;
    private final List<AddressPrefix> exclusions;
    private final List<AddressPrefix> clientAcl;
    private final List<AddressPrefix> synthesisAcl;
    private final int ednsBufferSize;
    private final int cacheMaxEntries;
    private final long cacheMaxBytes;
    private final Duration cacheMaxTtl;
    private final boolean allowNonGlobalWithWellKnownPrefix;
    private final int udpThreads;
    private final int maxInFlight;
    private final int tcpMaxConnections;
    private final Duration tcpIdleTimeout;

    private Dns64Config(Builder b, List<PrefixMapping> prefixes, List<AddressPrefix> exclusions,
                        List<AddressPrefix> clientAcl, List<AddressPrefix> synthesisAcl) {
        listen = List.copyOf(b.listen);
        upstreams = List.copyOf(b.upstreams);
        upstreamTimeout = b.upstreamTimeout;
        this.prefixes = List.copyOf(prefixes);
        this.exclusions = List.copyOf(exclusions);
        this.clientAcl = List.copyOf(clientAcl);
        this.synthesisAcl = List.copyOf(synthesisAcl);
        ednsBufferSize = b.ednsBufferSize;
        cacheMaxEntries = b.cacheMaxEntries;
        cacheMaxBytes = b.cacheMaxBytes;
        cacheMaxTtl = b.cacheMaxTtl;
        allowNonGlobalWithWellKnownPrefix = b.allowNonGlobalWithWellKnownPrefix;
        udpThreads = b.udpThreads;
        maxInFlight = b.maxInFlight;
        tcpMaxConnections = b.tcpMaxConnections;
        tcpIdleTimeout = b.tcpIdleTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.listen = new ArrayList<>(listen);
        b.upstreams = new ArrayList<>(upstreams);
        b.upstreamTimeout = upstreamTimeout;
        b.prefixes = new ArrayList<>();
        for (PrefixMapping p : prefixes) {
            b.prefixes.add(new PrefixSpec(p.prefix().toString(), p.mappedRanges().stream().map(Ipv4Prefix::toString).toList()));
        }
        b.exclusions = exclusions.stream().map(AddressPrefix::toString).toList();
        b.clientAcl = clientAcl.stream().map(AddressPrefix::toString).toList();
        b.synthesisAcl = synthesisAcl.stream().map(AddressPrefix::toString).toList();
        b.ednsBufferSize = ednsBufferSize;
        b.cacheMaxEntries = cacheMaxEntries;
        b.cacheMaxBytes = cacheMaxBytes;
        b.cacheMaxTtl = cacheMaxTtl;
        b.allowNonGlobalWithWellKnownPrefix = allowNonGlobalWithWellKnownPrefix;
        b.udpThreads = udpThreads;
        b.maxInFlight = maxInFlight;
        b.tcpMaxConnections = tcpMaxConnections;
        b.tcpIdleTimeout = tcpIdleTimeout;
        return b;
    }

    /** Addresses and ports the server answers on, over UDP and TCP (RFC 7766) alike. */
    public List<Endpoint> listen() { return listen; }
    /** Upstream recursive resolvers, in order of preference; the next one is tried when one fails. */
    public List<Endpoint> upstreams() { return upstreams; }
    /** How long one upstream is waited for; well below a stub's timeout (RFC 6147 §5.1.3). */
    public Duration upstreamTimeout() { return upstreamTimeout; }
    /** The Pref64::/n prefixes, each with the IPv4 ranges it may embed; one AAAA per prefix per A record. */
    public List<PrefixMapping> prefixes() { return prefixes; }
    /** AAAA records inside these IPv6 ranges are treated as absent (RFC 6147 §5.1.4). */
    public List<AddressPrefix> exclusions() { return exclusions; }
    /** Who is answered at all; everyone else gets REFUSED. */
    public List<AddressPrefix> clientAcl() { return clientAcl; }
    /** Who gets synthesis; other allowed clients get plain forwarding. */
    public List<AddressPrefix> synthesisAcl() { return synthesisAcl; }
    /** Largest UDP response we send (EDNS(0) payload size, RFC 6891); 1232 avoids IP fragmentation. */
    public int ednsBufferSize() { return ednsBufferSize; }
    /** Most responses held in the cache; 0 turns the cache off. */
    public int cacheMaxEntries() { return cacheMaxEntries; }
    /** Most bytes of responses held in the cache. */
    public long cacheMaxBytes() { return cacheMaxBytes; }
    /** Longest time a response stays in the cache, whatever its TTLs. */
    public Duration cacheMaxTtl() { return cacheMaxTtl; }
    /**
     * Synthesize non-global IPv4 addresses behind the Well-Known Prefix, which RFC 6052 §3.1 forbids; for labs
     * that use private addresses as "the IPv4 internet" (the same switch as the engine's).
     */
    public boolean allowNonGlobalWithWellKnownPrefix() { return allowNonGlobalWithWellKnownPrefix; }
    /** UDP receive threads per listen address (SO_REUSEPORT sockets). */
    public int udpThreads() { return udpThreads; }
    /** Most client queries waiting on upstreams at once; more are dropped and counted. */
    public int maxInFlight() { return maxInFlight; }
    /** Most open client TCP connections. */
    public int tcpMaxConnections() { return tcpMaxConnections; }
    /** A client TCP connection with nothing outstanding is closed after this long (RFC 7766 §6.2.3). */
    public Duration tcpIdleTimeout() { return tcpIdleTimeout; }

    /** Whether {@code next} changes what a synthesized answer looks like, so that cached answers are stale. */
    boolean synthesisDiffers(Dns64Config next) {
        return !prefixes.equals(next.prefixes) || !exclusions.equals(next.exclusions)
                || allowNonGlobalWithWellKnownPrefix != next.allowNonGlobalWithWellKnownPrefix;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Dns64Config c && toString().equals(c.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    @Override
    public String toString() {
        return "Dns64Config{listen=" + listen + ", upstreams=" + upstreams + ", upstreamTimeout=" + upstreamTimeout
                + ", prefixes=" + prefixes + ", exclusions=" + exclusions + ", clientAcl=" + clientAcl
                + ", synthesisAcl=" + synthesisAcl + ", ednsBufferSize=" + ednsBufferSize
                + ", cacheMaxEntries=" + cacheMaxEntries + ", cacheMaxBytes=" + cacheMaxBytes
                + ", cacheMaxTtl=" + cacheMaxTtl
                + ", allowNonGlobalWithWellKnownPrefix=" + allowNonGlobalWithWellKnownPrefix
                + ", udpThreads=" + udpThreads + ", maxInFlight=" + maxInFlight
                + ", tcpMaxConnections=" + tcpMaxConnections + ", tcpIdleTimeout=" + tcpIdleTimeout + "}";
    }

    static InetAddress literal(String address) {
        String a = address.trim();
        try {
            if (a.indexOf(':') >= 0) {
                long[] v6 = Ipv6Address.parse(a);
                return Ipv6Address.toInet(v6[0], v6[1]);
            }
            return InetAddress.getByAddress(null, intBytes(Ipv4Address.parse(a)));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: '" + address + "'", e);
        }
    }

    private static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    /** A prefix as typed: the RFC 6052 prefix and its mapped IPv4 ranges, all text. */
    public record PrefixSpec(String prefix, List<String> mappedRanges) {
        public PrefixSpec {
            mappedRanges = List.copyOf(mappedRanges);
        }
    }

    /** Mutable builder; {@link #build()} validates. Setters take text where users type text. */
    public static final class Builder {
        private List<Endpoint> listen = new ArrayList<>(List.of(new Endpoint("127.0.0.1", 53)));
        private List<Endpoint> upstreams = new ArrayList<>();
        private Duration upstreamTimeout = Duration.ofMillis(1500);
        private List<PrefixSpec> prefixes = new ArrayList<>(List.of(new PrefixSpec("64:ff9b::/96", List.of("0.0.0.0/0"))));
        private List<String> exclusions = DEFAULT_EXCLUSIONS;
        private List<String> clientAcl = DEFAULT_CLIENT_ACL;
        private List<String> synthesisAcl = DEFAULT_SYNTHESIS_ACL;
        private int ednsBufferSize = 1232;
        private int cacheMaxEntries = 200_000;
        private long cacheMaxBytes = 128L << 20;
        private Duration cacheMaxTtl = Duration.ofDays(1);
        private boolean allowNonGlobalWithWellKnownPrefix;
        private int udpThreads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        private int maxInFlight = 10_000;
        private int tcpMaxConnections = 256;
        private Duration tcpIdleTimeout = Duration.ofSeconds(10);
        private boolean prefixesTouched;

        private Builder() {
        }

        public Builder listen(List<Endpoint> endpoints) {
            listen = new ArrayList<>(endpoints);
            return this;
        }

        /** Replaces the listen list with "addr:port" texts ("[::1]:53" for IPv6). */
        public Builder listen(String... endpoints) {
            listen = new ArrayList<>();
            for (String e : endpoints) {
                listen.add(Endpoint.parse(e, 53));
            }
            return this;
        }

        public Builder upstreams(List<Endpoint> endpoints) {
            upstreams = new ArrayList<>(endpoints);
            return this;
        }

        /** Replaces the upstream list with "addr[:port]" texts (port 53 by default). */
        public Builder upstreams(String... endpoints) {
            upstreams = new ArrayList<>();
            for (String e : endpoints) {
                upstreams.add(Endpoint.parse(e, 53));
            }
            return this;
        }

        public Builder addUpstream(String address, int port) {
            upstreams.add(new Endpoint(address, port));
            return this;
        }

        public Builder upstreamTimeout(Duration d) {
            upstreamTimeout = d;
            return this;
        }

        /** Replaces the prefixes; each maps every IPv4 address ("0.0.0.0/0") unless given ranges. */
        public Builder prefixes(String... prefixes) {
            this.prefixes = new ArrayList<>();
            for (String p : prefixes) {
                this.prefixes.add(new PrefixSpec(p, List.of("0.0.0.0/0")));
            }
            return this;
        }

        public Builder prefixSpecs(List<PrefixSpec> specs) {
            prefixes = new ArrayList<>(specs);
            return this;
        }

        /** Adds a prefix with the IPv4 ranges it may map (none given: all of them); the first call replaces the default. */
        public Builder addPrefix(String prefix, String... mappedRanges) {
            if (!prefixesTouched) {
                prefixes = new ArrayList<>();
                prefixesTouched = true;
            }
            prefixes.add(new PrefixSpec(prefix, mappedRanges.length == 0 ? List.of("0.0.0.0/0") : Arrays.asList(mappedRanges)));
            return this;
        }

        public Builder exclusions(List<String> v) {
            exclusions = List.copyOf(v);
            return this;
        }

        public Builder clientAcl(List<String> v) {
            clientAcl = List.copyOf(v);
            return this;
        }

        public Builder synthesisAcl(List<String> v) {
            synthesisAcl = List.copyOf(v);
            return this;
        }

        public Builder ednsBufferSize(int v) {
            ednsBufferSize = v;
            return this;
        }

        public Builder cacheMaxEntries(int v) {
            cacheMaxEntries = v;
            return this;
        }

        public Builder cacheMaxBytes(long v) {
            cacheMaxBytes = v;
            return this;
        }

        public Builder cacheMaxTtl(Duration v) {
            cacheMaxTtl = v;
            return this;
        }

        public Builder allowNonGlobalWithWellKnownPrefix(boolean v) {
            allowNonGlobalWithWellKnownPrefix = v;
            return this;
        }

        public Builder udpThreads(int v) {
            udpThreads = v;
            return this;
        }

        public Builder maxInFlight(int v) {
            maxInFlight = v;
            return this;
        }

        public Builder tcpMaxConnections(int v) {
            tcpMaxConnections = v;
            return this;
        }

        public Builder tcpIdleTimeout(Duration v) {
            tcpIdleTimeout = v;
            return this;
        }

        /** Validates everything and throws one {@link ConfigException} naming every bad field. */
        public Dns64Config build() {
            List<FieldError> errors = new ArrayList<>();
            endpoints("listen", listen, true, errors);
            if (listen.isEmpty()) {
                errors.add(new FieldError("listen", "at least one listen address is needed"));
            }
            endpoints("upstreams", upstreams, false, errors);
            if (upstreams.isEmpty()) {
                errors.add(new FieldError("upstreams", "at least one upstream resolver is needed"));
            }
            if (upstreamTimeout == null || upstreamTimeout.toMillis() < 50 || upstreamTimeout.toMillis() > 10_000) {
                errors.add(new FieldError("upstreamTimeout", "must be between 50 ms and 10 s (RFC 6147 section 5.1.3: "
                        + "well below a stub resolver's timeout), got " + upstreamTimeout));
            }
            List<PrefixMapping> mappings = new ArrayList<>();
            if (prefixes.isEmpty()) {
                errors.add(new FieldError("prefixes", "at least one RFC 6052 prefix is needed"));
            }
            for (int i = 0; i < prefixes.size(); i++) {
                PrefixSpec s = prefixes.get(i);
                String path = "prefixes[" + i + "]";
                Rfc6052Prefix p = null;
                try {
                    p = Rfc6052Prefix.parse(Objects.requireNonNull(s.prefix(), "missing"));
                } catch (RuntimeException e) {
                    errors.add(new FieldError(path + ".prefix", e.getMessage()));
                }
                List<Ipv4Prefix> ranges = new ArrayList<>();
                for (int j = 0; j < s.mappedRanges().size(); j++) {
                    try {
                        ranges.add(Ipv4Prefix.parse(s.mappedRanges().get(j)));
                    } catch (RuntimeException e) {
                        errors.add(new FieldError(path + ".mappedRanges[" + j + "]", e.getMessage()));
                    }
                }
                if (s.mappedRanges().isEmpty()) {
                    errors.add(new FieldError(path + ".mappedRanges", "empty: nothing could ever be synthesized"));
                }
                if (p != null) {
                    for (int k = 0; k < mappings.size(); k++) {
                        Rfc6052Prefix q = mappings.get(k).prefix();
                        int l = Math.min(p.length(), q.length());
                        if ((p.hi() & AddressPrefix.maskHi(l)) == (q.hi() & AddressPrefix.maskHi(l))
                                && (p.lo() & AddressPrefix.maskLo(l)) == (q.lo() & AddressPrefix.maskLo(l))) {
                            errors.add(new FieldError(path + ".prefix", p + " overlaps " + q
                                    + ": an address could not be told apart (RFC 6052 section 2.3)"));
                        }
                    }
                    mappings.add(new PrefixMapping(p, ranges));
                }
            }
            List<AddressPrefix> excl = prefixList("exclusions", exclusions, true, errors);
            List<AddressPrefix> acl = prefixList("clientAcl", clientAcl, false, errors);
            List<AddressPrefix> synth = prefixList("synthesisAcl", synthesisAcl, false, errors);
            if (ednsBufferSize < 512 || ednsBufferSize > 4096) {
                errors.add(new FieldError("ednsBufferSize", "must be between 512 and 4096, got " + ednsBufferSize));
            }
            if (cacheMaxEntries < 0 || cacheMaxEntries > 50_000_000) {
                errors.add(new FieldError("cacheMaxEntries", "must be between 0 and 50000000, got " + cacheMaxEntries));
            }
            if (cacheMaxBytes < 0) {
                errors.add(new FieldError("cacheMaxBytes", "must not be negative, got " + cacheMaxBytes));
            }
            if (cacheMaxTtl == null || cacheMaxTtl.isNegative() || cacheMaxTtl.getSeconds() > 7 * 86400) {
                errors.add(new FieldError("cacheMaxTtl", "must be between 0 and 7 days, got " + cacheMaxTtl));
            }
            if (udpThreads < 1 || udpThreads > 64) {
                errors.add(new FieldError("udpThreads", "must be between 1 and 64, got " + udpThreads));
            }
            if (maxInFlight < 1 || maxInFlight > 1_000_000) {
                errors.add(new FieldError("maxInFlight", "must be between 1 and 1000000, got " + maxInFlight));
            }
            if (tcpMaxConnections < 0 || tcpMaxConnections > 100_000) {
                errors.add(new FieldError("tcpMaxConnections", "must be between 0 and 100000, got " + tcpMaxConnections));
            }
            if (tcpIdleTimeout == null || tcpIdleTimeout.toMillis() < 100 || tcpIdleTimeout.getSeconds() > 3600) {
                errors.add(new FieldError("tcpIdleTimeout", "must be between 100 ms and 1 hour, got " + tcpIdleTimeout));
            }
            if (!errors.isEmpty()) {
                throw new ConfigException(errors);
            }
            return new Dns64Config(this, mappings, excl, acl, synth);
        }

        private static void endpoints(String field, List<Endpoint> list, boolean listen, List<FieldError> errors) {
            for (int i = 0; i < list.size(); i++) {
                Endpoint e = list.get(i);
                String path = field + "[" + i + "]";
                try {
                    literal(e.address());
                } catch (RuntimeException ex) {
                    errors.add(new FieldError(path + ".address", ex.getMessage()));
                }
                if (e.port() < (listen ? 0 : 1) || e.port() > 65535) {
                    errors.add(new FieldError(path + ".port", "must be between " + (listen ? 0 : 1)
                            + " and 65535, got " + e.port()));
                }
                for (int j = 0; j < i; j++) {
                    if (list.get(j).equals(e) && e.port() != 0) {
                        errors.add(new FieldError(path, "duplicate of " + field + "[" + j + "]"));
                    }
                }
            }
        }

        private static List<AddressPrefix> prefixList(String field, List<String> list, boolean v6Only,
                                                      List<FieldError> errors) {
            List<AddressPrefix> out = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                try {
                    AddressPrefix p = AddressPrefix.parse(Objects.requireNonNull(list.get(i), "missing"));
                    if (v6Only && !p.v6()) {
                        errors.add(new FieldError(field + "[" + i + "]", "must be an IPv6 prefix (AAAA records hold "
                                + "IPv6 addresses), got " + p));
                        continue;
                    }
                    out.add(p);
                } catch (RuntimeException e) {
                    errors.add(new FieldError(field + "[" + i + "]", e.getMessage()));
                }
            }
            return out;
        }
    }
}
