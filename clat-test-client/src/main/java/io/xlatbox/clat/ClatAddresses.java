package io.xlatbox.clat;

import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.util.Objects;

/**
 * The addresses a CLAT translates with, as one immutable snapshot (RFC 6877 §6.3): its IPv4 address (192.0.0.2 of
 * RFC 7335's 192.0.0.0/29) maps one to one to its dedicated IPv6 address; every other IPv4 address is embedded in
 * the PLAT prefix (RFC 6052). ICMPv6 errors from IPv6 routers, whose addresses have no IPv4 form, are given
 * {@code errorSource4} (RFC 7600's 192.0.0.8 by default).
 *
 * @param plat          the PLAT (NAT64) prefix
 * @param ipv4          the CLAT's IPv4 address, the host's source address for IPv4
 * @param ipv4Peer      the translator's own IPv4 address on the TUN (source of the ICMPv4 errors it originates)
 * @param subnet4       the CLAT's IPv4 subnet (network address), never mapped through the prefix
 * @param subnetLength  its length (29 for RFC 7335)
 * @param ipv6Hi        the dedicated CLAT IPv6 address, high 64 bits
 * @param ipv6Lo        low 64 bits
 * @param errorSource4  IPv4 source for translated ICMPv6 errors from addresses outside the PLAT prefix
 */
public record ClatAddresses(Rfc6052Prefix plat, int ipv4, int ipv4Peer, int subnet4, int subnetLength, long ipv6Hi,
                            long ipv6Lo, int errorSource4) {
    public ClatAddresses {
        Objects.requireNonNull(plat, "plat");
        if (subnetLength < 1 || subnetLength > 32) {
            throw new IllegalArgumentException("IPv4 subnet length must be 1..32, not " + subnetLength);
        }
        if (plat.contains(ipv6Hi, ipv6Lo)) {
            throw new IllegalArgumentException("the CLAT IPv6 address " + Ipv6Address.format(ipv6Hi, ipv6Lo)
                    + " lies inside the PLAT prefix " + plat);
        }
    }

    /** Whether {@code a} is in the CLAT's own IPv4 subnet (local, never translated through the prefix). */
    public boolean inSubnet(int a) {
        int mask = subnetLength == 32 ? -1 : ~(-1 >>> subnetLength);
        return (a & mask) == (subnet4 & mask);
    }

    public boolean isClatIpv6(long hi, long lo) {
        return hi == ipv6Hi && lo == ipv6Lo;
    }

    public ClatAddresses withPlat(Rfc6052Prefix p) {
        return new ClatAddresses(p, ipv4, ipv4Peer, subnet4, subnetLength, ipv6Hi, ipv6Lo, errorSource4);
    }

    public String ipv4Text() {
        return Ipv4Address.format(ipv4);
    }

    public String ipv6Text() {
        return Ipv6Address.format(ipv6Hi, ipv6Lo);
    }

    /** The snapshot the translator workers read; swapped atomically when the PLAT prefix changes. */
    public static final class Holder {
        private volatile ClatAddresses current;

        public Holder(ClatAddresses initial) {
            current = Objects.requireNonNull(initial);
        }

        public ClatAddresses get() {
            return current;
        }

        public void set(ClatAddresses next) {
            current = Objects.requireNonNull(next);
        }
    }
}
