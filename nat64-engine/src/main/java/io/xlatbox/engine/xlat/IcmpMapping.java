package io.xlatbox.engine.xlat;

import io.xlatbox.engine.packet.Icmpv4Header;
import io.xlatbox.engine.packet.Icmpv6Header;

/**
 * The ICMP type, code and pointer mappings of RFC 7915 §4.2 (ICMPv4 to ICMPv6) and §5.2 (ICMPv6 to ICMPv4), and
 * the MTU arithmetic of Packet Too Big and Fragmentation Needed. Results pack type and code as
 * {@code type << 8 | code}; -1 means the message is silently dropped.
 */
public final class IcmpMapping {
    /** RFC 1191 §7 plateau table. */
    private static final int[] PLATEAUS = {65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};

    private IcmpMapping() {
    }

    public static int type(int packed) {
        return packed >>> 8;
    }

    public static int code(int packed) {
        return packed & 0xFF;
    }

    private static int pack(int type, int code) {
        return type << 8 | code;
    }

    /** RFC 7915 §4.2: the ICMPv6 error for an ICMPv4 error, or -1. */
    public static int error4to6(int type, int code) {
        switch (type) {
            case Icmpv4Header.DEST_UNREACHABLE:
                switch (code) {
                    case 0: case 1: case 5: case 6: case 7: case 8: case 11: case 12:
                        return pack(Icmpv6Header.DEST_UNREACHABLE, Icmpv6Header.CODE_NO_ROUTE);
                    case 2: // protocol unreachable -> Parameter Problem, unrecognized Next Header, pointer 6
                        return pack(Icmpv6Header.PARAMETER_PROBLEM, Icmpv6Header.CODE_UNRECOGNIZED_NEXT_HEADER);
                    case 3:
                        return pack(Icmpv6Header.DEST_UNREACHABLE, Icmpv6Header.CODE_PORT_UNREACHABLE);
                    case 4:
                        return pack(Icmpv6Header.PACKET_TOO_BIG, 0);
                    case 9: case 10: case 13: case 15:
                        return pack(Icmpv6Header.DEST_UNREACHABLE, Icmpv6Header.CODE_ADMIN_PROHIBITED);
                    default: // 14 (host precedence violation) and unknown codes
                        return -1;
                }
            case Icmpv4Header.TIME_EXCEEDED:
                return pack(Icmpv6Header.TIME_EXCEEDED, code);
            case Icmpv4Header.PARAMETER_PROBLEM:
                return code == 0 || code == 2 ? pack(Icmpv6Header.PARAMETER_PROBLEM, Icmpv6Header.CODE_ERRONEOUS_HEADER)
                        : -1;
            default: // source quench, redirect, alternative host address, and anything unknown
                return -1;
        }
    }

    /** RFC 7915 §5.2: the ICMPv4 error for an ICMPv6 error, or -1. */
    public static int error6to4(int type, int code) {
        switch (type) {
            case Icmpv6Header.DEST_UNREACHABLE:
                switch (code) {
                    case 0: case 2: case 3:
                        return pack(Icmpv4Header.DEST_UNREACHABLE, Icmpv4Header.CODE_HOST_UNREACHABLE);
                    case 1:
                        return pack(Icmpv4Header.DEST_UNREACHABLE, 10);
                    case 4:
                        return pack(Icmpv4Header.DEST_UNREACHABLE, Icmpv4Header.CODE_PORT_UNREACHABLE);
                    default:
                        return -1;
                }
            case Icmpv6Header.PACKET_TOO_BIG:
                return pack(Icmpv4Header.DEST_UNREACHABLE, Icmpv4Header.CODE_FRAGMENTATION_NEEDED);
            case Icmpv6Header.TIME_EXCEEDED:
                return pack(Icmpv4Header.TIME_EXCEEDED, code);
            case Icmpv6Header.PARAMETER_PROBLEM:
                if (code == Icmpv6Header.CODE_ERRONEOUS_HEADER) {
                    return pack(Icmpv4Header.PARAMETER_PROBLEM, 0);
                }
                if (code == Icmpv6Header.CODE_UNRECOGNIZED_NEXT_HEADER) {
                    return pack(Icmpv4Header.DEST_UNREACHABLE, Icmpv4Header.CODE_PROTOCOL_UNREACHABLE);
                }
                return -1;
            default:
                return -1;
        }
    }

    /** RFC 7915 §4.2 Figure 3: IPv4 header pointer to IPv6 header pointer, or -1 (n/a: drop). */
    public static int pointer4to6(int p) {
        switch (p) {
            case 0: return 0;
            case 1: return 1;
            case 2: case 3: return 4;
            case 8: return 7;
            case 9: return 6;
            case 12: case 13: case 14: case 15: return 8;
            case 16: case 17: case 18: case 19: return 24;
            default: return -1;
        }
    }

    /** RFC 7915 §5.2 Figure 6: IPv6 header pointer to IPv4 header pointer, or -1 (n/a: drop). */
    public static int pointer6to4(int p) {
        if (p < 0 || p > 39) {
            return -1;
        }
        switch (p) {
            case 0: return 0;
            case 1: return 1;
            case 4: case 5: return 2;
            case 6: return 9;
            case 7: return 8;
            case 2: case 3: return -1;
            default: return p < 24 ? 12 : 16;
        }
    }

    /**
     * RFC 7915 §4.2: the MTU of the Packet Too Big made from a Fragmentation Needed, i.e.
     * {@code min(advertised + 20, ipv6Mtu, ipv4Mtu + 20)}, never below 1280. When the router left the field at
     * zero (pre-RFC 1191), the greatest RFC 1191 plateau below the inner packet's total length stands in for it.
     * {@code headerGrowth} is what translation adds to the packet in error: 20, or 28 with a fragment header.
     */
    public static int fragNeededToPtb(int advertised, int innerTotalLength, int headerGrowth, int ipv6Mtu, int ipv4Mtu) {
        int mtu4 = advertised != 0 ? advertised : plateauBelow(innerTotalLength);
        long m = Math.min((long) mtu4 + headerGrowth, Math.min(ipv6Mtu, (long) ipv4Mtu + headerGrowth));
        return (int) Math.max(1280, m);
    }

    /**
     * RFC 7915 §5.2: the MTU of the Fragmentation Needed made from a Packet Too Big, i.e.
     * {@code min(advertised - 20, ipv4Mtu, ipv6Mtu - 20)}; {@code headerShrink} is 20, or 28 when the packet in
     * error carried a fragment header.
     */
    public static int ptbToFragNeeded(long advertised, int headerShrink, int ipv4Mtu, int ipv6Mtu) {
        long m = Math.min(advertised - headerShrink, Math.min(ipv4Mtu, (long) ipv6Mtu - headerShrink));
        return (int) Math.max(68, Math.min(65535, m));
    }

    /** Greatest RFC 1191 plateau strictly below {@code totalLength}. */
    static int plateauBelow(int totalLength) {
        for (int p : PLATEAUS) {
            if (p < totalLength) {
                return p;
            }
        }
        return 68;
    }
}
