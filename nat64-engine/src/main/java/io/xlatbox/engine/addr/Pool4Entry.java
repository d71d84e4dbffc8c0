package io.xlatbox.engine.addr;

import io.xlatbox.engine.L4Protocol;

/**
 * One pool4 entry: IPv4 addresses of a prefix, times a range of ports (or ICMP identifiers), for one protocol.
 * Jool calls the same thing a pool4 entry; RFC 6146 §3.5.1.1 only requires that some such set exist.
 */
public record Pool4Entry(L4Protocol protocol, Ipv4Prefix prefix, int portMin, int portMax) {
    public static Pool4Entry parse(String protocol, String prefix, int portMin, int portMax) {
        return new Pool4Entry(L4Protocol.parse(protocol), Ipv4Prefix.parse(prefix), portMin, portMax);
    }

    /** The same prefix for TCP, UDP and ICMP with the usual dynamic range: ports 1024-65535, identifiers 0-65535. */
    public static Pool4Entry[] allProtocols(String prefix) {
        Ipv4Prefix p = Ipv4Prefix.parse(prefix);
        return new Pool4Entry[] {
            new Pool4Entry(L4Protocol.TCP, p, 1024, 65535),
            new Pool4Entry(L4Protocol.UDP, p, 1024, 65535),
            new Pool4Entry(L4Protocol.ICMP, p, 0, 65535),
        };
    }

    public boolean contains(L4Protocol proto, int address, int port) {
        return proto == protocol && prefix.contains(address) && port >= portMin && port <= portMax;
    }

    @Override
    public String toString() {
        return protocol.name().toLowerCase(java.util.Locale.ROOT) + " " + prefix + " " + portMin + "-" + portMax;
    }
}
