package io.xlatbox.engine.lan;

import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The Router Advertisement message (RFC 4861 §4.2) with the options xlatbox sends, in wire format from the ICMPv6
 * header on. The checksum is left 0: on a raw ICMPv6 socket the kernel computes it (RFC 3542 §3.1).
 * <pre>
 *  Type 134 | Code 0 | Checksum
 *  Cur Hop Limit | M O H Prf Resvd | Router Lifetime
 *  Reachable Time
 *  Retrans Timer
 *  Options: Source Link-Layer Address (1), Prefix Information (3), MTU (5), RDNSS (25, RFC 8106),
 *           PREF64 (38, RFC 8781)
 * </pre>
 * M and O are 0 (no DHCPv6), the preference is medium, Reachable Time and Retrans Timer are 0 (unspecified by this
 * router), and Cur Hop Limit is {@value #CUR_HOP_LIMIT}, the IANA default TTL.
 */
public final class RouterAdvertisement {
    public static final int TYPE = 134;
    public static final int CUR_HOP_LIMIT = 64;
    static final int HEADER = 16;

    public static final int OPTION_SOURCE_LINK_LAYER_ADDRESS = 1;
    public static final int OPTION_PREFIX_INFORMATION = 3;
    public static final int OPTION_MTU = 5;
    public static final int OPTION_RDNSS = 25;
    public static final int OPTION_PREF64 = 38;

    private static final int PREFIX_INFORMATION_SIZE = 32;
    private static final int MTU_SIZE = 8;
    private static final int PREF64_SIZE = 16;
    /** The Prefix Length Code of RFC 8781 §4 is the index of the length here. */
    private static final int[] LENGTH_BY_PLC = {96, 64, 56, 48, 40, 32};

    private RouterAdvertisement() {
    }

    /** The advertisement of {@code config}, with no Source Link-Layer Address option. */
    public static byte[] encode(RaConfig config) {
        return encode(config, null, Withdrawals.NONE, false);
    }

    /**
     * The advertisement of {@code config}.
     *
     * @param linkLayerAddress the interface's Ethernet address for the Source Link-Layer Address option (RFC 4861
     *                         §4.6.1), or null for none (an interface without one)
     * @param withdrawn        things advertised before and no longer, sent with lifetime 0
     * @param ceasing          the final advertisement of RFC 4861 §6.2.5: Router Lifetime 0, and the PREF64 and
     *                         RDNSS options with lifetime 0, so that clients stop using the router, its NAT64
     *                         prefix and its DNS servers at once; the Prefix Information is unchanged (the LAN's
     *                         addresses stay valid while the box restarts)
     */
    static byte[] encode(RaConfig config, byte[] linkLayerAddress, Withdrawals withdrawn, boolean ceasing) {
        int size = HEADER;
        if (linkLayerAddress != null) {
            size += roundUp8(2 + linkLayerAddress.length);
        }
        size += PREFIX_INFORMATION_SIZE;
        if (withdrawn.lanPrefixHi() != null) {
            size += PREFIX_INFORMATION_SIZE;
        }
        if (config.mtu() != 0) {
            size += MTU_SIZE;
        }
        if (!config.rdnssAddresses().isEmpty()) {
            size += 8 + 16 * config.rdnssAddresses().size();
        }
        if (!withdrawn.rdnss().isEmpty()) {
            size += 8 + 16 * withdrawn.rdnss().size();
        }
        if (config.pref64() != null) {
            size += PREF64_SIZE;
        }
        if (withdrawn.pref64() != null) {
            size += PREF64_SIZE;
        }

        ByteBuffer b = ByteBuffer.allocate(size);
        b.put((byte) TYPE).put((byte) 0).putShort((short) 0);
        b.put((byte) CUR_HOP_LIMIT).put((byte) 0); // M=0 O=0 H=0 Prf=00 (medium)
        b.putShort((short) (ceasing ? 0 : config.routerLifetime()));
        b.putInt(0).putInt(0); // Reachable Time, Retrans Timer: unspecified
        if (linkLayerAddress != null) {
            int optionSize = roundUp8(2 + linkLayerAddress.length);
            b.put((byte) OPTION_SOURCE_LINK_LAYER_ADDRESS).put((byte) (optionSize / 8)).put(linkLayerAddress);
            b.put(new byte[optionSize - 2 - linkLayerAddress.length]);
        }
        prefixInformation(b, config.lanPrefixHi(), config.prefixOnLink(), config.prefixAutonomous(),
                config.prefixValidLifetime(), config.prefixPreferredLifetime());
        if (withdrawn.lanPrefixHi() != null) {
            prefixInformation(b, withdrawn.lanPrefixHi(), config.prefixOnLink(), config.prefixAutonomous(), 0, 0);
        }
        if (config.mtu() != 0) {
            b.put((byte) OPTION_MTU).put((byte) 1).putShort((short) 0).putInt(config.mtu());
        }
        if (!config.rdnssAddresses().isEmpty()) {
            rdnss(b, config.rdnssAddresses(), ceasing ? 0 : config.rdnssLifetime());
        }
        if (!withdrawn.rdnss().isEmpty()) {
            rdnss(b, withdrawn.rdnss(), 0);
        }
        if (config.pref64() != null) {
            pref64(b, config.pref64(), ceasing ? 0 : config.pref64Lifetime());
        }
        if (withdrawn.pref64() != null) {
            pref64(b, withdrawn.pref64(), 0);
        }
        return b.array();
    }

    /** Prefix Information, RFC 4861 §4.6.2: type 3, length 4, a /64 here. */
    private static void prefixInformation(ByteBuffer b, long prefixHi, boolean onLink, boolean autonomous,
                                          long valid, long preferred) {
        b.put((byte) OPTION_PREFIX_INFORMATION).put((byte) 4).put((byte) 64);
        b.put((byte) ((onLink ? 0x80 : 0) | (autonomous ? 0x40 : 0)));
        b.putInt((int) valid).putInt((int) preferred).putInt(0); // Reserved2
        b.putLong(prefixHi).putLong(0);
    }

    /** Recursive DNS Server, RFC 8106 §5.1: type 25, length 1 + 2 × addresses. */
    private static void rdnss(ByteBuffer b, List<String> addresses, long lifetime) {
        b.put((byte) OPTION_RDNSS).put((byte) (1 + 2 * addresses.size())).putShort((short) 0);
        b.putInt((int) lifetime);
        for (String a : addresses) {
            long[] v = Ipv6Address.parse(a);
            b.putLong(v[0]).putLong(v[1]);
        }
    }

    /** PREF64, RFC 8781 §4: type 38, length 2, Scaled Lifetime (13 bits) and PLC (3 bits), the prefix's first 96 bits. */
    private static void pref64(ByteBuffer b, Rfc6052Prefix prefix, int lifetimeSeconds) {
        b.put((byte) OPTION_PREF64).put((byte) 2);
        b.putShort((short) (scaledLifetime(lifetimeSeconds) << 3 | prefixLengthCode(prefix.length())));
        b.putLong(prefix.hi()).putInt((int) (prefix.lo() >>> 32));
    }

    /**
     * RFC 8781 §4.1: a lifetime in seconds as the Scaled Lifetime, in units of 8 s. A lifetime that is no multiple of
     * 8 is rounded up; one that is not 0 never becomes 0; the most is 8191 (65528 s).
     */
    static int scaledLifetime(int seconds) {
        if (seconds <= 0) {
            return 0;
        }
        return (int) Math.min(8191, (seconds + 7L) / 8);
    }

    /** RFC 8781 §4: the Prefix Length Code of an RFC 6052 prefix length (0 for /96 … 5 for /32). */
    static int prefixLengthCode(int length) {
        for (int plc = 0; plc < LENGTH_BY_PLC.length; plc++) {
            if (LENGTH_BY_PLC[plc] == length) {
                return plc;
            }
        }
        throw new IllegalArgumentException("no PREF64 Prefix Length Code for /" + length);
    }

    private static int roundUp8(int n) {
        return (n + 7) & ~7;
    }
}
