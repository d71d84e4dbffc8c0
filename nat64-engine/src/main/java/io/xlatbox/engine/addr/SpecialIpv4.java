package io.xlatbox.engine.addr;

/**
 * IPv4 address classes a translator must know about. The non-global list is the RFC 6890 special-purpose
 * registry's "Global = False" entries (as updated by RFC 8190), which RFC 6052 §3.1 forbids behind the
 * Well-Known Prefix. Decided by a switch on the first octet: this runs for every packet under 64:ff9b::/96.
 */
public final class SpecialIpv4 {
    private SpecialIpv4() {
    }

    /** Not globally reachable per RFC 6890. Multicast is reported separately by {@link #isMulticast}. */
    public static boolean isNonGlobal(int a) {
        int o1 = a >>> 24;
        int o2 = (a >>> 16) & 0xFF;
        int o3 = (a >>> 8) & 0xFF;
        switch (o1) {
            case 0:    // "this network" (RFC 791)
            case 10:   // private (RFC 1918)
            case 127:  // loopback
                return true;
            case 100:  // shared address space 100.64.0.0/10 (RFC 6598)
                return (o2 & 0xC0) == 64;
            case 169:  // link local (RFC 3927)
                return o2 == 254;
            case 172:  // private 172.16.0.0/12
                return (o2 & 0xF0) == 16;
            case 192:  // IETF protocol assignments 192.0.0.0/24 except 192.0.0.9 and .10 (RFC 7723, RFC 8155);
                       // TEST-NET-1 192.0.2.0/24; private 192.168.0.0/16
                if (o2 == 0 && o3 == 0) {
                    int o4 = a & 0xFF;
                    return o4 != 9 && o4 != 10;
                }
                return (o2 == 0 && o3 == 2) || o2 == 168;
            case 198:  // benchmarking 198.18.0.0/15 (RFC 2544); TEST-NET-2 198.51.100.0/24
                return (o2 & 0xFE) == 18 || (o2 == 51 && o3 == 100);
            case 203:  // TEST-NET-3 203.0.113.0/24
                return o2 == 0 && o3 == 113;
            default:   // reserved 240.0.0.0/4, including limited broadcast
                return o1 >= 240;
        }
    }

    /** RFC 5737 documentation ranges (TEST-NET-1, -2, -3): they appear only in examples, labs and test vectors. */
    public static boolean isDocumentation(int a) {
        int top24 = a >>> 8;
        return top24 == 0xC00002 || top24 == 0xC63364 || top24 == 0xCB0071;
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
