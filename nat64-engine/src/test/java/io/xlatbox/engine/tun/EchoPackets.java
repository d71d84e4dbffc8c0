package io.xlatbox.engine.tun;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * ICMP and ICMPv6 echo requests built byte by byte, with their checksums (RFC 1071; ICMPv6 over the RFC 8200
 * pseudo-header), and the checks of the replies the kernel sends back.
 */
final class EchoPackets {
    static final int IPV4_HEADER = 20;
    static final int IPV6_HEADER = 40;
    static final int ICMP_HEADER = 8;

    private EchoPackets() {
    }

    static byte[] addr(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    /** An IPv4 ICMP echo request at {@code b[off]}; returns its length. */
    static int ipv4Request(ByteBuffer b, int off, byte[] src, byte[] dst, int id, int seq, int payload) {
        int len = IPV4_HEADER + ICMP_HEADER + payload;
        zero(b, off, len);
        b.put(off, (byte) 0x45);
        b.putShort(off + 2, (short) len);
        b.putShort(off + 4, (short) seq); // Identification
        b.put(off + 8, (byte) 64); // TTL
        b.put(off + 9, (byte) 1); // ICMP
        b.put(off + 12, src);
        b.put(off + 16, dst);
        b.putShort(off + 10, (short) checksum(b, off, IPV4_HEADER, 0));
        int icmp = off + IPV4_HEADER;
        b.put(icmp, (byte) 8); // echo request
        b.putShort(icmp + 4, (short) id);
        b.putShort(icmp + 6, (short) seq);
        pattern(b, icmp + ICMP_HEADER, payload, seq);
        b.putShort(icmp + 2, (short) checksum(b, icmp, ICMP_HEADER + payload, 0));
        return len;
    }

    /** An ICMPv6 echo request at {@code b[off]}; returns its length. */
    static int ipv6Request(ByteBuffer b, int off, byte[] src, byte[] dst, int id, int seq, int payload) {
        int icmpLen = ICMP_HEADER + payload;
        zero(b, off, IPV6_HEADER + icmpLen);
        b.putInt(off, 0x60000000);
        b.putShort(off + 4, (short) icmpLen);
        b.put(off + 6, (byte) 58); // ICMPv6
        b.put(off + 7, (byte) 64); // hop limit
        b.put(off + 8, src);
        b.put(off + 24, dst);
        int icmp = off + IPV6_HEADER;
        b.put(icmp, (byte) 128); // echo request
        b.putShort(icmp + 4, (short) id);
        b.putShort(icmp + 6, (short) seq);
        pattern(b, icmp + ICMP_HEADER, payload, seq);
        b.putShort(icmp + 2, (short) checksum(b, icmp, icmpLen, pseudoHeader6(b, off, icmpLen)));
        return IPV6_HEADER + icmpLen;
    }

    /** Whether {@code b[off, off + len)} is the IPv4 echo reply to a request made by {@link #ipv4Request}. */
    static boolean isIpv4Reply(ByteBuffer b, int off, int len, byte[] src, byte[] dst, int id, int seq,
            int payload) {
        if (len != IPV4_HEADER + ICMP_HEADER + payload || (b.get(off) & 0xff) != 0x45 || b.get(off + 9) != 1) {
            return false;
        }
        if (checksum(b, off, IPV4_HEADER, 0) != 0 || !equal(b, off + 12, src) || !equal(b, off + 16, dst)) {
            return false;
        }
        int icmp = off + IPV4_HEADER;
        return b.get(icmp) == 0 && b.get(icmp + 1) == 0 && checksum(b, icmp, ICMP_HEADER + payload, 0) == 0
                && (b.getShort(icmp + 4) & 0xffff) == id && (b.getShort(icmp + 6) & 0xffff) == seq
                && hasPattern(b, icmp + ICMP_HEADER, payload, seq);
    }

    /** Whether {@code b[off, off + len)} is the ICMPv6 echo reply to a request made by {@link #ipv6Request}. */
    static boolean isIpv6Reply(ByteBuffer b, int off, int len, byte[] src, byte[] dst, int id, int seq,
            int payload) {
        int icmpLen = ICMP_HEADER + payload;
        if (len != IPV6_HEADER + icmpLen || (b.get(off) & 0xf0) != 0x60 || b.get(off + 6) != 58
                || (b.getShort(off + 4) & 0xffff) != icmpLen) {
            return false;
        }
        if (!equal(b, off + 8, src) || !equal(b, off + 24, dst)) {
            return false;
        }
        int icmp = off + IPV6_HEADER;
        return (b.get(icmp) & 0xff) == 129 && b.get(icmp + 1) == 0
                && checksum(b, icmp, icmpLen, pseudoHeader6(b, off, icmpLen)) == 0
                && (b.getShort(icmp + 4) & 0xffff) == id && (b.getShort(icmp + 6) & 0xffff) == seq
                && hasPattern(b, icmp + ICMP_HEADER, payload, seq);
    }

    /** RFC 1071: the ones' complement of the ones' complement sum, starting from {@code initial}. */
    static int checksum(ByteBuffer b, int off, int len, long initial) {
        long sum = initial;
        int i = 0;
        for (; i + 1 < len; i += 2) {
            sum += b.getShort(off + i) & 0xffff;
        }
        if (i < len) {
            sum += (b.get(off + i) & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /** Source, destination, upper-layer length and next header 58, summed as 16-bit words. */
    private static long pseudoHeader6(ByteBuffer b, int off, int upperLength) {
        long sum = 0;
        for (int i = 8; i < 40; i += 2) {
            sum += b.getShort(off + i) & 0xffff;
        }
        return sum + upperLength + 58;
    }

    private static void pattern(ByteBuffer b, int off, int len, int seed) {
        for (int i = 0; i < len; i++) {
            b.put(off + i, (byte) (i * 7 + seed));
        }
    }

    private static boolean hasPattern(ByteBuffer b, int off, int len, int seed) {
        for (int i = 0; i < len; i++) {
            if (b.get(off + i) != (byte) (i * 7 + seed)) {
                return false;
            }
        }
        return true;
    }

    private static boolean equal(ByteBuffer b, int off, byte[] expected) {
        for (int i = 0; i < expected.length; i++) {
            if (b.get(off + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private static void zero(ByteBuffer b, int off, int len) {
        for (int i = 0; i < len; i++) {
            b.put(off + i, (byte) 0);
        }
    }
}
