package io.xlatbox.clat;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.addr.SpecialIpv4;
import io.xlatbox.engine.xlat.AddressMapping;
import io.xlatbox.engine.xlat.Tuple;

/**
 * The CLAT's address mapping for the engine's stateless RFC 7915 translator (RFC 6877 §6.3):
 * <ul>
 *   <li>IPv4 → IPv6: the source must be the CLAT's IPv4 address and becomes the dedicated CLAT IPv6 address; the
 *       destination is embedded in the PLAT prefix. Packets from other sources, and to the CLAT's own subnet or to
 *       addresses no unicast packet may have (0/8, 127/8, multicast, broadcast), are dropped
 *       ({@link Counter#DROP_FILTERED}).</li>
 *   <li>IPv6 → IPv4: the destination must be the CLAT IPv6 address and the source must lie under the PLAT prefix
 *       ({@link Counter#DROP_NOT_POOL6} otherwise); the source is extracted, the destination becomes the CLAT's IPv4
 *       address.</li>
 *   <li>ICMPv6 errors to the CLAT address are translated; their IPv4 source is the embedded address when the
 *       sender is under the PLAT prefix (a NAT64 relaying an IPv4 router's error), else {@code errorSource4}
 *       (192.0.0.8, RFC 7600) for IPv6 routers on the way. ICMPv4 errors from the host get the CLAT IPv6 address.</li>
 * </ul>
 * The inner packets of ICMP errors arrive reversed (see {@link Tuple}) and map by the same rules. Ports never
 * change. The addresses are read once per packet from a {@link ClatAddresses.Holder} (one volatile read), so a new
 * PLAT prefix takes effect without restarting anything.
 */
public final class ClatMapping implements AddressMapping {
    private final ClatAddresses.Holder addresses;

    public ClatMapping(ClatAddresses.Holder addresses) {
        this.addresses = addresses;
    }

    @Override
    public int map6to4(Tuple t) {
        ClatAddresses a = addresses.get();
        if (!a.isClatIpv6(t.dst6Hi, t.dst6Lo) || !a.plat().contains(t.src6Hi, t.src6Lo)) {
            t.drop = Counter.DROP_NOT_POOL6;
            return DROP;
        }
        int src4 = a.plat().extract(t.src6Hi, t.src6Lo);
        if (!mappable(a, src4)) {
            t.drop = Counter.DROP_FILTERED;
            return DROP;
        }
        t.out4Src = src4;
        t.out4Dst = a.ipv4();
        t.outSrcPort = t.srcPort;
        t.outDstPort = t.dstPort;
        return TRANSLATE;
    }

    @Override
    public int map4to6(Tuple t) {
        ClatAddresses a = addresses.get();
        if (t.src4 != a.ipv4() || !mappable(a, t.dst4)) {
            t.drop = Counter.DROP_FILTERED;
            return DROP;
        }
        t.out6SrcHi = a.ipv6Hi();
        t.out6SrcLo = a.ipv6Lo();
        t.out6DstHi = a.plat().embedHi(t.dst4);
        t.out6DstLo = a.plat().embedLo(t.dst4);
        t.outSrcPort = t.srcPort;
        t.outDstPort = t.dstPort;
        return TRANSLATE;
    }

    /** An address that may stand on the far side of the translation: unicast, not ours. */
    private static boolean mappable(ClatAddresses a, int v4) {
        return !SpecialIpv4.isUnusableUnicast(v4) && !a.inSubnet(v4);
    }

    @Override
    public int admitError6(Tuple t) {
        if (!addresses.get().isClatIpv6(t.dst6Hi, t.dst6Lo)) {
            t.drop = Counter.DROP_NOT_POOL6;
            return DROP;
        }
        return TRANSLATE;
    }

    @Override
    public boolean errorSource6to4(long hi, long lo, Tuple t) {
        ClatAddresses a = addresses.get();
        if (a.plat().contains(hi, lo)) {
            int v4 = a.plat().extract(hi, lo);
            t.errorSource4 = mappable(a, v4) ? v4 : a.errorSource4();
        } else {
            t.errorSource4 = a.errorSource4();
        }
        return true;
    }

    @Override
    public boolean errorSource4to6(int src4, Tuple t) {
        ClatAddresses a = addresses.get();
        if (src4 != a.ipv4()) {
            return false;
        }
        t.errorSource6Hi = a.ipv6Hi();
        t.errorSource6Lo = a.ipv6Lo();
        return true;
    }

    @Override
    public boolean translatesOtherProtocols() {
        return true;
    }
}
