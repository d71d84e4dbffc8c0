package io.xlatbox.engine.xlat;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.Offload;
import io.xlatbox.engine.Side;
import io.xlatbox.engine.packet.Checksum;
import io.xlatbox.engine.packet.IcmpHeader;
import io.xlatbox.engine.packet.Icmpv4Header;
import io.xlatbox.engine.packet.Icmpv6Header;
import io.xlatbox.engine.packet.IpProtocol;
import io.xlatbox.engine.packet.Ipv4Header;
import io.xlatbox.engine.packet.Ipv6Extensions;
import io.xlatbox.engine.packet.Ipv6FragmentHeader;
import io.xlatbox.engine.packet.Ipv6Header;
import io.xlatbox.engine.packet.TcpHeader;
import io.xlatbox.engine.packet.UdpHeader;
import java.nio.ByteBuffer;

/**
 * RFC 7915 §5: IPv6 to IPv4. An ordinary packet is rewritten in place: its IPv4 header is written over the end
 * of the IPv6 headers, right in front of the upper-layer header, and only the transport checksum is touched
 * (incrementally, RFC 1624), so the payload is never copied. ICMPv6 errors are rebuilt in the scratch buffer
 * because their inner packet changes size.
 */
public final class Translate6to4 {
    /** RFC 7915 §5.1: translated packets up to this size leave with DF=0. */
    static final int DF_THRESHOLD = 1260;

    private final XlatContext c;
    private final IcmpErrorOriginator errors;
    private final Fragmenter fragmenter;

    public Translate6to4(XlatContext c, IcmpErrorOriginator errors, Fragmenter fragmenter) {
        this.c = c;
        this.errors = errors;
        this.fragmenter = fragmenter;
    }

    /**
     * Translates the IPv6 packet at {@code [off, off+len)}, which the translator may overwrite.
     *
     * @param decrementHopLimit false for the second pass of a hairpinned packet
     */
    public void translate(ByteBuffer buf, int off, int len, boolean decrementHopLimit) {
        EngineConfig cfg = c.config;
        c.offloadOut.clear();
        Ipv6Header ip6 = c.ip6.wrap(buf, off);
        if (len < Ipv6Header.LENGTH || ip6.version() != 6 || Ipv6Header.LENGTH + ip6.payloadLength() > len
                || ip6.payloadLength() == 0) {
            c.count(Counter.DROP_MALFORMED);
            return;
        }
        int end = off + Ipv6Header.LENGTH + ip6.payloadLength();
        Ipv6Extensions ext = c.ext;
        if (ext.parse(buf, off, end) != Ipv6Extensions.OK) {
            c.count(Counter.DROP_MALFORMED);
            return;
        }
        if (ext.segmentsLeftOffset() >= 0) {
            // §5.1: Parameter Problem pointing at Segments Left.
            c.count(Counter.DROP_ROUTING_HEADER);
            errors.toIpv6(buf, off, end - off, Icmpv6Header.PARAMETER_PROBLEM, Icmpv6Header.CODE_ERRONEOUS_HEADER,
                    ext.segmentsLeftOffset() - off);
            return;
        }
        int hop = ip6.hopLimit();
        if (decrementHopLimit && hop <= 1) {
            c.count(Counter.DROP_TTL_EXPIRED);
            errors.toIpv6(buf, off, end - off, Icmpv6Header.TIME_EXCEEDED, 0, 0);
            return;
        }
        int trafficClass = cfg.copyTrafficClass() ? ip6.trafficClass() : 0;
        int proto = ext.upperProtocol();
        int up = ext.upperOffset();
        Tuple t = c.tuple;
        t.reset();
        t.src6Hi = ip6.sourceHi();
        t.src6Lo = ip6.sourceLo();
        t.dst6Hi = ip6.destinationHi();
        t.dst6Lo = ip6.destinationLo();
        t.packet = buf;
        t.packetOffset = off;
        t.packetLength = end - off;
        int fragId = 0;
        int fragFlags = 0;
        if (ext.hasFragmentHeader()) {
            Ipv6FragmentHeader fh = c.frag.wrap(buf, ext.fragmentOffset());
            fragId = fh.identification();
            fragFlags = (fh.moreFragments() ? Ipv4Header.FLAG_MF : 0) | (fh.fragmentOffset() >>> 3);
            t.fragment = fh.moreFragments() || fh.fragmentOffset() != 0;
            t.firstFragment = fh.fragmentOffset() == 0;
            t.moreFragments = fh.moreFragments();
            t.fragmentId = fragId;
        }
        boolean first = t.firstFragment;
        switch (proto) {
            case IpProtocol.TCP:
                if (first && end - up < TcpHeader.MIN_LENGTH) {
                    c.count(Counter.DROP_MALFORMED);
                    return;
                }
                t.protocol = IpProtocol.TCP;
                if (first) {
                    TcpHeader tcp = c.tcp.wrap(buf, up);
                    t.srcPort = tcp.sourcePort();
                    t.dstPort = tcp.destinationPort();
                    t.tcpFlags = tcp.flags();
                }
                break;
            case IpProtocol.UDP:
                if (first && end - up < UdpHeader.LENGTH) {
                    c.count(Counter.DROP_MALFORMED);
                    return;
                }
                t.protocol = IpProtocol.UDP;
                if (first) {
                    t.srcPort = buf.getShort(up) & 0xFFFF;
                    t.dstPort = buf.getShort(up + 2) & 0xFFFF;
                }
                break;
            case IpProtocol.ICMPV6: {
                if (t.fragment) {
                    // §1.2 of RFC 7915 (and §4.5): the ICMPv6 checksum covers the whole message and a
                    // pseudo-header, so a fragment of one cannot be translated on its own.
                    c.count(Counter.DROP_FRAGMENTED_ICMP);
                    return;
                }
                if (end - up < IcmpHeader.LENGTH) {
                    c.count(Counter.DROP_MALFORMED);
                    return;
                }
                int type = buf.get(up) & 0xFF;
                if (type < 128) {
                    translateError(buf, off, end, up, hop, trafficClass, decrementHopLimit);
                    return;
                }
                if (type != Icmpv6Header.ECHO_REQUEST && type != Icmpv6Header.ECHO_REPLY) {
                    // §5.2: MLD, ND and unknown informational messages are single-hop or untranslatable.
                    c.count(Counter.DROP_UNEXPECTED_ICMPV6);
                    return;
                }
                t.protocol = IpProtocol.ICMP;
                t.icmpRequest = type == Icmpv6Header.ECHO_REQUEST;
                t.srcPort = buf.getShort(up + 4) & 0xFFFF;
                t.dstPort = t.srcPort;
                break;
            }
            default:
                if (!c.mapping.translatesOtherProtocols()) {
                    // RFC 6146 handles TCP, UDP and ICMP only; Jool answers Port Unreachable.
                    c.count(Counter.DROP_UNSUPPORTED_PROTOCOL);
                    errors.toIpv6(buf, off, end - off, Icmpv6Header.DEST_UNREACHABLE,
                            Icmpv6Header.CODE_PORT_UNREACHABLE, 0);
                    return;
                }
                t.protocol = proto;
        }

        int verdict = c.mapping.map6to4(t);
        if (verdict != AddressMapping.TRANSLATE) {
            if (verdict == AddressMapping.HANDOFF) {
                c.handoff = true;
            } else if (verdict == AddressMapping.DROP) {
                c.count(t.drop);
                if (t.errorType >= 0) {
                    errors.toIpv6(buf, off, end - off, t.errorType, t.errorCode, t.errorParam);
                }
            }
            return;
        }

        int payload = end - up;
        int total = Ipv4Header.MIN_LENGTH + payload;
        // A GSO super-packet stands for segments of its headers plus gsoSize bytes: those are what must fit.
        Offload in = c.offloadIn;
        boolean gso = in.isGso();
        int l4Header = gso ? Offloads.transportHeaderLength(buf, up, proto) : 0;
        if (gso && (l4Header < 0 || !first || t.fragment)) {
            c.count(Counter.DROP_GSO_UNSUPPORTED);
            return;
        }
        boolean partial = Offloads.partialChecksum(in, buf, off, up, end, proto);
        int largest = gso ? Ipv4Header.MIN_LENGTH + l4Header + in.gsoSize : total;
        int id;
        int flags;
        if (ext.hasFragmentHeader()) {
            // §5.1.1: Identification from the low 16 bits, DF=0, MF and offset copied.
            id = fragId & 0xFFFF;
            flags = fragFlags;
        } else {
            flags = largest > DF_THRESHOLD ? Ipv4Header.FLAG_DF : 0;
            id = c.nextIpv4Id();
        }
        int mtu4 = cfg.ipv4Mtu();
        if (largest > mtu4 && (flags & Ipv4Header.FLAG_DF) != 0) {
            // §5.1: too big with DF: Packet Too Big carrying the MTU the IPv6 sender must use.
            c.count(Counter.DROP_TOO_BIG);
            errors.toIpv6(buf, off, Math.min(end - off, IcmpErrorOriginator.MAX_ICMPV6_ERROR),
                    Icmpv6Header.PACKET_TOO_BIG, 0, Math.max(1280, mtu4 + (up - off) - Ipv4Header.MIN_LENGTH));
            return;
        }
        if (first) {
            rewriteTransport(buf, up, end, proto, t, partial);
        }
        int o4 = up - Ipv4Header.MIN_LENGTH;
        c.ip4.wrap(buf, o4).write(trafficClass, total, id, flags, decrementHopLimit ? hop - 1 : hop,
                proto == IpProtocol.ICMPV6 ? IpProtocol.ICMP : proto, t.out4Src, t.out4Dst);
        if (!gso && total > mtu4) {
            if (partial) {
                Offloads.finishChecksum(buf, up, end, proto);
            }
            fragmenter.fragment4(buf, o4, total, mtu4);
            return;
        }
        Offloads.translated(c, in, gso, partial, Ipv4Header.MIN_LENGTH, l4Header, in.gsoSize, payload - l4Header);
        c.emit(Side.IPV4, buf, o4, total);
    }

    /** §5.5 (and RFC 6146 §3.7): ports or identifier rewritten, checksum moved to the IPv4 pseudo-header. */
    private static void rewriteTransport(ByteBuffer buf, int up, int end, int proto, Tuple t, boolean partial) {
        long old = TransportRewrite.addresses6(t.src6Hi, t.src6Lo, t.dst6Hi, t.dst6Lo);
        long now = TransportRewrite.addresses4(t.out4Src, t.out4Dst);
        if (partial) {
            TransportRewrite.apply(buf, up, end - up, proto, 0, old, now, t.outSrcPort, t.outDstPort, true);
        } else if (proto == IpProtocol.ICMPV6) {
            int type4 = (buf.get(up) & 0xFF) == Icmpv6Header.ECHO_REQUEST ? Icmpv4Header.ECHO_REQUEST
                    : Icmpv4Header.ECHO_REPLY;
            TransportRewrite.apply(buf, up, end - up, IpProtocol.ICMP, type4,
                    TransportRewrite.icmpv6Pseudo(old, end - up), 0, t.outSrcPort, t.outDstPort);
        } else {
            TransportRewrite.apply(buf, up, end - up, proto, 0, old, now, t.outSrcPort, t.outDstPort);
        }
    }

    /**
     * §5.2 and §5.3 (and RFC 6146 §3.4, §3.7): an ICMPv6 error becomes an ICMPv4 error whose inner packet is
     * translated too, without state changes; the result is at most 576 bytes.
     */
    private void translateError(ByteBuffer buf, int off, int end, int up, int hop, int trafficClass,
                                boolean decrementHopLimit) {
        EngineConfig cfg = c.config;
        Icmpv6Header icmp = c.icmp6;
        icmp.wrap(buf, up);
        int icmpLen = end - up;
        Ipv6Header ip6 = c.ip6.wrap(buf, off);
        long ph = ip6.pseudoHeader(IpProtocol.ICMPV6, icmpLen);
        if (!Checksum.verify(buf, up, icmpLen, ph)) {
            c.count(Counter.DROP_BAD_CHECKSUM);
            return;
        }
        int mapped = IcmpMapping.error6to4(icmp.type(), icmp.code());
        if (mapped < 0) {
            c.count(Counter.DROP_UNTRANSLATABLE_ICMP);
            return;
        }
        int type4 = IcmpMapping.type(mapped);
        int code4 = IcmpMapping.code(mapped);
        long outerSrcHi = ip6.sourceHi();
        long outerSrcLo = ip6.sourceLo();
        Tuple t = c.tuple;
        t.reset();
        t.src6Hi = outerSrcHi;
        t.src6Lo = outerSrcLo;
        t.dst6Hi = ip6.destinationHi();
        t.dst6Lo = ip6.destinationLo();
        if (c.mapping.admitError6(t) != AddressMapping.TRANSLATE) {
            c.count(t.drop);
            return;
        }

        // The inner packet: what the IPv6 node received from us; RFC 4884 may bound it with a length attribute.
        int in = up + IcmpHeader.LENGTH;
        int innerEnd = end;
        int extStart = -1;
        int attr = 0;
        if (icmp.type() == Icmpv6Header.DEST_UNREACHABLE || icmp.type() == Icmpv6Header.TIME_EXCEEDED) {
            attr = icmp.lengthAttribute();
            if (attr != 0) {
                int orig = attr * 8;
                if (orig < 128 || in + orig > end) {
                    c.count(Counter.DROP_MALFORMED);
                    return;
                }
                if (in + orig < end) {
                    innerEnd = in + orig;
                    extStart = innerEnd;
                }
            }
        }
        Ipv6Header inner = c.innerIp6.wrap(buf, in);
        if (innerEnd - in < Ipv6Header.LENGTH || inner.version() != 6) {
            c.count(Counter.DROP_MALFORMED);
            return;
        }
        Ipv6Extensions iext = c.innerExt;
        if (iext.parse(buf, in, innerEnd) != Ipv6Extensions.OK) {
            c.count(Counter.DROP_MALFORMED);
            return;
        }
        int iup = iext.upperOffset();
        int iproto = iext.upperProtocol();
        t.reset();
        t.errorLookup = true;
        // Reversed: the inner packet flowed toward the IPv6 node; the error flows back.
        t.src6Hi = inner.destinationHi();
        t.src6Lo = inner.destinationLo();
        t.dst6Hi = inner.sourceHi();
        t.dst6Lo = inner.sourceLo();
        boolean innerFirst = true;
        if (iext.hasFragmentHeader()) {
            Ipv6FragmentHeader fh = c.frag.wrap(buf, iext.fragmentOffset());
            t.fragment = fh.moreFragments() || fh.fragmentOffset() != 0;
            innerFirst = fh.fragmentOffset() == 0;
            t.firstFragment = innerFirst;
            t.fragmentId = fh.identification();
        }
        int innerIcmpType = -1;
        switch (iproto) {
            case IpProtocol.TCP:
            case IpProtocol.UDP:
                if (innerFirst && innerEnd - iup < 4) {
                    c.count(Counter.DROP_MALFORMED);
                    return;
                }
                t.protocol = iproto;
                if (innerFirst) {
                    t.srcPort = buf.getShort(iup + 2) & 0xFFFF;
                    t.dstPort = buf.getShort(iup) & 0xFFFF;
                }
                break;
            case IpProtocol.ICMPV6:
                if (innerEnd - iup < IcmpHeader.LENGTH) {
                    c.count(Counter.DROP_MALFORMED);
                    return;
                }
                innerIcmpType = buf.get(iup) & 0xFF;
                if (innerIcmpType != Icmpv6Header.ECHO_REQUEST && innerIcmpType != Icmpv6Header.ECHO_REPLY) {
                    // §5.3: an error about an error, or about something we never translate.
                    c.count(Counter.DROP_UNTRANSLATABLE_ICMP);
                    return;
                }
                t.protocol = IpProtocol.ICMP;
                t.icmpRequest = innerIcmpType == Icmpv6Header.ECHO_REPLY; // reversed
                t.srcPort = buf.getShort(iup + 4) & 0xFFFF;
                t.dstPort = t.srcPort;
                break;
            default:
                if (!c.mapping.translatesOtherProtocols()) {
                    c.count(Counter.DROP_UNSUPPORTED_PROTOCOL);
                    return;
                }
                t.protocol = iproto;
        }
        int verdict = c.mapping.map6to4(t);
        if (verdict != AddressMapping.TRANSLATE) {
            if (verdict == AddressMapping.HANDOFF) {
                c.handoff = true;
            } else {
                c.count(Counter.DROP_NO_SESSION);
            }
            return;
        }
        if (!c.mapping.errorSource6to4(outerSrcHi, outerSrcLo, t)) {
            c.count(Counter.DROP_UNTRANSLATABLE_ICMP);
            return;
        }
        int rest;
        switch (icmp.type()) {
            case Icmpv6Header.PACKET_TOO_BIG:
                rest = IcmpMapping.ptbToFragNeeded(icmp.mtu() & 0xFFFFFFFFL,
                        iext.hasFragmentHeader() ? 28 : 20, cfg.ipv4Mtu(), cfg.ipv6Mtu());
                break;
            case Icmpv6Header.PARAMETER_PROBLEM:
                if (type4 == Icmpv4Header.PARAMETER_PROBLEM) {
                    int p = IcmpMapping.pointer6to4(icmp.pointer());
                    if (p < 0) {
                        c.count(Counter.DROP_UNTRANSLATABLE_ICMP);
                        return;
                    }
                    rest = p << 24;
                } else {
                    rest = 0;
                }
                break;
            default:
                rest = 0;
        }

        // Build: outer IPv4 | ICMPv4 | inner IPv4 | inner transport and data [| padding | RFC 4884 extension].
        ByteBuffer out = c.scratch;
        int o = XlatContext.HEADROOM;
        int icmpOut = o + Ipv4Header.MIN_LENGTH;
        int innerOut = icmpOut + IcmpHeader.LENGTH;
        int innerPayloadOut = innerOut + Ipv4Header.MIN_LENGTH;
        ErrorPayload layout = c.errorPayload;
        layout.build(out, innerOut, Ipv4Header.MIN_LENGTH, o + IcmpErrorOriginator.MAX_ICMPV4_ERROR, 4, buf, iup,
                innerEnd - iup, extStart, extStart >= 0 ? end - extStart : 0);
        rest |= layout.lengthAttribute << 16; // the sixth octet, in 32-bit words
        int icmpEnd = layout.end;

        // Inner header: reversed mapping, no hop-limit decrement (§5.3).
        int innerPayloadLen6 = inner.payloadLength() - (iup - in - Ipv6Header.LENGTH);
        int innerTotal = Ipv4Header.MIN_LENGTH + innerPayloadLen6;
        int innerFlags;
        int innerId;
        if (iext.hasFragmentHeader()) {
            Ipv6FragmentHeader fh = c.frag.wrap(buf, iext.fragmentOffset());
            innerId = fh.identification() & 0xFFFF;
            innerFlags = (fh.moreFragments() ? Ipv4Header.FLAG_MF : 0) | (fh.fragmentOffset() >>> 3);
        } else {
            innerId = 0;
            innerFlags = innerTotal > DF_THRESHOLD ? Ipv4Header.FLAG_DF : 0;
        }
        int innerTc = cfg.copyTrafficClass() ? inner.trafficClass() : 0;
        long oldAddrs = TransportRewrite.addresses6(inner.sourceHi(), inner.sourceLo(), inner.destinationHi(),
                inner.destinationLo());
        int innerHop = inner.hopLimit();
        c.innerIp4.wrap(out, innerOut).write(innerTc, innerTotal, innerId, innerFlags, innerHop,
                iproto == IpProtocol.ICMPV6 ? IpProtocol.ICMP : iproto, t.out4Dst, t.out4Src);
        if (innerFirst) {
            long now = TransportRewrite.addresses4(t.out4Dst, t.out4Src);
            if (iproto == IpProtocol.ICMPV6) {
                int echo4 = innerIcmpType == Icmpv6Header.ECHO_REQUEST ? Icmpv4Header.ECHO_REQUEST
                        : Icmpv4Header.ECHO_REPLY;
                TransportRewrite.apply(out, innerPayloadOut, layout.copied, IpProtocol.ICMP, echo4,
                        TransportRewrite.icmpv6Pseudo(oldAddrs, innerPayloadLen6), 0, t.outDstPort, t.outSrcPort);
            } else {
                TransportRewrite.apply(out, innerPayloadOut, layout.copied, iproto, 0, oldAddrs, now, t.outDstPort,
                        t.outSrcPort);
            }
        }

        int icmpLenOut = icmpEnd - icmpOut;
        out.put(icmpOut, (byte) type4).put(icmpOut + 1, (byte) code4).putShort(icmpOut + 2, (short) 0)
                .putInt(icmpOut + 4, rest);
        out.putShort(icmpOut + 2, (short) Checksum.compute(out, icmpOut, icmpLenOut));
        int total = Ipv4Header.MIN_LENGTH + icmpLenOut;
        c.ip4.wrap(out, o).write(trafficClass, total, c.nextIpv4Id(), 0, decrementHopLimit ? hop - 1 : hop,
                IpProtocol.ICMP, t.errorSource4, t.out4Dst);
        c.count(Counter.ICMP_ERRORS_TRANSLATED);
        c.emit(Side.IPV4, out, o, total);
    }
}
