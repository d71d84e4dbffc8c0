package io.xlatbox.engine.xlat;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.Offload;
import io.xlatbox.engine.packet.Checksum;
import io.xlatbox.engine.packet.IpProtocol;
import io.xlatbox.engine.packet.TcpHeader;
import io.xlatbox.engine.packet.UdpHeader;
import java.nio.ByteBuffer;

/**
 * The offload side of translation: a GSO super-packet is translated once as a whole, and its virtio-net header
 * follows it into the other family (GSO type TCPV6 to TCPV4 and back, header length, segment size, where the
 * partial checksum starts).
 */
final class Offloads {
    private Offloads() {
    }

    /** Length of the TCP or UDP header at {@code up}; -1 for a transport GSO is not defined for. */
    static int transportHeaderLength(ByteBuffer buf, int up, int proto) {
        if (proto == IpProtocol.TCP) {
            return ((buf.get(up + 12) & 0xFF) >>> 4) << 2;
        }
        return proto == IpProtocol.UDP ? UdpHeader.LENGTH : -1;
    }

    /**
     * Whether the packet's transport checksum is left partial where we expect it (the kernel's CHECKSUM_PARTIAL:
     * the field holds the pseudo-header sum). A partial checksum anywhere else is finished here in software, as
     * the kernel's skb_checksum_help does, so that the packet leaves with a whole checksum.
     */
    static boolean partialChecksum(Offload in, ByteBuffer buf, int off, int up, int end, int proto) {
        if (!in.needsChecksum()) {
            return false;
        }
        int expected = proto == IpProtocol.TCP ? TcpHeader.CHECKSUM_OFFSET
                : proto == IpProtocol.UDP ? UdpHeader.CHECKSUM_OFFSET : -1;
        if (expected >= 0 && in.csumStart == up - off && in.csumOffset == expected) {
            return true;
        }
        int start = off + in.csumStart;
        int field = start + in.csumOffset;
        if (start >= off && field + 2 <= end && !in.isGso()) {
            int c = Checksum.finish(Checksum.add(buf, start, end - start, 0));
            buf.putShort(field, (short) (proto == IpProtocol.UDP && c == 0 ? 0xFFFF : c));
        }
        return false;
    }

    /** Turns a partial checksum into a whole one, before the packet is cut into fragments the kernel won't sum. */
    static void finishChecksum(ByteBuffer buf, int up, int end, int proto) {
        int field = up + (proto == IpProtocol.UDP ? UdpHeader.CHECKSUM_OFFSET : TcpHeader.CHECKSUM_OFFSET);
        if (field + 2 <= end) {
            int c = Checksum.finish(Checksum.add(buf, up, end - up, 0));
            buf.putShort(field, (short) (proto == IpProtocol.UDP && c == 0 ? 0xFFFF : c));
        }
    }

    /** Sets the output's virtio-net header for a packet whose IP headers are now {@code l3Header} bytes long. */
    static void translated(XlatContext c, Offload in, boolean gso, boolean partial, int l3Header, int l4Header,
                           int gsoSize, int data) {
        Offload out = c.offloadOut;
        out.flags = in.flags & (partial ? Offload.NEEDS_CSUM | Offload.DATA_VALID : Offload.DATA_VALID);
        if (partial) {
            out.csumStart = l3Header;
            out.csumOffset = in.csumOffset;
        }
        if (gso) {
            int type = in.gsoType & ~Offload.GSO_ECN;
            boolean toV4 = l3Header == 20;
            out.gsoType = (in.gsoType & Offload.GSO_ECN)
                    | (type == Offload.GSO_TCPV6 || type == Offload.GSO_TCPV4
                        ? (toV4 ? Offload.GSO_TCPV4 : Offload.GSO_TCPV6) : type);
            out.hdrLen = l3Header + l4Header;
            out.gsoSize = gsoSize;
            c.count(Counter.GSO_PACKETS);
            c.counters.add(Counter.GSO_SEGMENTS, gsoSize > 0 ? (data + gsoSize - 1) / gsoSize : 1);
        }
    }
}
