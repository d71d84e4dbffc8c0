package io.xlatbox.engine.xlat;

import io.xlatbox.engine.Offload;
import io.xlatbox.engine.packet.Checksum;
import io.xlatbox.engine.packet.IpProtocol;
import io.xlatbox.engine.packet.Ipv4Header;
import io.xlatbox.engine.packet.Ipv6Header;
import java.nio.ByteBuffer;

/**
 * Software GSO: cuts a TCP or UDP super-packet into the segments the kernel would have made, each with a whole
 * checksum, for the few places a super-packet cannot go whole (the queue to the writer role holds MTU-sized
 * packets). TCP segments get consecutive sequence numbers, FIN and PSH only on the last, CWR only on the first;
 * IPv4 segments consecutive Identifications, as the kernel's tcp_gso_segment and inet_gso_segment do.
 */
public final class Segmenter {
    /** Receives one segment, valid during the call. */
    @FunctionalInterface
    public interface SegmentSink {
        void accept(ByteBuffer buf, int off, int len);
    }

    private final ByteBuffer out;
    private final Ipv4Header ip4 = new Ipv4Header();

    public Segmenter(int maxSegment) {
        out = ByteBuffer.allocateDirect(maxSegment + 2 * XlatContext.HEADROOM);
    }

    /** Segments {@code [off, off+len)} per {@code in}; false when it is not a super-packet this can cut. */
    public boolean segment(ByteBuffer buf, int off, int len, Offload in, SegmentSink sink) {
        int version = (buf.get(off) & 0xFF) >>> 4;
        int l3;
        int proto;
        if (version == 4) {
            l3 = (buf.get(off) & 0x0F) << 2;
            proto = buf.get(off + 9) & 0xFF;
        } else if (version == 6) {
            l3 = Ipv6Header.LENGTH;
            proto = buf.get(off + 6) & 0xFF; // extension headers are not segmented here
        } else {
            return false;
        }
        if ((proto != IpProtocol.TCP && proto != IpProtocol.UDP) || in.gsoSize <= 0) {
            return false;
        }
        int l4 = Offloads.transportHeaderLength(buf, off + l3, proto);
        int headers = l3 + l4;
        int payload = len - headers;
        int mss = in.gsoSize;
        if (payload <= 0 || headers + mss > out.capacity() - 2 * XlatContext.HEADROOM) {
            return false;
        }
        int o = XlatContext.HEADROOM;
        int id = version == 4 ? buf.getShort(off + 4) & 0xFFFF : 0;
        long seq = proto == IpProtocol.TCP ? buf.getInt(off + l3 + 4) & 0xFFFFFFFFL : 0;
        int ckOff = proto == IpProtocol.TCP ? 16 : 6;
        for (int pos = 0, k = 0; pos < payload; pos += mss, k++) {
            int n = Math.min(mss, payload - pos);
            boolean last = pos + n >= payload;
            out.put(o, buf, off, headers);
            out.put(o + headers, buf, off + headers + pos, n);
            int t = o + l3;
            if (proto == IpProtocol.TCP) {
                out.putInt(t + 4, (int) (seq + pos));
                int flags = out.get(t + 13) & 0xFF;
                if (!last) {
                    flags &= ~0x09; // FIN, PSH
                }
                if (k > 0) {
                    flags &= ~0x80; // CWR
                }
                out.put(t + 13, (byte) flags);
            } else {
                out.putShort(t + 4, (short) (l4 + n));
            }
            long pseudo;
            if (version == 4) {
                ip4.wrap(out, o);
                ip4.setTotalLength(headers + n);
                ip4.setIdentification(id + k);
                ip4.updateChecksum();
                pseudo = Checksum.pseudoHeader4(ip4.source(), ip4.destination(), proto, l4 + n);
            } else {
                out.putShort(o + 4, (short) (headers - l3 + n));
                pseudo = Checksum.pseudoHeader6(out.getLong(o + 8), out.getLong(o + 16), out.getLong(o + 24),
                        out.getLong(o + 32), proto, l4 + n);
            }
            out.putShort(t + ckOff, (short) 0);
            int c = Checksum.finish(Checksum.add(out, t, l4 + n, pseudo));
            out.putShort(t + ckOff, (short) (proto == IpProtocol.UDP && c == 0 ? 0xFFFF : c));
            sink.accept(out, o, headers + n);
        }
        return true;
    }
}
