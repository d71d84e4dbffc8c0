package io.xlatbox.engine;

import io.xlatbox.engine.packet.IpProtocol;

/** The transport protocols RFC 6146 keeps state for; each has its own BIB, session table and pool4 ports. */
public enum L4Protocol {
    TCP(IpProtocol.TCP),
    UDP(IpProtocol.UDP),
    /** ICMP queries (echo); the "port" is the ICMP identifier (RFC 6146 §3.5.3). */
    ICMP(IpProtocol.ICMP);

    private final int ipv4Number;

    L4Protocol(int ipv4Number) {
        this.ipv4Number = ipv4Number;
    }

    public int ipv4Number() {
        return ipv4Number;
    }

    private static final L4Protocol[] VALUES = values();

    public static L4Protocol ofIndex(int i) {
        return VALUES[i];
    }

    /** Case-insensitive name, for configuration. */
    public static L4Protocol parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown protocol '" + s + "': expected tcp, udp or icmp");
        }
    }
}
