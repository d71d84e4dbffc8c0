package io.xlatbox.engine.xlat;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.addr.Rfc6052Prefix;

/**
 * Stateless IP/ICMP translation (SIIT, RFC 7915 §6 with RFC 6052 addresses): both addresses of a packet are
 * embedded in or extracted from one prefix, ports never change. This is the mapping a CLAT or a stateless
 * translator plugs into the same header translation that stateful NAT64 uses.
 */
public final class StatelessMapping implements AddressMapping {
    private final Rfc6052Prefix prefix;
    /** RFC 6791: IPv4 source for ICMPv6 errors from routers whose address has no IPv4 form. */
    private final int fallbackIpv4;

    public StatelessMapping(Rfc6052Prefix prefix, int fallbackIpv4) {
        this.prefix = prefix;
        this.fallbackIpv4 = fallbackIpv4;
    }

    @Override
    public int map6to4(Tuple t) {
        if (!prefix.contains(t.dst6Hi, t.dst6Lo) || !prefix.contains(t.src6Hi, t.src6Lo)) {
            t.drop = Counter.DROP_NOT_POOL6;
            return DROP;
        }
        t.out4Src = prefix.extract(t.src6Hi, t.src6Lo);
        t.out4Dst = prefix.extract(t.dst6Hi, t.dst6Lo);
        t.outSrcPort = t.srcPort;
        t.outDstPort = t.dstPort;
        return TRANSLATE;
    }

    @Override
    public int map4to6(Tuple t) {
        t.out6SrcHi = prefix.embedHi(t.src4);
        t.out6SrcLo = prefix.embedLo(t.src4);
        t.out6DstHi = prefix.embedHi(t.dst4);
        t.out6DstLo = prefix.embedLo(t.dst4);
        t.outSrcPort = t.srcPort;
        t.outDstPort = t.dstPort;
        return TRANSLATE;
    }

    @Override
    public int admitError6(Tuple t) {
        if (!prefix.contains(t.dst6Hi, t.dst6Lo)) {
            t.drop = Counter.DROP_NOT_POOL6;
            return DROP;
        }
        return TRANSLATE;
    }

    @Override
    public boolean errorSource6to4(long hi, long lo, Tuple t) {
        t.errorSource4 = prefix.contains(hi, lo) ? prefix.extract(hi, lo) : fallbackIpv4;
        return true;
    }

    @Override
    public boolean errorSource4to6(int src4, Tuple t) {
        t.errorSource6Hi = prefix.embedHi(src4);
        t.errorSource6Lo = prefix.embedLo(src4);
        return true;
    }

    @Override
    public boolean translatesOtherProtocols() {
        return true;
    }
}
