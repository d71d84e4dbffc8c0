package io.xlatbox.engine.packet;

import java.nio.ByteBuffer;

/**
 * Flyweight over the four common octets of ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) messages plus the 32-bit
 * field that follows them, which holds identifier/sequence, MTU or pointer depending on the type.
 */
public abstract class IcmpHeader {
    public static final int LENGTH = 8;
    public static final int CHECKSUM_OFFSET = 2;

    protected ByteBuffer buf;
    protected int off;

    public IcmpHeader wrap(ByteBuffer buffer, int offset) {
        this.buf = buffer;
        this.off = offset;
        return this;
    }

    public int offset() { return off; }
    public int type() { return buf.get(off) & 0xFF; }
    public int code() { return buf.get(off + 1) & 0xFF; }
    public int checksum() { return buf.getShort(off + CHECKSUM_OFFSET) & 0xFFFF; }
    public int identifier() { return buf.getShort(off + 4) & 0xFFFF; }
    public int sequence() { return buf.getShort(off + 6) & 0xFFFF; }
    public int restOfHeader() { return buf.getInt(off + 4); }

    public void setTypeCode(int type, int code) { buf.put(off, (byte) type); buf.put(off + 1, (byte) code); }
    public void setChecksum(int v) { buf.putShort(off + CHECKSUM_OFFSET, (short) v); }
    public void setIdentifier(int v) { buf.putShort(off + 4, (short) v); }
    public void setRestOfHeader(int v) { buf.putInt(off + 4, v); }

    public abstract boolean isError();
    public abstract boolean isEchoRequest();
    public abstract boolean isEchoReply();
}
