package io.xlatbox.engine.addr;

import io.xlatbox.engine.L4Protocol;

/**
 * A manually added BIB entry (RFC 6146 §3.5.1): it lets IPv4 hosts start connections to an IPv6 server, and
 * never expires.
 */
public record StaticBibEntry(L4Protocol protocol, long ipv6Hi, long ipv6Lo, int ipv6Port, int ipv4Address,
                             int ipv4Port) {
    public static StaticBibEntry parse(String protocol, String ipv6, int ipv6Port, String ipv4, int ipv4Port) {
        long[] a = Ipv6Address.parse(ipv6);
        return new StaticBibEntry(L4Protocol.parse(protocol), a[0], a[1], ipv6Port, Ipv4Address.parse(ipv4),
                ipv4Port);
    }

    @Override
    public String toString() {
        return protocol.name().toLowerCase(java.util.Locale.ROOT) + " [" + Ipv6Address.format(ipv6Hi, ipv6Lo) + "]#"
                + ipv6Port + " <-> " + Ipv4Address.format(ipv4Address) + "#" + ipv4Port;
    }
}
