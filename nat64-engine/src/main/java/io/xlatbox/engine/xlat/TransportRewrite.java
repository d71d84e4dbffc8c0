package io.xlatbox.engine.xlat;

import io.xlatbox.engine.packet.Checksum;
import io.xlatbox.engine.packet.IpProtocol;
import io.xlatbox.engine.packet.TcpHeader;
import io.xlatbox.engine.packet.UdpHeader;
import java.nio.ByteBuffer;

/**
 * RFC 7915 §4.5/§5.5 and RFC 6146 §3.7 for the transport header, in either direction and for outer and inner
 * packets alike: new ports (or, for an echo, a new type and identifier) and the checksum moved incrementally
 * (RFC 1624) from the old pseudo-header contribution to the new one. The rest of the segment is never read, so a
 * wrong checksum stays exactly as wrong, and a truncated inner segment is fine.
 */
final class TransportRewrite {
    private TransportRewrite() {
    }

    /**
     * @param p         offset of the transport header
     * @param avail     bytes of the segment present from {@code p} (inner packets of errors may be cut short)
     * @param proto     6, 17 or 1 (echo, in either ICMP family)
     * @param newType   the echo type after translation (ICMP only)
     * @param oldPseudo what the old pseudo-header added to the checksum (ICMPv4: nothing)
     * @param newPseudo what the new pseudo-header adds
     * @param srcPort   new source port; for an echo, the new identifier
     */
    static void apply(ByteBuffer b, int p, int avail, int proto, int newType, long oldPseudo, long newPseudo,
                      int srcPort, int dstPort) {
        apply(b, p, avail, proto, newType, oldPseudo, newPseudo, srcPort, dstPort, false);
    }

    /**
     * As above; with {@code partial}, the checksum field holds only the pseudo-header sum, uncomplemented, that
     * the kernel completes over the segment (virtio NEEDS_CSUM): then only the pseudo-header part changes, and
     * the ports, which the kernel will sum itself, do not enter it.
     */
    static void apply(ByteBuffer b, int p, int avail, int proto, int newType, long oldPseudo, long newPseudo,
                      int srcPort, int dstPort, boolean partial) {
        if (partial && (proto == IpProtocol.TCP || proto == IpProtocol.UDP) && avail >= 8) {
            b.putShort(p, (short) srcPort).putShort(p + 2, (short) dstPort);
            int ckOff = proto == IpProtocol.UDP ? UdpHeader.CHECKSUM_OFFSET : TcpHeader.CHECKSUM_OFFSET;
            int sum = b.getShort(p + ckOff) & 0xFFFF;
            b.putShort(p + ckOff, (short) (~Checksum.update(~sum & 0xFFFF, oldPseudo, newPseudo) & 0xFFFF));
            return;
        }
        switch (proto) {
            case IpProtocol.TCP:
            case IpProtocol.UDP: {
                if (avail < 4) {
                    return;
                }
                int oldSrc = b.getShort(p) & 0xFFFF;
                int oldDst = b.getShort(p + 2) & 0xFFFF;
                b.putShort(p, (short) srcPort).putShort(p + 2, (short) dstPort);
                boolean udp = proto == IpProtocol.UDP;
                int ckOff = udp ? UdpHeader.CHECKSUM_OFFSET : TcpHeader.CHECKSUM_OFFSET;
                if (avail < ckOff + 2) {
                    return;
                }
                int ck = b.getShort(p + ckOff) & 0xFFFF;
                if (udp && ck == 0) {
                    return; // "no checksum" stays so (IPv4 to IPv6 computes one before getting here)
                }
                int n = Checksum.update(ck, oldPseudo + oldSrc + oldDst, newPseudo + srcPort + dstPort);
                b.putShort(p + ckOff, (short) (udp && n == 0 ? 0xFFFF : n));
                return;
            }
            case IpProtocol.ICMP: {
                if (avail < 8) {
                    return;
                }
                int oldType = b.get(p) & 0xFF;
                int oldId = b.getShort(p + 4) & 0xFFFF;
                int ck = b.getShort(p + 2) & 0xFFFF;
                b.put(p, (byte) newType);
                b.putShort(p + 4, (short) srcPort);
                b.putShort(p + 2, (short) Checksum.update(ck, oldPseudo + (oldType << 8) + oldId,
                        newPseudo + (newType << 8) + srcPort));
                return;
            }
            default:
                // Other transports (stateless only): nothing we know of covers the addresses.
        }
    }

    /** The pseudo-header of an IPv4 segment as it enters the checksum: the addresses (length and protocol cancel). */
    static long addresses4(int src, int dst) {
        return Checksum.ofInt(src) + Checksum.ofInt(dst);
    }

    static long addresses6(long sHi, long sLo, long dHi, long dLo) {
        return Checksum.ofLong(sHi) + Checksum.ofLong(sLo) + Checksum.ofLong(dHi) + Checksum.ofLong(dLo);
    }

    /** ICMPv6 includes its whole pseudo-header, which ICMPv4 does not have. */
    static long icmpv6Pseudo(long addresses6, int length) {
        return addresses6 + Checksum.ofInt(length) + IpProtocol.ICMPV6;
    }
}
