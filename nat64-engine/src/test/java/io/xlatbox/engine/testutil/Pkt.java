package io.xlatbox.engine.testutil;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Builds test packets from their fields. Written independently of the engine's packet code: checksums are summed
 * byte by byte here, so expected packets are not produced by the code under test.
 */
public final class Pkt {
    private Pkt() {
    }

    public static byte[] addr(String s) {
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /** Textbook RFC 1071 sum over a byte array. */
    public static int sum(byte[] b, int off, int len, int initial) {
        long s = initial;
        for (int i = 0; i + 1 < len; i += 2) {
            s += ((b[off + i] & 0xFF) << 8) | (b[off + i + 1] & 0xFF);
        }
        if ((len & 1) == 1) {
            s += (b[off + len - 1] & 0xFF) << 8;
        }
        while ((s >> 16) != 0) {
            s = (s & 0xFFFF) + (s >> 16);
        }
        return (int) s;
    }

    public static int checksum(byte[] b, int off, int len, int initial) {
        return ~sum(b, off, len, initial) & 0xFFFF;
    }

    public static int pseudo(byte[] src, byte[] dst, int proto, int len) {
        byte[] p = new byte[src.length * 2 + 8];
        System.arraycopy(src, 0, p, 0, src.length);
        System.arraycopy(dst, 0, p, src.length, dst.length);
        ByteBuffer bb = ByteBuffer.wrap(p, src.length * 2, 8);
        bb.putInt(len);
        bb.putInt(proto);
        return sum(p, 0, p.length, 0);
    }

    public static String v4str(int a) {
        return ((a >>> 24) & 0xFF) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + (a & 0xFF);
    }

    public static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    public static byte[] unhex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("\\s", ""));
    }

    // ------------------------------------------------------------------------------------------- transports

    /** A transport segment: its header and payload, with the checksum filled in against a pseudo-header. */
    public abstract static class L4 {
        Integer forcedChecksum;
        boolean badChecksum;

        public L4 checksum(int c) {
            forcedChecksum = c;
            return this;
        }

        /** Corrupts the computed checksum (adds one), to check a bad checksum stays bad. */
        public L4 corrupt() {
            badChecksum = true;
            return this;
        }

        abstract int ipv4Protocol();

        abstract int ipv6NextHeader();

        abstract byte[] bytes(byte[] src, byte[] dst, boolean v6);

        /** The segment with its checksum for these addresses (IPv6 when they are IPv6 addresses). */
        public byte[] bytes0(String src, String dst) {
            byte[] s = addr(src);
            return bytes(s, addr(dst), s.length == 16);
        }
    }

    public static Udp udp(int sport, int dport, byte[] payload) {
        return new Udp(sport, dport, payload);
    }

    public static Tcp tcp(int sport, int dport, int flags, byte[] payload) {
        return new Tcp(sport, dport, flags, payload);
    }

    public static Icmp icmp(int type, int code, int rest, byte[] payload) {
        return new Icmp(type, code, rest, payload);
    }

    public static Raw raw(int protocol, byte[] payload) {
        return new Raw(protocol, payload);
    }

    public static final class Udp extends L4 {
        final int sport;
        final int dport;
        final byte[] payload;

        Udp(int sport, int dport, byte[] payload) {
            this.sport = sport;
            this.dport = dport;
            this.payload = payload;
        }

        @Override int ipv4Protocol() { return 17; }
        @Override int ipv6NextHeader() { return 17; }

        @Override
        byte[] bytes(byte[] src, byte[] dst, boolean v6) {
            int len = 8 + payload.length;
            ByteBuffer b = ByteBuffer.allocate(len);
            b.putShort((short) sport).putShort((short) dport).putShort((short) len).putShort((short) 0).put(payload);
            byte[] a = b.array();
            int c = Pkt.checksum(a, 0, len, pseudo(src, dst, 17, len));
            if (c == 0) {
                c = 0xFFFF;
            }
            if (badChecksum) {
                c = (c + 1) & 0xFFFF;
            }
            if (forcedChecksum != null) {
                c = forcedChecksum;
            }
            ByteBuffer.wrap(a).putShort(6, (short) c);
            return a;
        }
    }

    public static final class Tcp extends L4 {
        final int sport;
        final int dport;
        final int flags;
        final byte[] payload;
        long seq = 1000;
        long ack;
        int window = 65535;

        Tcp(int sport, int dport, int flags, byte[] payload) {
            this.sport = sport;
            this.dport = dport;
            this.flags = flags;
            this.payload = payload;
        }

        public Tcp seq(long s) { seq = s; return this; }
        public Tcp ack(long a) { ack = a; return this; }
        public Tcp window(int w) { window = w; return this; }

        @Override int ipv4Protocol() { return 6; }
        @Override int ipv6NextHeader() { return 6; }

        @Override
        byte[] bytes(byte[] src, byte[] dst, boolean v6) {
            int len = 20 + payload.length;
            ByteBuffer b = ByteBuffer.allocate(len);
            b.putShort((short) sport).putShort((short) dport).putInt((int) seq).putInt((int) ack)
                    .put((byte) 0x50).put((byte) flags).putShort((short) window).putShort((short) 0)
                    .putShort((short) 0).put(payload);
            byte[] a = b.array();
            int c = Pkt.checksum(a, 0, len, pseudo(src, dst, 6, len));
            if (badChecksum) {
                c = (c + 1) & 0xFFFF;
            }
            if (forcedChecksum != null) {
                c = forcedChecksum;
            }
            ByteBuffer.wrap(a).putShort(16, (short) c);
            return a;
        }
    }

    /** ICMP for either family: the checksum includes the pseudo-header only over IPv6. */
    public static final class Icmp extends L4 {
        final int type;
        final int code;
        final int rest;
        final byte[] payload;

        Icmp(int type, int code, int rest, byte[] payload) {
            this.type = type;
            this.code = code;
            this.rest = rest;
            this.payload = payload;
        }

        @Override int ipv4Protocol() { return 1; }
        @Override int ipv6NextHeader() { return 58; }

        @Override
        byte[] bytes(byte[] src, byte[] dst, boolean v6) {
            int len = 8 + payload.length;
            ByteBuffer b = ByteBuffer.allocate(len);
            b.put((byte) type).put((byte) code).putShort((short) 0).putInt(rest).put(payload);
            byte[] a = b.array();
            int c = Pkt.checksum(a, 0, len, v6 ? pseudo(src, dst, 58, len) : 0);
            if (badChecksum) {
                c = (c + 1) & 0xFFFF;
            }
            if (forcedChecksum != null) {
                c = forcedChecksum;
            }
            ByteBuffer.wrap(a).putShort(2, (short) c);
            return a;
        }
    }

    public static final class Raw extends L4 {
        final int protocol;
        final byte[] payload;

        Raw(int protocol, byte[] payload) {
            this.protocol = protocol;
            this.payload = payload;
        }

        @Override int ipv4Protocol() { return protocol; }
        @Override int ipv6NextHeader() { return protocol; }
        @Override byte[] bytes(byte[] src, byte[] dst, boolean v6) { return payload.clone(); }
    }

    // ------------------------------------------------------------------------------------------- IPv4

    public static Ip4 v4(String src, String dst) {
        return new Ip4(addr(src), addr(dst));
    }

    public static final class Ip4 {
        final byte[] src;
        final byte[] dst;
        int tos;
        int id;
        boolean df;
        boolean mf;
        int fragOffset;
        int ttl = 64;
        byte[] options = new byte[0];
        Integer totalLengthOverride;

        Ip4(byte[] src, byte[] dst) {
            this.src = src;
            this.dst = dst;
        }

        public Ip4 tos(int t) { tos = t; return this; }
        public Ip4 id(int i) { id = i; return this; }
        public Ip4 df() { df = true; return this; }
        public Ip4 mf() { mf = true; return this; }
        /** Offset in bytes (a multiple of 8). */
        public Ip4 fragOffset(int o) { fragOffset = o; return this; }
        public Ip4 ttl(int t) { ttl = t; return this; }
        public Ip4 options(byte[] o) { options = o; return this; }
        /** A total length that differs from the real one (an inner packet that was truncated). */
        public Ip4 totalLength(int l) { totalLengthOverride = l; return this; }

        public byte[] with(L4 l4) {
            return withPayload(l4.ipv4Protocol(), l4.bytes(src, dst, false));
        }

        public byte[] withPayload(int protocol, byte[] payload) {
            int ihl = 20 + options.length;
            int total = ihl + payload.length;
            ByteBuffer b = ByteBuffer.allocate(total);
            int flags = (df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | (fragOffset >> 3);
            b.put((byte) (0x40 | (ihl / 4))).put((byte) tos)
                    .putShort((short) (totalLengthOverride != null ? totalLengthOverride : total))
                    .putShort((short) id).putShort((short) flags).put((byte) ttl).put((byte) protocol)
                    .putShort((short) 0).put(src).put(dst).put(options).put(payload);
            byte[] a = b.array();
            ByteBuffer.wrap(a).putShort(10, (short) checksum(a, 0, ihl, 0));
            return a;
        }
    }

    // ------------------------------------------------------------------------------------------- IPv6

    public static Ip6 v6(String src, String dst) {
        return new Ip6(addr(src), addr(dst));
    }

    public static final class Ip6 {
        final byte[] src;
        final byte[] dst;
        int trafficClass;
        int flowLabel;
        int hopLimit = 64;
        final List<byte[]> extensions = new ArrayList<>(); // each: [type, body...]
        Integer payloadLengthOverride;

        Ip6(byte[] src, byte[] dst) {
            this.src = src;
            this.dst = dst;
        }

        public Ip6 trafficClass(int t) { trafficClass = t; return this; }
        public Ip6 flowLabel(int f) { flowLabel = f; return this; }
        public Ip6 hopLimit(int h) { hopLimit = h; return this; }
        public Ip6 payloadLength(int l) { payloadLengthOverride = l; return this; }

        /** A Hop-by-Hop (0) or Destination Options (60) header with PadN to 8 bytes. */
        public Ip6 options(int type) {
            extensions.add(new byte[] {(byte) type, 0, 0, 1, 4, 0, 0, 0, 0});
            return this;
        }

        /** A type 0 routing header with one address and the given segments left. */
        public Ip6 routing(int segmentsLeft) {
            byte[] h = new byte[24];
            h[1] = 2;
            h[3] = (byte) segmentsLeft;
            byte[] e = new byte[25];
            e[0] = 43;
            System.arraycopy(h, 0, e, 1, 24);
            extensions.add(e);
            return this;
        }

        /** A fragment header; the offset is in bytes. */
        public Ip6 fragment(int offset, boolean more, int identification) {
            ByteBuffer b = ByteBuffer.allocate(9);
            b.put((byte) 44).put((byte) 0).put((byte) 0).putShort((short) (offset | (more ? 1 : 0))).putInt(identification);
            extensions.add(b.array());
            return this;
        }

        public byte[] with(L4 l4) {
            return withPayload(l4.ipv6NextHeader(), l4.bytes(src, dst, true));
        }

        public byte[] withPayload(int nextHeader, byte[] payload) {
            ByteArrayOutputStream ext = new ByteArrayOutputStream();
            int first = extensions.isEmpty() ? nextHeader : extensions.get(0)[0] & 0xFF;
            for (int i = 0; i < extensions.size(); i++) {
                byte[] e = extensions.get(i).clone();
                int next = i + 1 < extensions.size() ? extensions.get(i + 1)[0] & 0xFF : nextHeader;
                byte[] body = new byte[e.length - 1];
                System.arraycopy(e, 1, body, 0, body.length);
                body[0] = (byte) next;
                ext.writeBytes(body);
            }
            byte[] x = ext.toByteArray();
            int plen = x.length + payload.length;
            ByteBuffer b = ByteBuffer.allocate(40 + plen);
            b.putInt((6 << 28) | (trafficClass << 20) | flowLabel)
                    .putShort((short) (payloadLengthOverride != null ? payloadLengthOverride : plen))
                    .put((byte) first).put((byte) hopLimit).put(src).put(dst).put(x).put(payload);
            return b.array();
        }
    }

    /** The first {@code n} bytes. */
    public static byte[] head(byte[] b, int n) {
        byte[] r = new byte[Math.min(n, b.length)];
        System.arraycopy(b, 0, r, 0, r.length);
        return r;
    }

    public static byte[] zeros(int n) {
        return new byte[n];
    }

    public static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + 3);
        }
        return b;
    }
}
