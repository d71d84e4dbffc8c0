package io.xlatbox.engine.packet;

import java.nio.ByteBuffer;

/** Flyweight over an IPv4 header (RFC 791 §3.1). */
public final class Ipv4Header {
    public static final int MIN_LENGTH = 20;
    public static final int FLAG_DF = 0x4000;
    public static final int FLAG_MF = 0x2000;
    public static final int OFFSET_MASK = 0x1FFF;

    private ByteBuffer buf;
    private int off;

    public Ipv4Header wrap(ByteBuffer buffer, int offset) {
        this.buf = buffer;
        this.off = offset;
        return this;
    }

    public ByteBuffer buffer() { return buf; }
    public int offset() { return off; }

    public int version() { return (buf.get(off) & 0xFF) >>> 4; }
    public int headerLength() { return (buf.get(off) & 0x0F) << 2; }
    public int tos() { return buf.get(off + 1) & 0xFF; }
    public int totalLength() { return buf.getShort(off + 2) & 0xFFFF; }
    public int identification() { return buf.getShort(off + 4) & 0xFFFF; }
    public int flagsAndOffset() { return buf.getShort(off + 6) & 0xFFFF; }
    public boolean dontFragment() { return (flagsAndOffset() & FLAG_DF) != 0; }
    public boolean moreFragments() { return (flagsAndOffset() & FLAG_MF) != 0; }
    /** Fragment offset in bytes. */
    public int fragmentOffset() { return (flagsAndOffset() & OFFSET_MASK) << 3; }
    /** A fragment of a larger datagram: MF set or a non-zero offset. */
    public boolean isFragment() { return (flagsAndOffset() & (FLAG_MF | OFFSET_MASK)) != 0; }
    public int ttl() { return buf.get(off + 8) & 0xFF; }
    public int protocol() { return buf.get(off + 9) & 0xFF; }
    public int checksum() { return buf.getShort(off + 10) & 0xFFFF; }
    public int source() { return buf.getInt(off + 12); }
    public int destination() { return buf.getInt(off + 16); }

    public void setVersionAndHeaderLength(int headerLength) { buf.put(off, (byte) (0x40 | (headerLength >>> 2))); }
    public void setTos(int tos) { buf.put(off + 1, (byte) tos); }
    public void setTotalLength(int v) { buf.putShort(off + 2, (short) v); }
    public void setIdentification(int v) { buf.putShort(off + 4, (short) v); }
    public void setFlagsAndOffset(int v) { buf.putShort(off + 6, (short) v); }
    public void setTtl(int v) { buf.put(off + 8, (byte) v); }
    public void setProtocol(int v) { buf.put(off + 9, (byte) v); }
    public void setChecksum(int v) { buf.putShort(off + 10, (short) v); }
    public void setSource(int v) { buf.putInt(off + 12, v); }
    public void setDestination(int v) { buf.putInt(off + 16, v); }

    /** Writes a 20-byte header without options, its checksum summed from the field values (RFC 1071). */
    public void write(int tos, int totalLength, int id, int flagsAndOffset, int ttl, int protocol, int src, int dst) {
        int w0 = 0x4500 | (tos & 0xFF);
        int w4 = (ttl & 0xFF) << 8 | (protocol & 0xFF);
        long sum = w0 + (totalLength & 0xFFFF) + (id & 0xFFFF) + (flagsAndOffset & 0xFFFF) + w4
                + Checksum.ofInt(src) + Checksum.ofInt(dst);
        buf.putInt(off, w0 << 16 | (totalLength & 0xFFFF));
        buf.putInt(off + 4, (id & 0xFFFF) << 16 | (flagsAndOffset & 0xFFFF));
        buf.putInt(off + 8, w4 << 16 | Checksum.finish(sum));
        buf.putInt(off + 12, src);
        buf.putInt(off + 16, dst);
    }

    public void updateChecksum() {
        setChecksum(0);
        setChecksum(Checksum.compute(buf, off, headerLength()));
    }

    public boolean checksumValid() {
        return Checksum.verify(buf, off, headerLength(), 0);
    }

    /** Pseudo-header sum of this packet for an upper-layer length. */
    public long pseudoHeader(int upperLength) {
        return Checksum.pseudoHeader4(source(), destination(), protocol(), upperLength);
    }
}
