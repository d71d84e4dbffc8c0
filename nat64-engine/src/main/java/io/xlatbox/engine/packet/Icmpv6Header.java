package io.xlatbox.engine.packet;

/** ICMPv6 (RFC 4443), with the RFC 4884 length attribute. */
public final class Icmpv6Header extends IcmpHeader {
    public static final int DEST_UNREACHABLE = 1;
    public static final int PACKET_TOO_BIG = 2;
    public static final int TIME_EXCEEDED = 3;
    public static final int PARAMETER_PROBLEM = 4;
    public static final int ECHO_REQUEST = 128;
    public static final int ECHO_REPLY = 129;

    public static final int CODE_NO_ROUTE = 0;
    public static final int CODE_ADMIN_PROHIBITED = 1;
    public static final int CODE_BEYOND_SCOPE = 2;
    public static final int CODE_ADDRESS_UNREACHABLE = 3;
    public static final int CODE_PORT_UNREACHABLE = 4;
    public static final int CODE_ERRONEOUS_HEADER = 0;
    public static final int CODE_UNRECOGNIZED_NEXT_HEADER = 1;

    @Override public boolean isError() { return type() < 128; }
    @Override public boolean isEchoRequest() { return type() == ECHO_REQUEST; }
    @Override public boolean isEchoReply() { return type() == ECHO_REPLY; }

    public int mtu() { return buf.getInt(off + 4); }
    public int pointer() { return buf.getInt(off + 4); }
    /** RFC 4884 length of the original datagram, in 64-bit words (the fifth octet). */
    public int lengthAttribute() { return buf.get(off + 4) & 0xFF; }
}
