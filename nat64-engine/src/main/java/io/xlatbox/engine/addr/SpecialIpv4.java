package io.xlatbox.engine.addr;

/**
 * IPv4 address classes a translator must know about. The non-global list is the RFC 6890 special-purpose
 * registry's "Global = False" entries (as updated by RFC 8190), which RFC 6052 §3.1 forbids behind the
 * Well-Known Prefix.
 */
public final class SpecialIpv4 {
    private static final Ipv4Prefix[] NON_GLOBAL = {
        Ipv4Prefix.parse("0.0.0.0/8"),        // "this network" (RFC 791)
        Ipv4Prefix.parse("10.0.0.0/8"),       // private (RFC 1918)
        Ipv4Prefix.parse("100.64.0.0/10"),    // shared address space (RFC 6598)
        Ipv4Prefix.parse("127.0.0.0/8"),      // loopback
        Ipv4Prefix.parse("169.254.0.0/16"),   // link local (RFC 3927)
        Ipv4Prefix.parse("172.16.0.0/12"),    // private
        Ipv4Prefix.parse("192.0.0.0/24"),     // IETF protocol assignments (RFC 6890), but see the exceptions
        Ipv4Prefix.parse("192.0.2.0/24"),     // TEST-NET-1 (RFC 5737)
        Ipv4Prefix.parse("192.168.0.0/16"),   // private
        Ipv4Prefix.parse("198.18.0.0/15"),    // benchmarking (RFC 2544)
        Ipv4Prefix.parse("198.51.100.0/24"),  // TEST-NET-2
        Ipv4Prefix.parse("203.0.113.0/24"),   // TEST-NET-3
        Ipv4Prefix.parse("240.0.0.0/4"),      // reserved, including limited broadcast
    };
    private static final Ipv4Prefix[] DOCUMENTATION = {
        Ipv4Prefix.parse("192.0.2.0/24"), Ipv4Prefix.parse("198.51.100.0/24"), Ipv4Prefix.parse("203.0.113.0/24")};
    /** Entries of 192.0.0.0/24 that RFC 7723 and RFC 8155 register as globally reachable. */
    private static final int[] GLOBAL_EXCEPTIONS = {Ipv4Address.parse("192.0.0.9"), Ipv4Address.parse("192.0.0.10")};

    private SpecialIpv4() {
    }

    /** First octets under which some non-global prefix lies: most addresses are decided by one array read. */
    private static final boolean[] SUSPECT_FIRST_OCTET = new boolean[256];

    static {
        for (Ipv4Prefix p : NON_GLOBAL) {
            int first = p.first() >>> 24;
            int last = p.last() >>> 24;
            for (int o = first; o <= last; o++) {
                SUSPECT_FIRST_OCTET[o] = true;
            }
        }
    }

    /** Not globally reachable per RFC 6890. Multicast is reported separately by {@link #isMulticast}. */
    public static boolean isNonGlobal(int a) {
        if (!SUSPECT_FIRST_OCTET[a >>> 24]) {
            return false;
        }
        for (int e : GLOBAL_EXCEPTIONS) {
            if (a == e) {
                return false;
            }
        }
        for (Ipv4Prefix p : NON_GLOBAL) {
            if (p.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** RFC 5737 documentation ranges (TEST-NET-1, -2, -3): they appear only in examples, labs and test vectors. */
    public static boolean isDocumentation(int a) {
        for (Ipv4Prefix p : DOCUMENTATION) {
            if (p.contains(a)) {
                return true;
            }
        }
        return false;
    }

    public static boolean isMulticast(int a) {
        return (a >>> 28) == 0xE;
    }

    /** Addresses no unicast packet may come from or go to: multicast, 0/8, limited broadcast, loopback. */
    public static boolean isUnusableUnicast(int a) {
        int top = a >>> 24;
        return isMulticast(a) || top == 0 || top == 127 || a == -1;
    }
}
