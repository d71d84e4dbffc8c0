package io.xlatbox.clat.check;

import io.xlatbox.clat.net.Posix;
import io.xlatbox.clat.net.Endpoints;
import io.xlatbox.clat.net.RawSocket;
import io.xlatbox.engine.packet.Checksum;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * ICMP echo and ICMP-error listening on a raw socket in the client namespace, IPv4 or IPv6: one request out with a
 * chosen TTL, then the matching echo reply, or the ICMP error that quotes the request (Time Exceeded, Destination
 * Unreachable, ...), or nothing. It also sends UDP probes through a separate socket and catches the errors that
 * quote them (traceroute). Every ICMPv4 message received is checked: its checksum, and in errors the inner IPv4
 * header's checksum (the kernel checks ICMPv6 checksums itself before a raw socket sees the message).
 */
public final class IcmpProbe implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] PATTERN = "xlatbox-clat-check ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final RawSocket socket;
    private final boolean v6;
    private final int id = RANDOM.nextInt(1 << 16);
    private final byte[] buf = new byte[65536];

    public enum Kind { ECHO_REPLY, TIME_EXCEEDED, UNREACHABLE, PACKET_TOO_BIG, PARAMETER_PROBLEM, OTHER }

    /**
     * What came back.
     *
     * @param kind        echo reply or the error's kind
     * @param from        who sent it
     * @param type        ICMP type as received
     * @param code        ICMP code
     * @param rttMillis   time from sending
     * @param checksumsOk whether the ICMP checksum (and an error's inner IPv4 header checksum) are right
     * @param innerSource an error's quoted packet's source (our address as the far side saw it translated back)
     * @param ttl         the IPv4 TTL / IPv6 hop limit it arrived with (-1 for IPv6)
     */
    public record Reply(Kind kind, InetAddress from, int type, int code, double rttMillis, boolean checksumsOk,
                        InetAddress innerSource, int ttl) {
        /** "time exceeded from 198.51.100.1", "destination unreachable (no route) from 2001:db8:1::1". */
        public String describe(boolean ipv6) {
            String what = switch (kind) {
                case ECHO_REPLY -> "echo reply";
                case TIME_EXCEEDED -> "time exceeded";
                case UNREACHABLE -> "destination unreachable (" + unreachableCode(ipv6, code) + ")";
                case PACKET_TOO_BIG -> ipv6 ? "packet too big" : "fragmentation needed";
                case PARAMETER_PROBLEM -> "parameter problem";
                case OTHER -> "ICMP type " + type + " code " + code;
            };
            return what + " from " + Endpoints.text(from);
        }
    }

    private IcmpProbe(RawSocket socket, boolean v6) {
        this.socket = socket;
        this.v6 = v6;
    }

    public static IcmpProbe v4(String namespace) throws IOException {
        return new IcmpProbe(RawSocket.icmp4(namespace), false);
    }

    public static IcmpProbe v6(String namespace) throws IOException {
        RawSocket s = RawSocket.icmp6(namespace);
        try {
            s.passOnlyIcmp6Types(1, 2, 3, 4, 129);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new IcmpProbe(s, true);
    }

    /** One echo request to {@code dst} with {@code ttl}; waits up to {@code timeoutMillis}. Null: no answer. */
    public Reply echo(InetAddress dst, int ttl, int seq, long timeoutMillis) throws IOException {
        socket.setInt(v6 ? Posix.IPPROTO_IPV6 : Posix.IPPROTO_IP, v6 ? Posix.IPV6_UNICAST_HOPS : Posix.IP_TTL, ttl);
        byte[] msg = new byte[8 + 56];
        msg[0] = (byte) (v6 ? 128 : 8);
        msg[4] = (byte) (id >>> 8);
        msg[5] = (byte) id;
        msg[6] = (byte) (seq >>> 8);
        msg[7] = (byte) seq;
        for (int i = 8; i < msg.length; i++) {
            msg[i] = PATTERN[i % PATTERN.length];
        }
        if (!v6) {
            int c = checksum(msg, 0, msg.length);
            msg[2] = (byte) (c >>> 8);
            msg[3] = (byte) c;
        }
        long t0 = System.nanoTime();
        socket.send(msg, dst, 0, 0);
        return await(t0, timeoutMillis, dst, m -> matchesEcho(m, seq));
    }

    /**
     * Sends a UDP datagram from {@code udp} (bound to {@code localPort}) to {@code dst}:{@code port} with
     * {@code ttl}, and waits on this (raw ICMPv4) socket for the error that quotes it. Null: nothing came.
     */
    public Reply udp(RawSocket udp, int localPort, InetAddress dst, int port, int ttl, long timeoutMillis)
            throws IOException {
        udp.setInt(Posix.IPPROTO_IP, Posix.IP_TTL, ttl);
        long t0 = System.nanoTime();
        udp.send(new byte[32], dst, port, 0);
        return await(t0, timeoutMillis, dst, m -> m.innerProto == 17 && m.innerSrcPort == localPort
                && m.innerDstPort == port);
    }

    /** A parsed ICMP message: where its quoted packet is, if an error. */
    private static final class Msg {
        int type;
        int code;
        InetAddress from;
        int ttl = -1;
        boolean checksumsOk = true;
        boolean error;
        int echoId = -1;
        int echoSeq = -1;
        InetAddress innerSrc;
        InetAddress innerDst;
        int innerProto = -1;
        int innerSrcPort = -1;
        int innerDstPort = -1;
        int innerEchoId = -1;
        int innerEchoSeq = -1;

        /**
         * Reads the quoted packet's upper-layer header at {@code up} when its first 8 bytes are within {@code end}:
         * the identifier and sequence of a quoted echo ({@code echoProto}: 1 for ICMP, 58 for ICMPv6), otherwise
         * the source and destination ports (UDP, TCP).
         */
        void quotedUpperLayer(byte[] b, int up, int end, int echoProto) {
            if (end < up + 8) {
                return;
            }
            if (innerProto == echoProto) {
                innerEchoId = u16(b, up + 4);
                innerEchoSeq = u16(b, up + 6);
            } else {
                innerSrcPort = u16(b, up);
                innerDstPort = u16(b, up + 2);
            }
        }
    }

    private interface Match {
        boolean test(Msg m);
    }

    private boolean matchesEcho(Msg m, int seq) {
        if (!m.error) {
            return m.echoId == id && m.echoSeq == seq;
        }
        return m.innerProto == (v6 ? 58 : 1) && m.innerEchoId == id && m.innerEchoSeq == seq;
    }

    private Reply await(long t0, long timeoutMillis, InetAddress dst, Match match) throws IOException {
        long deadline = t0 + timeoutMillis * 1_000_000L;
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return null;
            }
            RawSocket.Received r = socket.receive(buf, left);
            if (r == null) {
                return null;
            }
            Msg m = v6 ? parse6(buf, r.length(), r.source()) : parse4(buf, r.length());
            if (m == null) {
                continue;
            }
            boolean ours;
            if (m.error) {
                ours = dst.equals(m.innerDst) && match.test(m);
            } else {
                ours = (m.type == (v6 ? 129 : 0)) && dst.equals(m.from) && match.test(m);
            }
            if (!ours) {
                continue;
            }
            double rtt = (System.nanoTime() - t0) / 1e6;
            return new Reply(kind(m.type), m.from, m.type, m.code, rtt, m.checksumsOk, m.innerSrc, m.ttl);
        }
    }

    private Kind kind(int type) {
        if (v6) {
            return switch (type) {
                case 129 -> Kind.ECHO_REPLY;
                case 1 -> Kind.UNREACHABLE;
                case 2 -> Kind.PACKET_TOO_BIG;
                case 3 -> Kind.TIME_EXCEEDED;
                case 4 -> Kind.PARAMETER_PROBLEM;
                default -> Kind.OTHER;
            };
        }
        return switch (type) {
            case 0 -> Kind.ECHO_REPLY;
            case 3 -> Kind.UNREACHABLE;
            case 11 -> Kind.TIME_EXCEEDED;
            case 12 -> Kind.PARAMETER_PROBLEM;
            default -> Kind.OTHER;
        };
    }

    /** An IPv4 packet as a raw ICMP socket returns it (with its IP header). */
    private static Msg parse4(byte[] b, int len) {
        if (len < 20 || (b[0] & 0xF0) != 0x40) {
            return null;
        }
        int ihl = (b[0] & 0x0F) * 4;
        if (len < ihl + 8) {
            return null;
        }
        Msg m = new Msg();
        m.ttl = b[8] & 0xFF;
        m.from = v4(b, 12);
        int icmp = ihl;
        int total = Math.min(len, ((b[2] & 0xFF) << 8) | (b[3] & 0xFF));
        m.type = b[icmp] & 0xFF;
        m.code = b[icmp + 1] & 0xFF;
        m.checksumsOk = checksum(b, icmp, total - icmp) == 0;
        if (m.type == 0 || m.type == 8) {
            m.echoId = u16(b, icmp + 4);
            m.echoSeq = u16(b, icmp + 6);
            return m;
        }
        if (m.type != 3 && m.type != 11 && m.type != 12) {
            return m;
        }
        m.error = true;
        int in = icmp + 8;
        if (total < in + 20 || (b[in] & 0xF0) != 0x40) {
            return m;
        }
        int iihl = (b[in] & 0x0F) * 4;
        if (checksum(b, in, iihl) != 0) {
            m.checksumsOk = false;
        }
        m.innerProto = b[in + 9] & 0xFF;
        m.innerSrc = v4(b, in + 12);
        m.innerDst = v4(b, in + 16);
        m.quotedUpperLayer(b, in + iihl, total, 1);
        return m;
    }

    /** An ICMPv6 message as a raw ICMPv6 socket returns it (no IPv6 header; the source comes separately). */
    private static Msg parse6(byte[] b, int len, InetAddress from) {
        if (len < 8) {
            return null;
        }
        Msg m = new Msg();
        m.from = from;
        m.type = b[0] & 0xFF;
        m.code = b[1] & 0xFF;
        if (m.type == 128 || m.type == 129) {
            m.echoId = u16(b, 4);
            m.echoSeq = u16(b, 6);
            return m;
        }
        if (m.type >= 128) {
            return m;
        }
        m.error = true;
        int in = 8;
        if (len < in + 40 || (b[in] & 0xF0) != 0x60) {
            return m;
        }
        m.innerProto = b[in + 6] & 0xFF;
        m.innerSrc = v6(b, in + 8);
        m.innerDst = v6(b, in + 24);
        m.quotedUpperLayer(b, in + 40, len, 58);
        return m;
    }

    /** RFC 1071 ones'-complement checksum; 0 when verifying a message that carries its checksum. */
    private static int checksum(byte[] b, int off, int len) {
        return Checksum.compute(ByteBuffer.wrap(b), off, len);
    }

    private static int u16(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }

    private static InetAddress v4(byte[] b, int off) {
        try {
            return Inet4Address.getByAddress(Arrays.copyOfRange(b, off, off + 4));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InetAddress v6(byte[] b, int off) {
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(b, off, off + 16));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static String unreachableCode(boolean ipv6, int code) {
        if (ipv6) {
            return switch (code) {
                case 0 -> "no route to destination";
                case 1 -> "administratively prohibited";
                case 2 -> "beyond scope of source address";
                case 3 -> "address unreachable";
                case 4 -> "port unreachable";
                case 5 -> "source address failed policy";
                case 6 -> "reject route";
                default -> "code " + code;
            };
        }
        return switch (code) {
            case 0 -> "net unreachable";
            case 1 -> "host unreachable";
            case 2 -> "protocol unreachable";
            case 3 -> "port unreachable";
            case 4 -> "fragmentation needed";
            case 9, 10, 13 -> "administratively prohibited";
            default -> "code " + code;
        };
    }

    @Override
    public void close() {
        socket.close();
    }
}
