package io.xlatbox.engine.xlat;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.Side;
import io.xlatbox.engine.packet.IpProtocol;
import io.xlatbox.engine.packet.Ipv4Header;
import io.xlatbox.engine.packet.Ipv6FragmentHeader;
import io.xlatbox.engine.packet.Ipv6Header;
import java.nio.ByteBuffer;

/**
 * Splits a translated packet into fragments that fit an MTU, building each in the scratch buffer and emitting it
 * before the next is built. The source bytes are never in the scratch buffer.
 */
public final class Fragmenter {
    private final XlatContext c;
    private final Ipv6Header ip6 = new Ipv6Header();
    private final Ipv6FragmentHeader fh = new Ipv6FragmentHeader();
    private final Ipv4Header ip4 = new Ipv4Header();

    public Fragmenter(XlatContext c) {
        this.c = c;
    }

    /**
     * Emits IPv6 fragments (RFC 8200 §4.5) of the fragmentable part {@code [data, data+dataLen)}, which starts
     * {@code baseOffset} bytes into the original datagram; the last fragment keeps {@code more} (set when the
     * source was itself a non-final fragment).
     */
    void fragment6(ByteBuffer src, int data, int dataLen, int baseOffset, boolean more, int id, int nextHeader,
                   int trafficClass, int hopLimit, long sHi, long sLo, long dHi, long dLo, int mtu) {
        int chunk = (mtu - Ipv6Header.LENGTH - Ipv6FragmentHeader.LENGTH) & ~7;
        ByteBuffer out = c.scratch;
        int o = XlatContext.HEADROOM;
        for (int done = 0; done < dataLen; done += chunk) {
            int n = Math.min(chunk, dataLen - done);
            boolean last = done + n >= dataLen;
            ip6.wrap(out, o).write(trafficClass, 0, Ipv6FragmentHeader.LENGTH + n, IpProtocol.IPV6_FRAG, hopLimit,
                    sHi, sLo, dHi, dLo);
            fh.wrap(out, o + Ipv6Header.LENGTH).write(nextHeader, baseOffset + done, !last || more, id);
            out.put(o + Ipv6Header.LENGTH + Ipv6FragmentHeader.LENGTH, src, data + done, n);
            c.count(Counter.FRAGMENTS_CREATED);
            c.emit(Side.IPV6, out, o, Ipv6Header.LENGTH + Ipv6FragmentHeader.LENGTH + n);
        }
    }

    /**
     * Emits IPv4 fragments (RFC 791 §3.2) of the translated datagram whose 20-byte header is at {@code hdr}; the
     * header's flags and offset say where this datagram sits in the original.
     */
    void fragment4(ByteBuffer src, int hdr, int totalLength, int mtu) {
        ip4.wrap(src, hdr);
        int tos = ip4.tos();
        int id = ip4.identification();
        int ttl = ip4.ttl();
        int proto = ip4.protocol();
        int s = ip4.source();
        int d = ip4.destination();
        int base = ip4.fragmentOffset();
        boolean more = ip4.moreFragments();
        int dataLen = totalLength - Ipv4Header.MIN_LENGTH;
        int data = hdr + Ipv4Header.MIN_LENGTH;
        int chunk = (mtu - Ipv4Header.MIN_LENGTH) & ~7;
        ByteBuffer out = c.scratch;
        int o = XlatContext.HEADROOM;
        for (int done = 0; done < dataLen; done += chunk) {
            int n = Math.min(chunk, dataLen - done);
            boolean last = done + n >= dataLen;
            int flags = (!last || more ? Ipv4Header.FLAG_MF : 0) | ((base + done) >>> 3);
            ip4.wrap(out, o).write(tos, Ipv4Header.MIN_LENGTH + n, id, flags, ttl, proto, s, d);
            out.put(o + Ipv4Header.MIN_LENGTH, src, data + done, n);
            c.count(Counter.FRAGMENTS_CREATED);
            c.emit(Side.IPV4, out, o, Ipv4Header.MIN_LENGTH + n);
        }
    }
}
