package io.xlatbox.appliance.sessions;

import io.xlatbox.engine.Side;
import io.xlatbox.engine.TranslatorGroup;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Hand-made packets for the UI tests: an IPv6 UDP datagram from a client to an IPv4 host behind pool6, which
 * the NAT64 turns into a BIB entry and a session, as a client's first packet would.
 */
public final class Packets {
    private Packets() {
    }

    /** An IPv6 UDP packet with a correct checksum (RFC 8200 section 8.1). */
    public static byte[] udp6(String src, int sport, String dst, int dport, byte[] payload) {
        byte[] s = addr(src);
        byte[] d = addr(dst);
        int len = 8 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(40 + len);
        b.putInt(0x6000_0000).putShort((short) len).put((byte) 17).put((byte) 64).put(s).put(d);
        b.putShort((short) sport).putShort((short) dport).putShort((short) len).putShort((short) 0).put(payload);
        byte[] p = b.array();
        long sum = 0;
        sum += words(s) + words(d) + len + 17;
        sum += words(java.util.Arrays.copyOfRange(p, 40, p.length));
        while ((sum >> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        int c = (int) (~sum & 0xFFFF);
        ByteBuffer.wrap(p).putShort(46, (short) (c == 0 ? 0xFFFF : c));
        return p;
    }

    /** Opens a UDP session from {@code client}:{@code port} to 8.8.8.8:53 (through 64:ff9b::/96). */
    public static void openUdpSession(TranslatorGroup group, String client, int port) {
        group.newWorker().process(Side.IPV6, udp6(client, port, "64:ff9b::808:808", 53, new byte[] {1, 2, 3, 4}));
    }

    private static long words(byte[] b) {
        long s = 0;
        for (int i = 0; i + 1 < b.length; i += 2) {
            s += ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
        }
        if ((b.length & 1) == 1) {
            s += (b[b.length - 1] & 0xFF) << 8;
        }
        return s;
    }

    private static byte[] addr(String a) {
        try {
            return InetAddress.getByName(a).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(a, e);
        }
    }
}
