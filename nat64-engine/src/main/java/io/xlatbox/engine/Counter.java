package io.xlatbox.engine;

import java.util.Locale;

/**
 * Everything the translator counts. Drops carry the reason, as a real translator's counters do. The names are
 * the ones shown by the UI, the REST API and the metrics.
 */
public enum Counter {
    RECEIVED_IPV6(false, "IPv6 packets received"),
    RECEIVED_IPV4(false, "IPv4 packets received"),
    RECEIVED_BYTES_IPV6(false, "IPv6 bytes received"),
    RECEIVED_BYTES_IPV4(false, "IPv4 bytes received"),
    TRANSLATED_6TO4(false, "IPv6 packets translated to IPv4"),
    TRANSLATED_4TO6(false, "IPv4 packets translated to IPv6"),
    TRANSLATED_BYTES_6TO4(false, "bytes emitted toward IPv4"),
    TRANSLATED_BYTES_4TO6(false, "bytes emitted toward IPv6"),
    HAIRPINNED(false, "packets hairpinned back to IPv6 (RFC 6146 section 3.8)"),
    ICMP_ERRORS_TRANSLATED(false, "ICMP errors translated"),
    ICMP_ERRORS_SENT(false, "ICMP errors originated by the translator"),
    FRAGMENTS_CREATED(false, "fragments the translator created"),
    GSO_PACKETS(false, "GSO super-packets translated whole"),
    GSO_SEGMENTS(false, "segments in the GSO super-packets translated"),
    FRAGMENTS_QUEUED(false, "out-of-order fragments held until their first fragment"),
    SYNS_STORED(false, "IPv4-initiated SYNs held for simultaneous open"),
    SESSIONS_CREATED(false, "sessions created"),
    SESSIONS_EXPIRED(false, "sessions expired"),
    SESSIONS_REMOVED_BY_CONFIG(false, "sessions dropped by a configuration change"),
    BIB_CREATED(false, "BIB entries created"),
    SLOW_PATH_QUEUED(false, "packets passed to the worker holding the writer role"),
    TCP_PROBES_SENT(false, "probes sent when an established TCP session times out (RFC 6146 section 3.5.2.2)"),

    DROP_MALFORMED(true, "malformed or truncated packet"),
    DROP_BAD_CHECKSUM(true, "bad IPv4 header or ICMP checksum"),
    DROP_TTL_EXPIRED(true, "TTL or hop limit expired"),
    DROP_TOO_BIG(true, "larger than the egress MTU with DF set"),
    DROP_NOT_POOL6(true, "IPv6 destination outside pool6"),
    DROP_NOT_POOL4(true, "IPv4 destination outside pool4"),
    DROP_NON_GLOBAL(true, "non-global IPv4 address behind the Well-Known Prefix (RFC 6052 section 3.1)"),
    DROP_UNSUPPORTED_PROTOCOL(true, "transport protocol NAT64 does not handle"),
    DROP_UNTRANSLATABLE_ICMP(true, "ICMP type or code with no translation (RFC 7915 sections 4.2, 5.2)"),
    DROP_SOURCE_ROUTE(true, "unexpired IPv4 source route option"),
    DROP_ROUTING_HEADER(true, "IPv6 routing header with segments left"),
    DROP_NO_BIB(true, "no BIB entry for an IPv4 packet"),
    DROP_NO_SESSION(true, "ICMP error or packet that matches no session"),
    DROP_FILTERED(true, "filtered by address-dependent filtering or policy"),
    DROP_POOL_EXHAUSTED(true, "no free pool4 address and port"),
    DROP_SESSION_LIMIT(true, "maximum number of sessions reached"),
    DROP_HOST_LIMIT(true, "maximum sessions of one IPv6 host reached"),
    DROP_ZERO_CHECKSUM_FRAGMENT(true, "fragmented IPv4 UDP with zero checksum (RFC 7915 section 4.5)"),
    DROP_FRAGMENT_TIMEOUT(true, "fragment whose first fragment never came"),
    DROP_FRAGMENT_BUFFER_FULL(true, "fragment buffer full"),
    DROP_FRAGMENTED_ICMP(true, "fragmented ICMP message"),
    DROP_SYN_STORE_FULL(true, "IPv4-initiated SYN store full"),
    DROP_SYN_TIMEOUT(true, "IPv4-initiated SYN not answered from IPv6 within TCP_INCOMING_SYN"),
    DROP_TCP_NOT_SYN(true, "TCP packet other than SYN that starts no session"),
    DROP_ICMP_RATE_LIMITED(true, "ICMP error not sent: rate limit"),
    DROP_UNEXPECTED_ICMPV6(true, "ICMPv6 informational or neighbor discovery message"),
    DROP_HAIRPIN_LOOP(true, "packet from pool6 to pool6"),
    DROP_SLOW_PATH_FULL(true, "queue to the worker holding the writer role full"),
    DROP_TX_FULL(true, "TUN transmit queue full"),
    DROP_GSO_UNSUPPORTED(true, "super-packet that could not be translated whole"),
    DROP_TX_ERROR(true, "TUN write refused by the kernel");

    private final boolean drop;
    private final String description;

    Counter(boolean drop, String description) {
        this.drop = drop;
        this.description = description;
    }

    public boolean isDrop() {
        return drop;
    }

    public String description() {
        return description;
    }

    /** lowerCamel name for JSON and metrics: DROP_NO_BIB -> dropNoBib. */
    public String key() {
        String[] parts = name().toLowerCase(Locale.ROOT).split("_");
        StringBuilder sb = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            sb.append(Character.toUpperCase(parts[i].charAt(0))).append(parts[i], 1, parts[i].length());
        }
        return sb.toString();
    }

    static final Counter[] VALUES = values();
}
