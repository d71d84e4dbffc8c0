package io.xlatbox.engine.packet;

import java.nio.ByteBuffer;

/** Flyweight over the fixed IPv6 header (RFC 8200 §3). Addresses are read as two longs, high and low. */
public final class Ipv6Header {
    public static final int LENGTH = 40;

    private ByteBuffer buf;
    private int off;

    public Ipv6Header wrap(ByteBuffer buffer, int offset) {
        this.buf = buffer;
        this.off = offset;
        return this;
    }

    public ByteBuffer buffer() { return buf; }
    public int offset() { return off; }

    public int version() { return (buf.get(off) & 0xFF) >>> 4; }
    public int trafficClass() { return (buf.getShort(off) >>> 4) & 0xFF; }
    public int flowLabel() { return buf.getInt(off) & 0xFFFFF; }
    public int payloadLength() { return buf.getShort(off + 4) & 0xFFFF; }
    public int nextHeader() { return buf.get(off + 6) & 0xFF; }
    public int hopLimit() { return buf.get(off + 7) & 0xFF; }
    public long sourceHi() { return buf.getLong(off + 8); }
    public long sourceLo() { return buf.getLong(off + 16); }
    public long destinationHi() { return buf.getLong(off + 24); }
    public long destinationLo() { return buf.getLong(off + 32); }

    public void setVersionClassFlow(int trafficClass, int flowLabel) {
        buf.putInt(off, (6 << 28) | ((trafficClass & 0xFF) << 20) | (flowLabel & 0xFFFFF));
    }
    public void setPayloadLength(int v) { buf.putShort(off + 4, (short) v); }
    public void setNextHeader(int v) { buf.put(off + 6, (byte) v); }
    public void setHopLimit(int v) { buf.put(off + 7, (byte) v); }
    public void setSource(long hi, long lo) { buf.putLong(off + 8, hi); buf.putLong(off + 16, lo); }
    public void setDestination(long hi, long lo) { buf.putLong(off + 24, hi); buf.putLong(off + 32, lo); }

    public void write(int trafficClass, int flowLabel, int payloadLength, int nextHeader, int hopLimit,
                      long srcHi, long srcLo, long dstHi, long dstLo) {
        setVersionClassFlow(trafficClass, flowLabel);
        setPayloadLength(payloadLength);
        setNextHeader(nextHeader);
        setHopLimit(hopLimit);
        setSource(srcHi, srcLo);
        setDestination(dstHi, dstLo);
    }

    public long pseudoHeader(int nextHeader, int upperLength) {
        return Checksum.pseudoHeader6(sourceHi(), sourceLo(), destinationHi(), destinationLo(), nextHeader, upperLength);
    }
}
