package io.xlatbox.engine.packet;

import java.nio.ByteBuffer;

/**
 * The Internet checksum: ones'-complement sum of 16-bit words, computed in full (RFC 1071) or updated
 * incrementally (RFC 1624). Sums are carried unfolded in a {@code long} and folded once at the end.
 */
public final class Checksum {
    private Checksum() {
    }

    /** Adds the bytes {@code [off, off+len)} to {@code sum} as big-endian 16-bit words (RFC 1071 §4.1). */
    public static long add(ByteBuffer buf, int off, int len, long sum) {
        int i = off;
        int end = off + len;
        // 8 bytes at a time; each 64-bit load contributes its two 32-bit halves, which fold like 16-bit words.
        while (end - i >= 8) {
            long v = buf.getLong(i);
            sum += (v >>> 32) + (v & 0xFFFFFFFFL);
            i += 8;
        }
        while (end - i >= 2) {
            sum += buf.getShort(i) & 0xFFFF;
            i += 2;
        }
        if (i < end) {
            sum += (buf.get(i) & 0xFF) << 8;
        }
        return sum;
    }

    /** Folds a wide sum into 16 bits with end-around carry. */
    public static int fold(long sum) {
        sum = (sum & 0xFFFFFFFFL) + (sum >>> 32);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        return (int) sum;
    }

    /** The checksum field value for a sum: the complement of the folded sum. */
    public static int finish(long sum) {
        return ~fold(sum) & 0xFFFF;
    }

    /** Full checksum of a byte range. */
    public static int compute(ByteBuffer buf, int off, int len) {
        return finish(add(buf, off, len, 0));
    }

    /** Sum of a 32-bit value as two 16-bit words. */
    public static long ofInt(int v) {
        return ((v >>> 16) & 0xFFFF) + (v & 0xFFFF);
    }

    /** Sum of a 64-bit value as four 16-bit words. */
    public static long ofLong(long v) {
        return (v >>> 48) + ((v >>> 32) & 0xFFFF) + ((v >>> 16) & 0xFFFF) + (v & 0xFFFF);
    }

    /**
     * RFC 1624 eqn. 3: {@code HC' = ~(~HC + ~m + m')}, where {@code removed} sums the old words m and {@code added}
     * the new words m'. A packet whose checksum was wrong before stays wrong by the same amount after.
     */
    public static int update(int checksum, long removed, long added) {
        long s = (~checksum & 0xFFFF) + (~fold(removed) & 0xFFFF) + fold(added);
        return ~fold(s) & 0xFFFF;
    }

    /** True when the range sums to all ones, i.e. its embedded checksum is right. */
    public static boolean verify(ByteBuffer buf, int off, int len, long pseudoHeaderSum) {
        return fold(add(buf, off, len, pseudoHeaderSum)) == 0xFFFF;
    }

    /** Pseudo-header sum for IPv4 (RFC 768, RFC 793): source, destination, zero, protocol, length. */
    public static long pseudoHeader4(int src, int dst, int protocol, int length) {
        return ofInt(src) + ofInt(dst) + protocol + length;
    }

    /** Pseudo-header sum for IPv6 (RFC 8200 §8.1): source, destination, upper-layer length, next header. */
    public static long pseudoHeader6(long srcHi, long srcLo, long dstHi, long dstLo, int nextHeader, int length) {
        return ofLong(srcHi) + ofLong(srcLo) + ofLong(dstHi) + ofLong(dstLo) + ofInt(length) + nextHeader;
    }
}
