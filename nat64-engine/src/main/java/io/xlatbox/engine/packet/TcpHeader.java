package io.xlatbox.engine.packet;

import java.nio.ByteBuffer;

/** Flyweight over a TCP header (RFC 9293 §3.1). */
public final class TcpHeader {
    public static final int MIN_LENGTH = 20;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int ACK = 0x10;

    private ByteBuffer buf;
    private int off;

    public TcpHeader wrap(ByteBuffer buffer, int offset) {
        this.buf = buffer;
        this.off = offset;
        return this;
    }

    public int sourcePort() { return buf.getShort(off) & 0xFFFF; }
    public int destinationPort() { return buf.getShort(off + 2) & 0xFFFF; }
    public int dataOffset() { return ((buf.get(off + 12) & 0xFF) >>> 4) << 2; }
    public int flags() { return buf.get(off + 13) & 0xFF; }
    public boolean syn() { return (flags() & SYN) != 0; }
    public boolean fin() { return (flags() & FIN) != 0; }
    public boolean rst() { return (flags() & RST) != 0; }
    public int checksum() { return buf.getShort(off + CHECKSUM_OFFSET) & 0xFFFF; }

    public void setSourcePort(int v) { buf.putShort(off, (short) v); }
    public void setDestinationPort(int v) { buf.putShort(off + 2, (short) v); }
    public void setChecksum(int v) { buf.putShort(off + CHECKSUM_OFFSET, (short) v); }
}
