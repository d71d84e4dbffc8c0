package io.xlatbox.engine.packet;

import java.nio.ByteBuffer;

/** Flyweight over the IPv6 Fragment header (RFC 8200 §4.5). */
public final class Ipv6FragmentHeader {
    public static final int LENGTH = 8;

    private ByteBuffer buf;
    private int off;

    public Ipv6FragmentHeader wrap(ByteBuffer buffer, int offset) {
        this.buf = buffer;
        this.off = offset;
        return this;
    }

    public int nextHeader() { return buf.get(off) & 0xFF; }
    /** Fragment offset in bytes. */
    public int fragmentOffset() { return (buf.getShort(off + 2) & 0xFFF8); }
    public boolean moreFragments() { return (buf.getShort(off + 2) & 1) != 0; }
    public int identification() { return buf.getInt(off + 4); }

    /** Writes the header; {@code offsetBytes} must be a multiple of 8. */
    public void write(int nextHeader, int offsetBytes, boolean more, int identification) {
        buf.put(off, (byte) nextHeader);
        buf.put(off + 1, (byte) 0);
        buf.putShort(off + 2, (short) ((offsetBytes & 0xFFF8) | (more ? 1 : 0)));
        buf.putInt(off + 4, identification);
    }
}
