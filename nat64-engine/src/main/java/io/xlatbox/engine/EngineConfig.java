package io.xlatbox.engine;

import io.xlatbox.engine.ConfigException.FieldError;
import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Pool4Entry;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import io.xlatbox.engine.addr.StaticBibEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The complete, immutable configuration of the translator. A running engine swaps one snapshot for another
 * atomically; every packet sees exactly one snapshot. Names are the user-visible names (UI, REST, database).
 * Every instance is valid: {@link Builder#build()} checks everything and reports all problems at once.
 */
public final class EngineConfig {
    /** RFC 6146 §4: UDP_MIN. */
    public static final Duration UDP_MIN = Duration.ofMinutes(2);
    /** RFC 6146 §4: TCP_EST, "MUST NOT be less than 2 hours 4 minutes". */
    public static final Duration TCP_EST_MIN = Duration.ofMinutes(124);
    /** RFC 6146 §4: TCP_TRANS, at least 4 minutes. */
    public static final Duration TCP_TRANS_MIN = Duration.ofMinutes(4);
    /** RFC 6146 §4: TCP_INCOMING_SYN, at least 6 seconds. */
    public static final Duration TCP_INCOMING_SYN_MIN = Duration.ofSeconds(6);
    /** RFC 6146 §4: FRAGMENT_MIN, at least 2 seconds. */
    public static final Duration FRAGMENT_MIN = Duration.ofSeconds(2);
    /** Most static BIB entries; the BIB keeps room for this many beside the dynamic ones. */
    public static final int MAX_STATIC_BIB = 4096;

    private final Rfc6052Prefix pool6;
    private final List<Pool4Entry> pool4;
    private final List<StaticBibEntry> staticBib;
    private final Duration udpTimeout;
    private final Duration tcpEstablishedTimeout;
    private final Duration tcpTransitoryTimeout;
    private final Duration icmpTimeout;
    private final Duration tcpIncomingSynTimeout;
    private final Duration fragmentTimeout;
    private final int maxSessions;
    private final int maxSessionsPerHost;
    private final int maxStoredSyns;
    private final int maxFragmentBuffers;
    private final boolean addressDependentFiltering;
    private final boolean dropExternallyInitiatedTcp;
    private final int ipv6Mtu;
    private final int ipv4Mtu;
    private final int lowestIpv6Mtu;
    private final int ownIpv4Address;
    private final long ownIpv6Hi;
    private final long ownIpv6Lo;
    private final boolean copyTrafficClass;
    private final boolean allowNonGlobalWithWellKnownPrefix;
    private final int icmpErrorsPerSecond;

    private EngineConfig(Builder b, int ownIpv4, long ownIpv6Hi, long ownIpv6Lo) {
        pool6 = b.pool6;
        pool4 = List.copyOf(b.pool4);
        staticBib = List.copyOf(b.staticBib);
        udpTimeout = b.udpTimeout;
        tcpEstablishedTimeout = b.tcpEstablishedTimeout;
        tcpTransitoryTimeout = b.tcpTransitoryTimeout;
        icmpTimeout = b.icmpTimeout;
        tcpIncomingSynTimeout = b.tcpIncomingSynTimeout;
        fragmentTimeout = b.fragmentTimeout;
        maxSessions = b.maxSessions;
        maxSessionsPerHost = b.maxSessionsPerHost;
        maxStoredSyns = b.maxStoredSyns;
        maxFragmentBuffers = b.maxFragmentBuffers;
        addressDependentFiltering = b.addressDependentFiltering;
        dropExternallyInitiatedTcp = b.dropExternallyInitiatedTcp;
        ipv6Mtu = b.ipv6Mtu;
        ipv4Mtu = b.ipv4Mtu;
        lowestIpv6Mtu = b.lowestIpv6Mtu;
        ownIpv4Address = ownIpv4;
        this.ownIpv6Hi = ownIpv6Hi;
        this.ownIpv6Lo = ownIpv6Lo;
        copyTrafficClass = b.copyTrafficClass;
        allowNonGlobalWithWellKnownPrefix = b.allowNonGlobalWithWellKnownPrefix;
        icmpErrorsPerSecond = b.icmpErrorsPerSecond;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.pool6 = pool6;
        b.pool4 = new ArrayList<>(pool4);
        b.staticBib = new ArrayList<>(staticBib);
        b.udpTimeout = udpTimeout;
        b.tcpEstablishedTimeout = tcpEstablishedTimeout;
        b.tcpTransitoryTimeout = tcpTransitoryTimeout;
        b.icmpTimeout = icmpTimeout;
        b.tcpIncomingSynTimeout = tcpIncomingSynTimeout;
        b.fragmentTimeout = fragmentTimeout;
        b.maxSessions = maxSessions;
        b.maxSessionsPerHost = maxSessionsPerHost;
        b.maxStoredSyns = maxStoredSyns;
        b.maxFragmentBuffers = maxFragmentBuffers;
        b.addressDependentFiltering = addressDependentFiltering;
        b.dropExternallyInitiatedTcp = dropExternallyInitiatedTcp;
        b.ipv6Mtu = ipv6Mtu;
        b.ipv4Mtu = ipv4Mtu;
        b.lowestIpv6Mtu = lowestIpv6Mtu;
        b.ownIpv4Address = Ipv4Address.format(ownIpv4Address);
        b.ownIpv6Address = Ipv6Address.format(ownIpv6Hi, ownIpv6Lo);
        b.copyTrafficClass = copyTrafficClass;
        b.allowNonGlobalWithWellKnownPrefix = allowNonGlobalWithWellKnownPrefix;
        b.icmpErrorsPerSecond = icmpErrorsPerSecond;
        return b;
    }

    /** The NAT64 prefix (RFC 6146 "Pref64::/n"); IPv4 addresses are embedded in it per RFC 6052. */
    public Rfc6052Prefix pool6() { return pool6; }
    /** The IPv4 transport addresses the NAT64 maps IPv6 hosts to. */
    public List<Pool4Entry> pool4() { return pool4; }
    public List<StaticBibEntry> staticBib() { return staticBib; }
    /** UDP session lifetime (RFC 6146 UDP_DEFAULT, 5 minutes; never under UDP_MIN). */
    public Duration udpTimeout() { return udpTimeout; }
    /** Lifetime of an established TCP session (RFC 6146 TCP_EST). */
    public Duration tcpEstablishedTimeout() { return tcpEstablishedTimeout; }
    /** Lifetime of a TCP session in a transitory state (RFC 6146 TCP_TRANS). */
    public Duration tcpTransitoryTimeout() { return tcpTransitoryTimeout; }
    /** ICMP query session lifetime (RFC 6146 ICMP_DEFAULT). */
    public Duration icmpTimeout() { return icmpTimeout; }
    /** How long an IPv4-initiated SYN without a BIB entry is held for a simultaneous open (TCP_INCOMING_SYN). */
    public Duration tcpIncomingSynTimeout() { return tcpIncomingSynTimeout; }
    /** How long fragments wait for the rest of their packet (RFC 6146 §3.4 FRAGMENT_MIN). */
    public Duration fragmentTimeout() { return fragmentTimeout; }
    public int maxSessions() { return maxSessions; }
    /** Most sessions one IPv6 source address may hold, so that one host cannot exhaust pool4 for everyone. */
    public int maxSessionsPerHost() { return maxSessionsPerHost; }
    public int maxStoredSyns() { return maxStoredSyns; }
    public int maxFragmentBuffers() { return maxFragmentBuffers; }
    /** Address-dependent filtering (RFC 4787) instead of the default endpoint-independent filtering. */
    public boolean addressDependentFiltering() { return addressDependentFiltering; }
    /** Drop IPv4-initiated TCP connections that have no static BIB entry (RFC 6146 §3.5.2.2). */
    public boolean dropExternallyInitiatedTcp() { return dropExternallyInitiatedTcp; }
    /** MTU of the link toward the IPv6 network. */
    public int ipv6Mtu() { return ipv6Mtu; }
    /** MTU of the link toward the IPv4 network. */
    public int ipv4Mtu() { return ipv4Mtu; }
    /** Smallest MTU of the IPv6 network, the size DF=0 IPv4 packets are fragmented to (RFC 7915 §4). */
    public int lowestIpv6Mtu() { return lowestIpv6Mtu; }
    /** Source of the ICMPv4 errors the translator originates. */
    public int ownIpv4Address() { return ownIpv4Address; }
    /** Source of the ICMPv6 errors the translator originates (high 64 bits). */
    public long ownIpv6Hi() { return ownIpv6Hi; }
    public long ownIpv6Lo() { return ownIpv6Lo; }
    /** Copy IPv4 TOS to IPv6 Traffic Class and back (RFC 7915 §4.1 default) instead of writing zero. */
    public boolean copyTrafficClass() { return copyTrafficClass; }
    /**
     * Translate Well-Known-Prefix addresses that embed non-global IPv4 addresses, which RFC 6052 §3.1 forbids;
     * for labs that use documentation or private addresses as "the IPv4 internet".
     */
    public boolean allowNonGlobalWithWellKnownPrefix() { return allowNonGlobalWithWellKnownPrefix; }
    /** Rate limit for ICMP errors the translator originates (RFC 4443 §2.4 (f)); 0 means unlimited. */
    public int icmpErrorsPerSecond() { return icmpErrorsPerSecond; }

    public long timeoutMillis(L4Protocol p) {
        return p == L4Protocol.UDP ? udpTimeout.toMillis() : p == L4Protocol.ICMP ? icmpTimeout.toMillis()
                : tcpEstablishedTimeout.toMillis();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EngineConfig c && toString().equals(c.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    @Override
    public String toString() {
        return "EngineConfig{pool6=" + pool6 + ", pool4=" + pool4 + ", staticBib=" + staticBib
                + ", udpTimeout=" + udpTimeout + ", tcpEstablishedTimeout=" + tcpEstablishedTimeout
                + ", tcpTransitoryTimeout=" + tcpTransitoryTimeout + ", icmpTimeout=" + icmpTimeout
                + ", tcpIncomingSynTimeout=" + tcpIncomingSynTimeout + ", fragmentTimeout=" + fragmentTimeout
                + ", maxSessions=" + maxSessions + ", maxSessionsPerHost=" + maxSessionsPerHost
                + ", maxStoredSyns=" + maxStoredSyns + ", maxFragmentBuffers=" + maxFragmentBuffers
                + ", addressDependentFiltering=" + addressDependentFiltering
                + ", dropExternallyInitiatedTcp=" + dropExternallyInitiatedTcp
                + ", ipv6Mtu=" + ipv6Mtu + ", ipv4Mtu=" + ipv4Mtu + ", lowestIpv6Mtu=" + lowestIpv6Mtu
                + ", ownIpv4Address=" + Ipv4Address.format(ownIpv4Address)
                + ", ownIpv6Address=" + Ipv6Address.format(ownIpv6Hi, ownIpv6Lo)
                + ", copyTrafficClass=" + copyTrafficClass
                + ", allowNonGlobalWithWellKnownPrefix=" + allowNonGlobalWithWellKnownPrefix
                + ", icmpErrorsPerSecond=" + icmpErrorsPerSecond + "}";
    }

    /** Mutable builder; {@link #build()} validates. Setters take text where users type text. */
    public static final class Builder {
        private Rfc6052Prefix pool6 = Rfc6052Prefix.WELL_KNOWN;
        private List<Pool4Entry> pool4 = new ArrayList<>();
        private List<StaticBibEntry> staticBib = new ArrayList<>();
        private Duration udpTimeout = Duration.ofMinutes(5);
        private Duration tcpEstablishedTimeout = TCP_EST_MIN;
        private Duration tcpTransitoryTimeout = TCP_TRANS_MIN;
        private Duration icmpTimeout = Duration.ofSeconds(60);
        private Duration tcpIncomingSynTimeout = TCP_INCOMING_SYN_MIN;
        private Duration fragmentTimeout = FRAGMENT_MIN;
        private int maxSessions = 262_144;
        private int maxSessionsPerHost = 16_384;
        private int maxStoredSyns = 64;
        private int maxFragmentBuffers = 256;
        private boolean addressDependentFiltering;
        private boolean dropExternallyInitiatedTcp;
        private int ipv6Mtu = 1500;
        private int ipv4Mtu = 1500;
        private int lowestIpv6Mtu = 1280;
        private String ownIpv4Address;
        private String ownIpv6Address;
        private boolean copyTrafficClass = true;
        private boolean allowNonGlobalWithWellKnownPrefix;
        private int icmpErrorsPerSecond = 1000;

        private Builder() {
        }

        public Builder pool6(Rfc6052Prefix p) { pool6 = p; return this; }
        public Builder pool6(String p) { pool6 = Rfc6052Prefix.parse(p); return this; }
        public Builder pool4(List<Pool4Entry> p) { pool4 = new ArrayList<>(p); return this; }
        public Builder addPool4(Pool4Entry... e) { pool4.addAll(Arrays.asList(e)); return this; }
        /** Adds the prefix for TCP and UDP ports 1024-65535 and all ICMP identifiers. */
        public Builder addPool4(String prefix) { return addPool4(Pool4Entry.allProtocols(prefix)); }
        public Builder staticBib(List<StaticBibEntry> s) { staticBib = new ArrayList<>(s); return this; }
        public Builder addStaticBib(StaticBibEntry... e) { staticBib.addAll(Arrays.asList(e)); return this; }
        public Builder udpTimeout(Duration d) { udpTimeout = d; return this; }
        public Builder tcpEstablishedTimeout(Duration d) { tcpEstablishedTimeout = d; return this; }
        public Builder tcpTransitoryTimeout(Duration d) { tcpTransitoryTimeout = d; return this; }
        public Builder icmpTimeout(Duration d) { icmpTimeout = d; return this; }
        public Builder tcpIncomingSynTimeout(Duration d) { tcpIncomingSynTimeout = d; return this; }
        public Builder fragmentTimeout(Duration d) { fragmentTimeout = d; return this; }
        public Builder maxSessions(int n) { maxSessions = n; return this; }
        public Builder maxSessionsPerHost(int n) { maxSessionsPerHost = n; return this; }
        public Builder maxStoredSyns(int n) { maxStoredSyns = n; return this; }
        public Builder maxFragmentBuffers(int n) { maxFragmentBuffers = n; return this; }
        public Builder addressDependentFiltering(boolean b) { addressDependentFiltering = b; return this; }
        public Builder dropExternallyInitiatedTcp(boolean b) { dropExternallyInitiatedTcp = b; return this; }
        public Builder ipv6Mtu(int m) { ipv6Mtu = m; return this; }
        public Builder ipv4Mtu(int m) { ipv4Mtu = m; return this; }
        public Builder lowestIpv6Mtu(int m) { lowestIpv6Mtu = m; return this; }
        /** Null means: the first host address of the first pool4 prefix, or 192.0.0.8 (RFC 7600) without pool4. */
        public Builder ownIpv4Address(String a) { ownIpv4Address = a; return this; }
        /** Null means: the own IPv4 address embedded in pool6. */
        public Builder ownIpv6Address(String a) { ownIpv6Address = a; return this; }
        public Builder copyTrafficClass(boolean b) { copyTrafficClass = b; return this; }
        public Builder allowNonGlobalWithWellKnownPrefix(boolean b) { allowNonGlobalWithWellKnownPrefix = b; return this; }
        public Builder icmpErrorsPerSecond(int n) { icmpErrorsPerSecond = n; return this; }

        /** Validates every field and returns the snapshot, or throws {@link ConfigException} listing all errors. */
        public EngineConfig build() {
            List<FieldError> errors = new ArrayList<>();
            if (pool6 == null) {
                errors.add(new FieldError("pool6", "is required"));
            }
            validatePool4(errors);
            validateTimeout(errors, "udpTimeout", udpTimeout, UDP_MIN);
            validateTimeout(errors, "tcpEstablishedTimeout", tcpEstablishedTimeout, TCP_EST_MIN);
            validateTimeout(errors, "tcpTransitoryTimeout", tcpTransitoryTimeout, TCP_TRANS_MIN);
            validateTimeout(errors, "icmpTimeout", icmpTimeout, Duration.ofSeconds(1));
            validateTimeout(errors, "tcpIncomingSynTimeout", tcpIncomingSynTimeout, TCP_INCOMING_SYN_MIN);
            validateTimeout(errors, "fragmentTimeout", fragmentTimeout, FRAGMENT_MIN);
            range(errors, "maxSessions", maxSessions, 1, 1 << 24);
            range(errors, "maxSessionsPerHost", maxSessionsPerHost, 1, 1 << 24);
            range(errors, "maxStoredSyns", maxStoredSyns, 0, 65_536);
            range(errors, "maxFragmentBuffers", maxFragmentBuffers, 0, 65_536);
            range(errors, "ipv6Mtu", ipv6Mtu, 1280, 65_535);
            range(errors, "ipv4Mtu", ipv4Mtu, 68, 65_535);
            range(errors, "lowestIpv6Mtu", lowestIpv6Mtu, 1280, 65_535);
            if (lowestIpv6Mtu > ipv6Mtu) {
                errors.add(new FieldError("lowestIpv6Mtu", "must not exceed ipv6Mtu (" + ipv6Mtu + ")"));
            }
            range(errors, "icmpErrorsPerSecond", icmpErrorsPerSecond, 0, 10_000_000);

            int own4 = 0;
            if (ownIpv4Address != null && !ownIpv4Address.isBlank()) {
                try {
                    own4 = Ipv4Address.parse(ownIpv4Address);
                } catch (IllegalArgumentException e) {
                    errors.add(new FieldError("ownIpv4Address", e.getMessage()));
                }
            } else {
                own4 = pool4.isEmpty() || pool4.get(0) == null ? Ipv4Address.parse("192.0.0.8")
                        : firstHost(pool4.get(0).prefix());
            }
            long own6Hi = 0;
            long own6Lo = 0;
            if (ownIpv6Address != null && !ownIpv6Address.isBlank()) {
                try {
                    long[] a = Ipv6Address.parse(ownIpv6Address);
                    own6Hi = a[0];
                    own6Lo = a[1];
                } catch (IllegalArgumentException e) {
                    errors.add(new FieldError("ownIpv6Address", e.getMessage()));
                }
            } else if (pool6 != null) {
                own6Hi = pool6.embedHi(own4);
                own6Lo = pool6.embedLo(own4);
            }
            validateStaticBib(errors);
            if (!errors.isEmpty()) {
                throw new ConfigException(errors);
            }
            return new EngineConfig(this, own4, own6Hi, own6Lo);
        }

        /** The first address of a prefix that is not its network address (a /31 or /32 has none to skip). */
        private static int firstHost(io.xlatbox.engine.addr.Ipv4Prefix p) {
            return p.length() >= 31 ? p.first() : p.first() + 1;
        }

        private void validatePool4(List<FieldError> errors) {
            for (int i = 0; i < pool4.size(); i++) {
                Pool4Entry e = pool4.get(i);
                String p = "pool4[" + i + "]";
                if (e == null || e.protocol() == null || e.prefix() == null) {
                    errors.add(new FieldError(p, "protocol and prefix are required"));
                    continue;
                }
                int lo = e.protocol() == L4Protocol.ICMP ? 0 : 1;
                if (e.portMin() < lo || e.portMin() > 65535) {
                    errors.add(new FieldError(p + ".portMin", "must be in " + lo + "..65535"));
                }
                if (e.portMax() < lo || e.portMax() > 65535) {
                    errors.add(new FieldError(p + ".portMax", "must be in " + lo + "..65535"));
                }
                if (e.portMin() > e.portMax()) {
                    errors.add(new FieldError(p + ".portMax", "must not be below portMin"));
                }
                if (e.prefix().length() < 16) {
                    errors.add(new FieldError(p + ".prefix", "a pool4 prefix must be /16 or longer"));
                }
                for (int j = 0; j < i; j++) {
                    Pool4Entry o = pool4.get(j);
                    if (o != null && o.protocol() == e.protocol() && o.prefix() != null
                            && o.prefix().overlaps(e.prefix())
                            && o.portMin() <= e.portMax() && e.portMin() <= o.portMax()) {
                        errors.add(new FieldError(p, "overlaps pool4[" + j + "] (" + o + ")"));
                    }
                }
            }
        }

        private void validateStaticBib(List<FieldError> errors) {
            if (staticBib.size() > MAX_STATIC_BIB) {
                errors.add(new FieldError("staticBib", "at most " + MAX_STATIC_BIB + " entries"));
            }
            for (int i = 0; i < staticBib.size(); i++) {
                StaticBibEntry e = staticBib.get(i);
                String p = "staticBib[" + i + "]";
                if (e == null || e.protocol() == null) {
                    errors.add(new FieldError(p, "protocol is required"));
                    continue;
                }
                range(errors, p + ".ipv6Port", e.ipv6Port(), 0, 65535);
                range(errors, p + ".ipv4Port", e.ipv4Port(), 0, 65535);
                if (pool6 != null && pool6.contains(e.ipv6Hi(), e.ipv6Lo())) {
                    errors.add(new FieldError(p + ".ipv6Address", "must not lie inside pool6 " + pool6));
                }
                for (int j = 0; j < i; j++) {
                    StaticBibEntry o = staticBib.get(j);
                    if (o == null || o.protocol() != e.protocol()) {
                        continue;
                    }
                    if (o.ipv4Address() == e.ipv4Address() && o.ipv4Port() == e.ipv4Port()) {
                        errors.add(new FieldError(p, "uses the same IPv4 transport address as staticBib[" + j + "]"));
                    }
                    if (o.ipv6Hi() == e.ipv6Hi() && o.ipv6Lo() == e.ipv6Lo() && o.ipv6Port() == e.ipv6Port()) {
                        errors.add(new FieldError(p, "uses the same IPv6 transport address as staticBib[" + j + "]"));
                    }
                }
            }
        }

        private static void validateTimeout(List<FieldError> errors, String name, Duration d, Duration min) {
            if (d == null) {
                errors.add(new FieldError(name, "is required"));
            } else if (d.compareTo(min) < 0) {
                errors.add(new FieldError(name, "must be at least " + min.toSeconds() + " s (RFC 6146 section 4)"));
            } else if (d.compareTo(Duration.ofDays(7)) > 0) {
                errors.add(new FieldError(name, "must not exceed 7 days"));
            }
        }

        private static void range(List<FieldError> errors, String name, int v, int min, int max) {
            if (v < min || v > max) {
                errors.add(new FieldError(name, "must be in " + min + ".." + max + " (was " + v + ")"));
            }
        }
    }
}
