package io.xlatbox.engine.packet;

/** ICMPv4 (RFC 792), with the RFC 4884 length attribute and the RFC 1191 next-hop MTU. */
public final class Icmpv4Header extends IcmpHeader {
    public static final int ECHO_REPLY = 0;
    public static final int DEST_UNREACHABLE = 3;
    public static final int SOURCE_QUENCH = 4;
    public static final int REDIRECT = 5;
    public static final int ECHO_REQUEST = 8;
    public static final int TIME_EXCEEDED = 11;
    public static final int PARAMETER_PROBLEM = 12;

    public static final int CODE_NET_UNREACHABLE = 0;
    public static final int CODE_HOST_UNREACHABLE = 1;
    public static final int CODE_PROTOCOL_UNREACHABLE = 2;
    public static final int CODE_PORT_UNREACHABLE = 3;
    public static final int CODE_FRAGMENTATION_NEEDED = 4;
    public static final int CODE_SOURCE_ROUTE_FAILED = 5;
    public static final int CODE_ADMIN_PROHIBITED = 13;

    @Override
    public boolean isError() {
        int t = type();
        return t == DEST_UNREACHABLE || t == SOURCE_QUENCH || t == REDIRECT || t == TIME_EXCEEDED
                || t == PARAMETER_PROBLEM;
    }

    @Override public boolean isEchoRequest() { return type() == ECHO_REQUEST; }
    @Override public boolean isEchoReply() { return type() == ECHO_REPLY; }

    /** Next-hop MTU of a Fragmentation Needed message (RFC 1191 §4). */
    public int nextHopMtu() { return buf.getShort(off + 6) & 0xFFFF; }
    /** Pointer of a Parameter Problem message. */
    public int pointer() { return buf.get(off + 4) & 0xFF; }
    /** RFC 4884 length of the original datagram, in 32-bit words (the sixth octet). */
    public int lengthAttribute() { return buf.get(off + 5) & 0xFF; }
}
