package io.xlatbox.clat.discovery;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A router advertisement (RFC 4861 §4.2) as received on a raw ICMPv6 socket (from the ICMPv6 header on), checked as
 * §6.1.2 says (hop limit 255, link-local source, code 0, at least 16 octets, no option of length 0), with its PREF64
 * options (RFC 8781) decoded. Options that cannot be used are listed in {@link #ignored} with the reason.
 *
 * @param source         the router's link-local address
 * @param routerLifetime seconds, 0 when the router is not a default router
 * @param pref64         the valid PREF64 options, in order
 * @param ignored        why other PREF64 options were ignored
 */
public record RouterAdvertisement(InetAddress source, int routerLifetime, List<Pref64Option> pref64,
                                  List<String> ignored) {
    public static final int TYPE = 134;
    public static final int SOLICITATION_TYPE = 133;
    private static final int HEADER = 16;

    /**
     * Parses and validates.
     *
     * @param hopLimit the IPv6 hop limit it arrived with, or -1 when the socket could not tell
     * @throws IllegalArgumentException with the reason when RFC 4861 says to discard it
     */
    public static RouterAdvertisement parse(byte[] b, int len, InetAddress source, int hopLimit) {
        if (len < HEADER) {
            throw new IllegalArgumentException("router advertisement of " + len + " octets, fewer than 16");
        }
        if ((b[0] & 0xFF) != TYPE) {
            throw new IllegalArgumentException("ICMPv6 type " + (b[0] & 0xFF) + ", not a router advertisement");
        }
        if (b[1] != 0) {
            throw new IllegalArgumentException("router advertisement with code " + (b[1] & 0xFF) + ", not 0");
        }
        if (hopLimit >= 0 && hopLimit != 255) {
            throw new IllegalArgumentException("router advertisement with hop limit " + hopLimit
                    + ", not 255: it did not come from this link");
        }
        if (!(source instanceof Inet6Address) || !source.isLinkLocalAddress()) {
            throw new IllegalArgumentException("router advertisement from " + (source == null ? "?"
                    : source.getHostAddress()) + ", not a link-local address");
        }
        int lifetime = ((b[6] & 0xFF) << 8) | (b[7] & 0xFF);
        List<Pref64Option> pref64 = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        int off = HEADER;
        while (off < len) {
            if (off + 2 > len) {
                throw new IllegalArgumentException("truncated option at octet " + off);
            }
            int type = b[off] & 0xFF;
            int units = b[off + 1] & 0xFF;
            if (units == 0) {
                throw new IllegalArgumentException("option of length 0 at octet " + off + " (RFC 4861: discard)");
            }
            int size = units * 8;
            if (off + size > len) {
                throw new IllegalArgumentException("option at octet " + off + " runs past the end");
            }
            if (type == Pref64Option.TYPE) {
                try {
                    pref64.add(Pref64Option.parse(b, off, size));
                } catch (IllegalArgumentException e) {
                    ignored.add(e.getMessage());
                }
            }
            off += size;
        }
        return new RouterAdvertisement(source, lifetime, List.copyOf(pref64), List.copyOf(ignored));
    }

    /** An RA's ICMPv6 message (checksum left 0: the kernel computes it on a raw ICMPv6 socket). */
    public static byte[] build(int routerLifetime, byte[]... options) {
        int len = HEADER;
        for (byte[] o : options) {
            len += o.length;
        }
        byte[] b = new byte[len];
        b[0] = (byte) TYPE;
        b[4] = 64; // cur hop limit
        b[6] = (byte) (routerLifetime >>> 8);
        b[7] = (byte) routerLifetime;
        int off = HEADER;
        for (byte[] o : options) {
            System.arraycopy(o, 0, b, off, o.length);
            off += o.length;
        }
        return b;
    }

    /** A router solicitation (RFC 4861 §4.1) without options: type 133, code 0, 4 reserved octets. */
    public static byte[] solicitation() {
        byte[] b = new byte[8];
        b[0] = (byte) SOLICITATION_TYPE;
        return b;
    }
}
