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
import io.xlatbox.engine.packet.Ipv6FragmentHeader;
import io.xlatbox.engine.packet.Ipv6Header;
import io.xlatbox.engine.packet.TcpHeader;
import io.xlatbox.engine.packet.UdpHeader;
import java.nio.ByteBuffer;

/**
 * RFC 7915 §4: IPv4 to IPv6. An ordinary packet grows in place: its IPv6 header is written into the headroom in
 * front of the upper-layer header (the packet is first copied to a buffer with headroom when there is none).
 * DF=0 packets larger than the lowest IPv6 MTU are split into IPv6 fragments; ICMPv4 errors are rebuilt in the
 * scratch buffer.
 */
public final class Translate4to6 {
    private final XlatContext c;
    private final IcmpErrorOriginator errors;
    private final Fragmenter fragmenter;

    public Translate4to6(XlatContext c, IcmpErrorOriginator errors, Fragmenter fragmenter) {
        this.c = c;
        this.errors = errors;
        this.fragmenter = fragmenter;
    }

    /**
     * Translates the IPv4 packet at {@code [off, off+len)}; the bytes before {@code off} may be overwritten.
     *
     * @param decrementTtl false for the second pass of a hairpinned packet
     */
    public void translate(ByteBuffer buf, int off, int len, boolean decrementTtl) {
        EngineConfig cfg = c.config;
        c.offloadOut.clear();
        Ipv4Header ip4 = c.ip4.wrap(buf, off);
        if (len < Ipv4Header.MIN_LENGTH || ip4.version() != 4) {
            c.count(Counter.DROP_MALFORMED);
            return;
        }
        int ihl = ip4.headerLength();
        int total = ip4.totalLength();
        if (ihl < Ipv4Header.MIN_LENGTH || total < ihl || total > len) {
            c.count(Counter.DROP_MALFORMED);
            return;
        }
        if (!ip4.checksumValid()) { // RFC 1812 §5.2.2: a router verifies the header checksum
            c.count(Counter.DROP_BAD_CHECKSUM);
            return;
        }
        int end = off + total;
        int ttl = ip4.ttl();
        if (decrementTtl && ttl <= 1) {
            c.count(Counter.DROP_TTL_EXPIRED);
            errors.toIpv4(buf, off, total, Icmpv4Header.TIME_EXCEEDED, 0, 0);
            return;
        }
        if (ihl > Ipv4Header.MIN_LENGTH && hasUnexpiredSourceRoute(buf, off + Ipv4Header.MIN_LENGTH, off + ihl)) {
            // §4.1: options are ignored, except an unexpired source route.
            c.count(Counter.DROP_SOURCE_ROUTE);
            errors.toIpv4(buf, off, total, Icmpv4Header.DEST_UNREACHABLE, Icmpv4Header.CODE_SOURCE_ROUTE_FAILED, 0);
            return;
        }
        int proto = ip4.protocol();
        int up = off + ihl;
        int flagsOffset = ip4.flagsAndOffset();
        boolean df = (flagsOffset & Ipv4Header.FLAG_DF) != 0;
        boolean mf = (flagsOffset & Ipv4Header.FLAG_MF) != 0;
        int fragOffset = (flagsOffset & Ipv4Header.OFFSET_MASK) << 3;
        boolean isFragment = mf || fragOffset != 0;
        boolean first = fragOffset == 0;
        int ipId = ip4.identification();
        int tos = cfg.copyTrafficClass() ? ip4.tos() : 0;

        Tuple t = c.tuple;
        t.reset();
        t.src4 = ip4.source();
        t.dst4 = ip4.destination();
        t.packet = buf;
        t.packetOffset = off;
        t.packetLength = total;
        t.fragment = isFragment;
        t.firstFragment = first;
        t.moreFragments = mf;
        t.fragmentId = ipId;
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
                    if (isFragment && buf.getShort(up + UdpHeader.CHECKSUM_OFFSET) == 0) {
                        // §4.5: a zero checksum cannot be computed from one fragment.
                        c.count(Counter.DROP_ZERO_CHECKSUM_FRAGMENT);
                        return;
                    }
                }
                break;
            case IpProtocol.ICMP: {
                if (isFragment) {
                    c.count(Counter.DROP_FRAGMENTED_ICMP);
                    return;
                }
                if (end - up < IcmpHeader.LENGTH) {
                    c.count(Counter.DROP_MALFORMED);
                    return;
                }
                int type = buf.get(up) & 0xFF;
                if (type == Icmpv4Header.DEST_UNREACHABLE || type == Icmpv4Header.TIME_EXCEEDED
                        || type == Icmpv4Header.PARAMETER_PROBLEM || type == Icmpv4Header.SOURCE_QUENCH
                        || type == Icmpv4Header.REDIRECT) {
                    translateError(buf, off, end, up, ihl, ttl, tos, decrementTtl);
                    return;
                }
                if (type != Icmpv4Header.ECHO_REQUEST && type != Icmpv4Header.ECHO_REPLY) {
                    // §4.2: timestamps, address masks, router discovery and unknown types are dropped.
                    c.count(Counter.DROP_UNTRANSLATABLE_ICMP);
                    return;
                }
                t.protocol = IpProtocol.ICMP;
                t.icmpRequest = type == Icmpv4Header.ECHO_REQUEST;
                t.srcPort = buf.getShort(up + 4) & 0xFFFF;
                t.dstPort = t.srcPort;
                break;
            }
            default:
                if (!c.mapping.translatesOtherProtocols()) {
                    c.count(Counter.DROP_UNSUPPORTED_PROTOCOL);
                    errors.toIpv4(buf, off, total, Icmpv4Header.DEST_UNREACHABLE,
                            Icmpv4Header.CODE_PROTOCOL_UNREACHABLE, 0);
                    return;
                }
                t.protocol = proto;
        }

        int verdict = c.mapping.map4to6(t);
        if (verdict != AddressMapping.TRANSLATE) {
            if (verdict == AddressMapping.HANDOFF) {
                c.handoff = true;
            } else if (verdict == AddressMapping.DROP) {
                c.count(t.drop);
                if (t.errorType >= 0) {
                    errors.toIpv4(buf, off, total, t.errorType, t.errorCode, t.errorParam);
                }
            }
            return;
        }
        int payload = end - up;
        int headers6 = Ipv6Header.LENGTH + (isFragment ? Ipv6FragmentHeader.LENGTH : 0);
        int len6 = headers6 + payload;
        int mtu6 = cfg.ipv6Mtu();
        int maxFragment = Math.min(cfg.lowestIpv6Mtu(), mtu6);
        Offload in = c.offloadIn;
        boolean gso = in.isGso();
        int l4Header = gso ? Offloads.transportHeaderLength(buf, up, proto) : 0;
        int gsoSize = in.gsoSize;
        if (gso) {
            if (l4Header < 0 || isFragment) {
                c.count(Counter.DROP_GSO_UNSUPPORTED);
                return;
            }
            // The segments grow by 20 bytes: fewer payload bytes per segment keep them within the IPv6 MTU (and
            // within the lowest IPv6 MTU when the sender allows fragmentation, so no fragment is ever needed).
            int limit = df ? mtu6 : maxFragment;
            if (Ipv6Header.LENGTH + l4Header + gsoSize > limit) {
                if (proto != IpProtocol.TCP) { // UDP datagram boundaries must not move
                    c.count(Counter.DROP_GSO_UNSUPPORTED);
                    return;
                }
                gsoSize = limit - Ipv6Header.LENGTH - l4Header;
            }
        } else if (df && len6 > mtu6) {
            // §4: DF set and too big for the IPv6 link: Fragmentation Needed with the IPv4 MTU that fits.
            c.count(Counter.DROP_TOO_BIG);
            errors.toIpv4(buf, off, total, Icmpv4Header.DEST_UNREACHABLE, Icmpv4Header.CODE_FRAGMENTATION_NEEDED,
                    mtu6 - (headers6 - Ipv4Header.MIN_LENGTH));
            return;
        }
        boolean partial = Offloads.partialChecksum(in, buf, off, up, end, proto);
        if (first) {
            rewriteTransport(buf, up, end, proto, t, partial);
        }
        int nextHeader = proto == IpProtocol.ICMP ? IpProtocol.ICMPV6 : proto;
        int hop = decrementTtl ? ttl - 1 : ttl;
        if (!gso && !df && len6 > maxFragment) {
            if (partial) {
                Offloads.finishChecksum(buf, up, end, proto);
            }
            // §4: DF=0 and larger than the lowest IPv6 MTU: fragment; the ID keeps the IPv4 Identification.
            fragmenter.fragment6(buf, up, payload, fragOffset, mf, ipId, nextHeader, tos, hop,
                    t.out6SrcHi, t.out6SrcLo, t.out6DstHi, t.out6DstLo, maxFragment);
            return;
        }
        int o6 = up - headers6;
        if (o6 < 0) {
            ByteBuffer copy = c.headroomCopy;
            int newUp = XlatContext.HEADROOM + Ipv6Header.LENGTH + Ipv6FragmentHeader.LENGTH;
            copy.put(newUp, buf, up, payload);
            buf = copy;
            up = newUp;
            o6 = up - headers6;
        }
        Ipv6Header ip6 = c.ip6.wrap(buf, o6);
        ip6.write(tos, 0, len6 - Ipv6Header.LENGTH, isFragment ? IpProtocol.IPV6_FRAG : nextHeader, hop,
                t.out6SrcHi, t.out6SrcLo, t.out6DstHi, t.out6DstLo);
        if (isFragment) {
            // §4.1: Identification low 16 bits from IPv4, high 16 bits zero; offset and M copied.
            c.frag.wrap(buf, o6 + Ipv6Header.LENGTH).write(nextHeader, fragOffset, mf, ipId);
        }
        Offloads.translated(c, in, gso, partial, headers6, l4Header, gsoSize, payload - l4Header);
        c.emit(Side.IPV6, buf, o6, len6);
    }

    /** LSRR (131) or SSRR (137) whose pointer has not passed the end of its route data (RFC 791 §3.1). */
    static boolean hasUnexpiredSourceRoute(ByteBuffer buf, int p, int end) {
        while (p < end) {
            int type = buf.get(p) & 0xFF;
            if (type == 0) {
                return false;
            }
            if (type == 1) {
                p++;
                continue;
            }
            if (p + 1 >= end) {
                return false;
            }
            int len = buf.get(p + 1) & 0xFF;
            if (len < 2 || p + len > end) {
                return false;
            }
            if ((type == 131 || type == 137) && len >= 3 && (buf.get(p + 2) & 0xFF) <= len) {
                return true;
            }
            p += len;
        }
        return false;
    }

    /** §4.5 (and RFC 6146 §3.7): ports or identifier rewritten, checksum moved to the IPv6 pseudo-header. */
    private static void rewriteTransport(ByteBuffer buf, int up, int end, int proto, Tuple t, boolean partial) {
        long old = TransportRewrite.addresses4(t.src4, t.dst4);
        long now = TransportRewrite.addresses6(t.out6SrcHi, t.out6SrcLo, t.out6DstHi, t.out6DstLo);
        if (partial) {
            TransportRewrite.apply(buf, up, end - up, proto, 0, old, now, t.outSrcPort, t.outDstPort, true);
        } else if (proto == IpProtocol.UDP && buf.getShort(up + UdpHeader.CHECKSUM_OFFSET) == 0) {
            // §4.5: IPv6 requires a UDP checksum; an unfragmented datagram lets us compute it.
            buf.putShort(up, (short) t.outSrcPort).putShort(up + 2, (short) t.outDstPort);
            int n = Checksum.finish(Checksum.add(buf, up, end - up,
                    now + Checksum.ofInt(end - up) + IpProtocol.UDP));
            buf.putShort(up + UdpHeader.CHECKSUM_OFFSET, (short) (n == 0 ? 0xFFFF : n));
        } else if (proto == IpProtocol.ICMP) {
            int type6 = (buf.get(up) & 0xFF) == Icmpv4Header.ECHO_REQUEST ? Icmpv6Header.ECHO_REQUEST
                    : Icmpv6Header.ECHO_REPLY;
            TransportRewrite.apply(buf, up, end - up, proto, type6, 0, TransportRewrite.icmpv6Pseudo(now, end - up),
                    t.outDstPort, t.outSrcPort);
        } else {
            TransportRewrite.apply(buf, up, end - up, proto, 0, old, now, t.outSrcPort, t.outDstPort);
        }
    }

    /**
     * §4.2 and §4.3 (and RFC 6146 §3.4, §3.7): an ICMPv4 error becomes an ICMPv6 error whose inner packet is
     * translated too, without state changes; the result is at most 1280 bytes.
     */
    private void translateError(ByteBuffer buf, int off, int end, int up, int ihl, int ttl, int tos,
                                boolean decrementTtl) {
        EngineConfig cfg = c.config;
        int icmpLen = end - up;
        if (!Checksum.verify(buf, up, icmpLen, 0)) {
            c.count(Counter.DROP_BAD_CHECKSUM);
            return;
        }
        Icmpv4Header icmp = c.icmp4;
        icmp.wrap(buf, up);
        int mapped = IcmpMapping.error4to6(icmp.type(), icmp.code());
        if (mapped < 0) {
            c.count(Counter.DROP_UNTRANSLATABLE_ICMP);
            return;
        }
        int type6 = IcmpMapping.type(mapped);
        int code6 = IcmpMapping.code(mapped);
        int outerSrc4 = c.ip4.wrap(buf, off).source();

        int in = up + IcmpHeader.LENGTH;
        int innerEnd = end;
        int extStart = -1;
        int attr = icmp.lengthAttribute();
        if (attr != 0) {
            int orig = attr * 4;
            if (orig < 128 || in + orig > end) {
                c.count(Counter.DROP_MALFORMED);
                return;
            }
            if (in + orig < end) {
                innerEnd = in + orig;
                // ICMPv6 Packet Too Big and Parameter Problem have no length attribute: the extension goes.
                if (type6 == Icmpv6Header.DEST_UNREACHABLE || type6 == Icmpv6Header.TIME_EXCEEDED) {
                    extStart = innerEnd;
                }
            }
        }
        Ipv4Header inner = c.innerIp4.wrap(buf, in);
        if (innerEnd - in < Ipv4Header.MIN_LENGTH || inner.version() != 4
                || inner.headerLength() < Ipv4Header.MIN_LENGTH || in + inner.headerLength() > innerEnd) {
            c.count(Counter.DROP_MALFORMED);
            return;
        }
        int iihl = inner.headerLength();
        int iup = in + iihl;
        int iproto = inner.protocol();
        int iflags = inner.flagsAndOffset();
        boolean innerFragment = (iflags & (Ipv4Header.FLAG_MF | Ipv4Header.OFFSET_MASK)) != 0;
        boolean innerFirst = (iflags & Ipv4Header.OFFSET_MASK) == 0;
        Tuple t = c.tuple;
        t.reset();
        t.errorLookup = true;
        t.src4 = inner.destination();
        t.dst4 = inner.source();
        t.fragment = innerFragment;
        t.firstFragment = innerFirst;
        t.fragmentId = inner.identification();
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
            case IpProtocol.ICMP:
                if (innerEnd - iup < IcmpHeader.LENGTH) {
                    c.count(Counter.DROP_MALFORMED);
                    return;
                }
                innerIcmpType = buf.get(iup) & 0xFF;
                if (innerIcmpType != Icmpv4Header.ECHO_REQUEST && innerIcmpType != Icmpv4Header.ECHO_REPLY) {
                    c.count(Counter.DROP_UNTRANSLATABLE_ICMP);
                    return;
                }
                t.protocol = IpProtocol.ICMP;
                t.icmpRequest = innerIcmpType == Icmpv4Header.ECHO_REPLY; // reversed
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
        int verdict = c.mapping.map4to6(t);
        if (verdict != AddressMapping.TRANSLATE) {
            if (verdict == AddressMapping.HANDOFF) {
                c.handoff = true;
            } else {
                c.count(Counter.DROP_NO_SESSION);
            }
            return;
        }
        if (!c.mapping.errorSource4to6(outerSrc4, t)) {
            c.count(Counter.DROP_UNTRANSLATABLE_ICMP);
            return;
        }
        int innerTotal = inner.totalLength();
        int rest;
        switch (type6) {
            case Icmpv6Header.PACKET_TOO_BIG:
                rest = IcmpMapping.fragNeededToPtb(icmp.nextHopMtu(), innerTotal, innerFragment ? 28 : 20,
                        cfg.ipv6Mtu(), cfg.ipv4Mtu());
                break;
            case Icmpv6Header.PARAMETER_PROBLEM:
                if (code6 == Icmpv6Header.CODE_UNRECOGNIZED_NEXT_HEADER) {
                    rest = 6; // the Next Header field
                } else {
                    rest = IcmpMapping.pointer4to6(icmp.pointer());
                    if (rest < 0) {
                        c.count(Counter.DROP_UNTRANSLATABLE_ICMP);
                        return;
                    }
                }
                break;
            default:
                rest = 0;
        }

        // Build: outer IPv6 | ICMPv6 | inner IPv6 [| fragment header] | inner data [| padding | extension].
        ByteBuffer out = c.scratch;
        int o = XlatContext.HEADROOM;
        int icmpOut = o + Ipv6Header.LENGTH;
        int innerOut = icmpOut + IcmpHeader.LENGTH;
        int innerHeaders = Ipv6Header.LENGTH + (innerFragment ? Ipv6FragmentHeader.LENGTH : 0);
        int innerPayloadOut = innerOut + innerHeaders;
        ErrorPayload layout = c.errorPayload;
        layout.build(out, innerOut, innerHeaders, o + IcmpErrorOriginator.MAX_ICMPV6_ERROR, 8, buf, iup,
                innerEnd - iup, extStart, extStart >= 0 ? end - extStart : 0);
        rest |= layout.lengthAttribute << 24; // the fifth octet, in 64-bit words
        int icmpEnd = layout.end;

        int innerNext = iproto == IpProtocol.ICMP ? IpProtocol.ICMPV6 : iproto;
        int innerPayloadLen = innerTotal - iihl;
        int innerTos = cfg.copyTrafficClass() ? inner.tos() : 0;
        long oldAddrs = TransportRewrite.addresses4(inner.source(), inner.destination());
        c.innerIp6.wrap(out, innerOut).write(innerTos, 0,
                innerPayloadLen + (innerFragment ? Ipv6FragmentHeader.LENGTH : 0),
                innerFragment ? IpProtocol.IPV6_FRAG : innerNext, inner.ttl(),
                t.out6DstHi, t.out6DstLo, t.out6SrcHi, t.out6SrcLo);
        if (innerFragment) {
            c.frag.wrap(out, innerOut + Ipv6Header.LENGTH).write(innerNext, (iflags & Ipv4Header.OFFSET_MASK) << 3,
                    (iflags & Ipv4Header.FLAG_MF) != 0, inner.identification());
        }
        if (innerFirst) {
            long now = TransportRewrite.addresses6(t.out6DstHi, t.out6DstLo, t.out6SrcHi, t.out6SrcLo);
            if (iproto == IpProtocol.ICMP) {
                int echo6 = innerIcmpType == Icmpv4Header.ECHO_REQUEST ? Icmpv6Header.ECHO_REQUEST
                        : Icmpv6Header.ECHO_REPLY;
                TransportRewrite.apply(out, innerPayloadOut, layout.copied, iproto, echo6, 0,
                        TransportRewrite.icmpv6Pseudo(now, innerPayloadLen), t.outDstPort, t.outSrcPort);
            } else {
                TransportRewrite.apply(out, innerPayloadOut, layout.copied, iproto, 0, oldAddrs, now, t.outDstPort,
                        t.outSrcPort);
            }
        }

        int icmpLenOut = icmpEnd - icmpOut;
        out.put(icmpOut, (byte) type6).put(icmpOut + 1, (byte) code6).putShort(icmpOut + 2, (short) 0)
                .putInt(icmpOut + 4, rest);
        long ph = Checksum.pseudoHeader6(t.errorSource6Hi, t.errorSource6Lo, t.out6DstHi, t.out6DstLo,
                IpProtocol.ICMPV6, icmpLenOut);
        out.putShort(icmpOut + 2, (short) Checksum.finish(Checksum.add(out, icmpOut, icmpLenOut, ph)));
        c.ip6.wrap(out, o).write(tos, 0, icmpLenOut, IpProtocol.ICMPV6, decrementTtl ? ttl - 1 : ttl,
                t.errorSource6Hi, t.errorSource6Lo, t.out6DstHi, t.out6DstLo);
        c.count(Counter.ICMP_ERRORS_TRANSLATED);
        c.emit(Side.IPV6, out, o, Ipv6Header.LENGTH + icmpLenOut);
    }
}
