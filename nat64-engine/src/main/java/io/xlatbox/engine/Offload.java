package io.xlatbox.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The offload state of a packet, as a TUN device with IFF_VNET_HDR carries it in a {@code struct virtio_net_hdr}
 * (include/uapi/linux/virtio_net.h): a GSO super-packet of up to 64 KB that the kernel splits into segments of
 * {@link #gsoSize} payload bytes, and a transport checksum left partial ({@link #NEEDS_CSUM}: the field holds the
 * pseudo-header sum, the kernel completes it over {@code [csumStart, end)}). Offsets are from the IP header.
 * One instance per direction per worker, reused for every packet.
 */
public final class Offload {
    public static final int HEADER_LENGTH = 10;

    public static final int NEEDS_CSUM = 1;
    public static final int DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    public static final int GSO_ECN = 0x80;

    public int flags;
    public int gsoType;
    public int hdrLen;
    public int gsoSize;
    public int csumStart;
    public int csumOffset;

    public void clear() {
        flags = 0;
        gsoType = GSO_NONE;
        hdrLen = 0;
        gsoSize = 0;
        csumStart = 0;
        csumOffset = 0;
    }

    public void copyFrom(Offload o) {
        flags = o.flags;
        gsoType = o.gsoType;
        hdrLen = o.hdrLen;
        gsoSize = o.gsoSize;
        csumStart = o.csumStart;
        csumOffset = o.csumOffset;
    }

    /** A super-packet the kernel (or we) will cut into segments. */
    public boolean isGso() {
        return (gsoType & ~GSO_ECN) != GSO_NONE;
    }

    public boolean needsChecksum() {
        return (flags & NEEDS_CSUM) != 0;
    }

    /** Reads the header at {@code off} (little-endian, as the kernel writes it on little-endian hosts). */
    public void read(ByteBuffer b, int off) {
        flags = b.get(off) & 0xFF;
        gsoType = b.get(off + 1) & 0xFF;
        hdrLen = le(b, off + 2);
        gsoSize = le(b, off + 4);
        csumStart = le(b, off + 6);
        csumOffset = le(b, off + 8);
    }

    /** Writes the header at {@code off}. */
    public void write(ByteBuffer b, int off) {
        b.put(off, (byte) flags).put(off + 1, (byte) gsoType);
        putLe(b, off + 2, hdrLen);
        putLe(b, off + 4, gsoSize);
        putLe(b, off + 6, csumStart);
        putLe(b, off + 8, csumOffset);
    }

    private static int le(ByteBuffer b, int at) {
        short v = b.getShort(at);
        return (b.order() == ByteOrder.BIG_ENDIAN ? Short.reverseBytes(v) : v) & 0xFFFF;
    }

    private static void putLe(ByteBuffer b, int at, int v) {
        short s = (short) v;
        b.putShort(at, b.order() == ByteOrder.BIG_ENDIAN ? Short.reverseBytes(s) : s);
    }
}
