package io.xlatbox.engine.xlat;

/**
 * The strategy that decides the addresses (and ports) of a translated packet. Stateful NAT64 decides with its
 * BIB and session tables (RFC 6146); a stateless SIIT or CLAT decides with a prefix or an EAM table
 * (RFC 7915 §6, RFC 6877). The header translation of RFC 7915 is the same for all of them.
 */
public interface AddressMapping {
    /** Translate the packet with the outgoing fields the mapping filled in. */
    int TRANSLATE = 0;
    /** Drop the packet: {@link Tuple#drop} says why; {@link Tuple#errorType} &ge; 0 asks for an ICMP error. */
    int DROP = 1;
    /** The mapping kept the packet (a stored SYN or an early fragment); emit nothing now. */
    int STOLEN = 2;
    /**
     * The packet needs state that another worker is changing right now: it must be processed by that worker.
     * Nothing in the packet has been touched yet.
     */
    int HANDOFF = 3;

    /** Maps an IPv6 packet (incoming IPv6 fields) to IPv4 (outgoing IPv4 fields and ports). */
    int map6to4(Tuple t);

    /** Maps an IPv4 packet (incoming IPv4 fields) to IPv6 (outgoing IPv6 fields and ports). */
    int map4to6(Tuple t);

    /**
     * Whether an ICMPv6 error, whose outer addresses are in the incoming IPv6 fields of {@code t}, is one this
     * mapping translates at all; its inner packet is mapped afterwards. Returns {@link #TRANSLATE} or
     * {@link #DROP} with {@link Tuple#drop} set.
     */
    int admitError6(Tuple t);

    /**
     * The IPv4 source of a translated ICMPv6 error sent by {@code hi:lo}, given that the error's inner packet
     * mapped as {@code t} says; sets {@link Tuple#errorSource4}, or returns false to drop the error.
     */
    boolean errorSource6to4(long hi, long lo, Tuple t);

    /** The IPv6 source of a translated ICMPv4 error sent by {@code src4}; sets {@link Tuple#errorSource6Hi} and {@link Tuple#errorSource6Lo}, or returns false. */
    boolean errorSource4to6(int src4, Tuple t);

    /** Whether transports other than TCP, UDP and ICMP are translated (stateless) or dropped (stateful). */
    boolean translatesOtherProtocols();
}
