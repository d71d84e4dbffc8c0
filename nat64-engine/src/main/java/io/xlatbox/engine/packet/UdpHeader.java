package io.xlatbox.engine.packet;

import java.nio.ByteBuffer;

/** Flyweight over a UDP header (RFC 768). */
public final class UdpHeader {
    public static final int LENGTH = 8;
    public static final int CHECKSUM_OFFSET = 6;

    private ByteBuffer buf;
    private int off;

    public UdpHeader wrap(ByteBuffer buffer, int offset) {
        this.buf = buffer;
        this.off = offset;
        return this;
    }

    public int sourcePort() { return buf.getShort(off) & 0xFFFF; }
    public int destinationPort() { return buf.getShort(off + 2) & 0xFFFF; }
    public int length() { return buf.getShort(off + 4) & 0xFFFF; }
    public int checksum() { return buf.getShort(off + CHECKSUM_OFFSET) & 0xFFFF; }

    public void setSourcePort(int v) { buf.putShort(off, (short) v); }
    public void setDestinationPort(int v) { buf.putShort(off + 2, (short) v); }
    public void setChecksum(int v) { buf.putShort(off + CHECKSUM_OFFSET, (short) v); }
}
