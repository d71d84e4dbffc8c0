package io.xlatbox.engine.xlat;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.Side;
import io.xlatbox.engine.addr.SpecialIpv4;
import io.xlatbox.engine.packet.Checksum;
import io.xlatbox.engine.packet.IcmpHeader;
import io.xlatbox.engine.packet.IpProtocol;
import io.xlatbox.engine.packet.Ipv4Header;
import io.xlatbox.engine.packet.Ipv6Extensions;
import io.xlatbox.engine.packet.Ipv6Header;
import java.nio.ByteBuffer;

/**
 * ICMP errors the translator originates itself, as a router does (RFC 7915 §4.4 and §5.4, RFC 6146 §3.5):
 * never about an ICMP error, a non-first fragment, or a packet from or to a multicast or unspecified address
 * (RFC 1812 §4.3.2.7, RFC 4443 §2.4 (e)); rate limited (RFC 4443 §2.4 (f)); quoting as much of the offending
 * packet as fits in 576 (IPv4) or 1280 (IPv6) bytes.
 */
public final class IcmpErrorOriginator {
    public static final int MAX_ICMPV4_ERROR = 576;
    public static final int MAX_ICMPV6_ERROR = 1280;
    private static final int TTL = 64;

    private final XlatContext c;
    private final Ipv4Header ip4 = new Ipv4Header();
    private final Ipv6Header ip6 = new Ipv6Header();
    private final Ipv6Extensions ext = new Ipv6Extensions();
    private long milliTokens;
    private long lastRefill;

    public IcmpErrorOriginator(XlatContext c) {
        this.c = c;
    }

    /**
     * Token bucket counted in thousandths of a token, so that any rate refills exactly: a burst of one tenth of a
     * second's allowance (at least 10), refilled continuously.
     */
    private boolean allowed() {
        long rate = c.config.icmpErrorsPerSecond();
        if (rate == 0) {
            return true;
        }
        long burst = Math.max(10, rate / 10) * 1000;
        long elapsed = Math.min(1000, Math.max(0, c.now - lastRefill));
        lastRefill = c.now;
        milliTokens = Math.min(burst, milliTokens + elapsed * rate);
        if (milliTokens < 1000) {
            c.count(Counter.DROP_ICMP_RATE_LIMITED);
            return false;
        }
        milliTokens -= 1000;
        return true;
    }

    /**
     * Sends an ICMPv4 error about the IPv4 packet at {@code [off, off+len)} back to its source.
     *
     * @param rest the 32-bit field after the checksum (MTU, pointer, or zero)
     */
    public void toIpv4(ByteBuffer buf, int off, int len, int type, int code, int rest) {
        ip4.wrap(buf, off);
        int src = ip4.source();
        int dst = ip4.destination();
        if (SpecialIpv4.isUnusableUnicast(src) || SpecialIpv4.isMulticast(dst) || dst == -1
                || ip4.fragmentOffset() != 0) {
            return;
        }
        int ihl = ip4.headerLength();
        if (ip4.protocol() == IpProtocol.ICMP && len >= ihl + 1 && isIcmpv4Error(buf.get(off + ihl) & 0xFF)) {
            return;
        }
        if (!allowed()) {
            return;
        }
        EngineConfig cfg = c.config;
        ByteBuffer out = c.scratch;
        int o = XlatContext.HEADROOM;
        int quoted = Math.min(len, MAX_ICMPV4_ERROR - Ipv4Header.MIN_LENGTH - IcmpHeader.LENGTH);
        int icmp = o + Ipv4Header.MIN_LENGTH;
        out.put(icmp, (byte) type).put(icmp + 1, (byte) code).putShort(icmp + 2, (short) 0).putInt(icmp + 4, rest);
        out.put(icmp + IcmpHeader.LENGTH, buf, off, quoted);
        int icmpLen = IcmpHeader.LENGTH + quoted;
        out.putShort(icmp + 2, (short) Checksum.compute(out, icmp, icmpLen));
        ip4.wrap(out, o).write(0, Ipv4Header.MIN_LENGTH + icmpLen, c.nextIpv4Id(), 0, TTL, IpProtocol.ICMP,
                cfg.ownIpv4Address(), src);
        c.count(Counter.ICMP_ERRORS_SENT);
        c.sink.emit(Side.IPV4, out, o, Ipv4Header.MIN_LENGTH + icmpLen);
    }

    /** Sends an ICMPv6 error about the IPv6 packet at {@code [off, off+len)} back to its source. */
    public void toIpv6(ByteBuffer buf, int off, int len, int type, int code, int rest) {
        ip6.wrap(buf, off);
        long sHi = ip6.sourceHi();
        long sLo = ip6.sourceLo();
        if ((sHi == 0 && sLo == 0) || (sHi >>> 56) == 0xFF || (ip6.destinationHi() >>> 56) == 0xFF) {
            return;
        }
        if (ext.parse(buf, off, off + len) == Ipv6Extensions.OK) {
            if (ext.hasFragmentHeader() && (buf.getShort(ext.fragmentOffset() + 2) & 0xFFF8) != 0) {
                return;
            }
            if (ext.upperProtocol() == IpProtocol.ICMPV6 && ext.upperOffset() < off + len
                    && (buf.get(ext.upperOffset()) & 0x80) == 0) {
                return;
            }
        }
        if (!allowed()) {
            return;
        }
        EngineConfig cfg = c.config;
        ByteBuffer out = c.scratch;
        int o = XlatContext.HEADROOM;
        int quoted = Math.min(len, MAX_ICMPV6_ERROR - Ipv6Header.LENGTH - IcmpHeader.LENGTH);
        int icmp = o + Ipv6Header.LENGTH;
        int icmpLen = IcmpHeader.LENGTH + quoted;
        out.put(icmp, (byte) type).put(icmp + 1, (byte) code).putShort(icmp + 2, (short) 0).putInt(icmp + 4, rest);
        out.put(icmp + IcmpHeader.LENGTH, buf, off, quoted);
        ip6.wrap(out, o).write(0, 0, icmpLen, IpProtocol.ICMPV6, TTL, cfg.ownIpv6Hi(), cfg.ownIpv6Lo(), sHi, sLo);
        long ph = Checksum.pseudoHeader6(cfg.ownIpv6Hi(), cfg.ownIpv6Lo(), sHi, sLo, IpProtocol.ICMPV6, icmpLen);
        out.putShort(icmp + 2, (short) Checksum.finish(Checksum.add(out, icmp, icmpLen, ph)));
        c.count(Counter.ICMP_ERRORS_SENT);
        c.sink.emit(Side.IPV6, out, o, Ipv6Header.LENGTH + icmpLen);
    }

    private static boolean isIcmpv4Error(int type) {
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }
}
