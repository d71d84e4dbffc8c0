package io.xlatbox.clat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Test packets built field by field, and checks on translated ones. Checksums are summed byte by byte here, apart
 * from the engine's code, so that what the translator emits is judged by an independent implementation.
 */
public final class Packets {
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int ICMP = 1;
    public static final int ICMPV6 = 58;

    private Packets() {
    }

    public static byte[] addr(String s) {
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    public static String text(byte[] a) {
        try {
            return io.xlatbox.clat.net.Endpoints.text(InetAddress.getByAddress(a));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static long sum(byte[] b, int off, int len, long initial) {
        long s = initial;
        for (int i = 0; i + 1 < len; i += 2) {
            s += ((b[off + i] & 0xFF) << 8) | (b[off + i + 1] & 0xFF);
        }
        if ((len & 1) == 1) {
            s += (b[off + len - 1] & 0xFF) << 8;
        }
        return s;
    }

    static int fold(long s) {
        while ((s >> 16) != 0) {
            s = (s & 0xFFFF) + (s >> 16);
        }
        return (int) s;
    }

    public static int checksum(byte[] b, int off, int len, long initial) {
        return ~fold(sum(b, off, len, initial)) & 0xFFFF;
    }

    static long pseudo(byte[] src, byte[] dst, int proto, int len) {
        return sum(src, 0, src.length, 0) + sum(dst, 0, dst.length, 0) + proto + (len & 0xFFFF) + (len >>> 16);
    }

    // ---- transports (checksum left 0; the IP builders fill it in)

    public static byte[] udp(int sport, int dport, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + data.length);
        b.putShort((short) sport).putShort((short) dport).putShort((short) (8 + data.length)).putShort((short) 0);
        b.put(data);
        return b.array();
    }

    public static byte[] tcp(int sport, int dport, int flags, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(20 + data.length);
        b.putShort((short) sport).putShort((short) dport).putInt(1000).putInt(0);
        b.put((byte) 0x50).put((byte) flags).putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        b.put(data);
        return b.array();
    }

    /** An ICMP (v4: type 8/0, v6: 128/129) echo: type, code 0, checksum 0, id, seq, data. */
    public static byte[] echo(int type, int id, int seq, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + data.length);
        b.put((byte) type).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq).put(data);
        return b.array();
    }

    /** An ICMP error message body: type, code, checksum 0, the 32-bit rest, then the quoted packet. */
    public static byte[] icmpError(int type, int code, int rest, byte[] quoted) {
        ByteBuffer b = ByteBuffer.allocate(8 + quoted.length);
        b.put((byte) type).put((byte) code).putShort((short) 0).putInt(rest).put(quoted);
        return b.array();
    }

    // ---- IP

    /** IPv4 with DF set, ID 0x1234; the header and transport checksums are computed. */
    public static byte[] ipv4(String src, String dst, int proto, int ttl, byte[] payload) {
        byte[] s = addr(src);
        byte[] d = addr(dst);
        byte[] p = payload.clone();
        fillTransportChecksum4(p, proto, s, d);
        ByteBuffer b = ByteBuffer.allocate(20 + p.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + p.length)).putShort((short) 0x1234)
                .putShort((short) 0x4000).put((byte) ttl).put((byte) proto).putShort((short) 0).put(s).put(d);
        b.put(p);
        byte[] out = b.array();
        int c = checksum(out, 0, 20, 0);
        out[10] = (byte) (c >>> 8);
        out[11] = (byte) c;
        return out;
    }

    /** IPv6 without extension headers; the transport checksum is computed. */
    public static byte[] ipv6(String src, String dst, int next, int hop, byte[] payload) {
        byte[] s = addr(src);
        byte[] d = addr(dst);
        byte[] p = payload.clone();
        int off = checksumOffset(next);
        if (off >= 0) {
            p[off] = 0;
            p[off + 1] = 0;
            int c = checksum(p, 0, p.length, pseudo(s, d, next, p.length));
            p[off] = (byte) (c >>> 8);
            p[off + 1] = (byte) c;
        }
        ByteBuffer b = ByteBuffer.allocate(40 + p.length);
        b.putInt(0x60000000).putShort((short) p.length).put((byte) next).put((byte) hop).put(s).put(d).put(p);
        return b.array();
    }

    private static void fillTransportChecksum4(byte[] p, int proto, byte[] s, byte[] d) {
        int off = checksumOffset(proto);
        if (off < 0) {
            return;
        }
        p[off] = 0;
        p[off + 1] = 0;
        int c = proto == ICMP ? checksum(p, 0, p.length, 0) : checksum(p, 0, p.length, pseudo(s, d, proto, p.length));
        p[off] = (byte) (c >>> 8);
        p[off + 1] = (byte) c;
    }

    private static int checksumOffset(int proto) {
        return switch (proto) {
            case TCP -> 16;
            case UDP -> 6;
            case ICMP, ICMPV6 -> 2;
            default -> -1;
        };
    }

    // ---- reading translated packets

    public static int version(byte[] p) {
        return (p[0] & 0xF0) >>> 4;
    }

    public static byte[] src4(byte[] p) {
        return Arrays.copyOfRange(p, 12, 16);
    }

    public static byte[] dst4(byte[] p) {
        return Arrays.copyOfRange(p, 16, 20);
    }

    public static int ttl4(byte[] p) {
        return p[8] & 0xFF;
    }

    public static int proto4(byte[] p) {
        return p[9] & 0xFF;
    }

    public static byte[] payload4(byte[] p) {
        int ihl = (p[0] & 0x0F) * 4;
        int total = ((p[2] & 0xFF) << 8) | (p[3] & 0xFF);
        return Arrays.copyOfRange(p, ihl, total);
    }

    public static byte[] src6(byte[] p) {
        return Arrays.copyOfRange(p, 8, 24);
    }

    public static byte[] dst6(byte[] p) {
        return Arrays.copyOfRange(p, 24, 40);
    }

    public static int hop6(byte[] p) {
        return p[7] & 0xFF;
    }

    public static int next6(byte[] p) {
        return p[6] & 0xFF;
    }

    public static byte[] payload6(byte[] p) {
        int len = ((p[4] & 0xFF) << 8) | (p[5] & 0xFF);
        return Arrays.copyOfRange(p, 40, 40 + len);
    }

    /** Whether an IPv4 packet's header checksum and its TCP/UDP/ICMP checksum are right. */
    public static boolean checksumsOk4(byte[] p) {
        int ihl = (p[0] & 0x0F) * 4;
        if (checksum(p, 0, ihl, 0) != 0) {
            return false;
        }
        byte[] payload = payload4(p);
        int proto = proto4(p);
        if (proto == ICMP) {
            return checksum(payload, 0, payload.length, 0) == 0;
        }
        if (proto == TCP || proto == UDP) {
            return checksum(payload, 0, payload.length, pseudo(src4(p), dst4(p), proto, payload.length)) == 0;
        }
        return true;
    }

    /** Whether an IPv6 packet's TCP/UDP/ICMPv6 checksum is right. */
    public static boolean checksumsOk6(byte[] p) {
        byte[] payload = payload6(p);
        int next = next6(p);
        if (next == TCP || next == UDP || next == ICMPV6) {
            return checksum(payload, 0, payload.length, pseudo(src6(p), dst6(p), next, payload.length)) == 0;
        }
        return true;
    }

    public static int u16(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }
}
