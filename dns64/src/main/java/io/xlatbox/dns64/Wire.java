package io.xlatbox.dns64;

/** RFC 1035 §4.1 wire-format helpers over byte arrays: names, 16- and 32-bit fields. Bounds are always checked. */
final class Wire {
    static final int HEADER = 12;
    static final int TYPE_A = 1;
    static final int TYPE_NS = 2;
    static final int TYPE_CNAME = 5;
    static final int TYPE_SOA = 6;
    static final int TYPE_PTR = 12;
    static final int TYPE_AAAA = 28;
    static final int TYPE_DNAME = 39;
    static final int TYPE_OPT = 41;
    static final int TYPE_IXFR = 251;
    static final int TYPE_AXFR = 252;
    static final int CLASS_IN = 1;

    static final int FLAG_QR = 0x8000;
    static final int FLAG_AA = 0x0400;
    static final int FLAG_TC = 0x0200;
    static final int FLAG_RD = 0x0100;
    static final int FLAG_RA = 0x0080;
    static final int FLAG_AD = 0x0020;
    static final int FLAG_CD = 0x0010;

    private Wire() {
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xFF) << 8 | (b[off + 1] & 0xFF);
    }

    static int u32(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void put32(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    /**
     * The offset just past the (possibly compressed, RFC 1035 §4.1.4) name at {@code off}, or -1 when it runs past
     * {@code end} or uses a reserved label type.
     */
    static int skipName(byte[] b, int off, int end) {
        int p = off;
        while (p < end) {
            int l = b[p] & 0xFF;
            if (l == 0) {
                return p + 1;
            }
            if ((l & 0xC0) == 0xC0) {
                return p + 2 <= end ? p + 2 : -1;
            }
            if ((l & 0xC0) != 0) {
                return -1; // 0x40 and 0x80 label types (RFC 6891 §5)
            }
            p += 1 + l;
        }
        return -1;
    }

    /**
     * A hash of the expanded, lowercased name at {@code off}, following compression pointers (at most 64 of
     * them, so that pointer loops end); 0 when malformed. Used to tell RRsets apart.
     */
    static int nameHash(byte[] b, int off, int end) {
        int h = 1;
        int p = off;
        int jumps = 0;
        while (p < end) {
            int l = b[p] & 0xFF;
            if (l == 0) {
                return h;
            }
            if ((l & 0xC0) == 0xC0) {
                if (p + 1 >= end || ++jumps > 64) {
                    return 0;
                }
                p = (l & 0x3F) << 8 | (b[p + 1] & 0xFF);
                continue;
            }
            if ((l & 0xC0) != 0 || p + 1 + l > end) {
                return 0;
            }
            h = 31 * h + l;
            for (int i = p + 1; i <= p + l; i++) {
                h = 31 * h + lower(b[i]);
            }
            p += 1 + l;
        }
        return 0;
    }

    static int lower(byte c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c & 0xFF;
    }

    /**
     * Compares the uncompressed name at {@code a[aOff]} with the possibly compressed name at {@code b[bOff]},
     * ignoring ASCII case (RFC 4343). Used for the RFC 5452 question check.
     */
    static boolean sameName(byte[] a, int aOff, int aEnd, byte[] b, int bOff, int bEnd) {
        int p = aOff;
        int q = bOff;
        int jumps = 0;
        while (p < aEnd && q < bEnd) {
            int lq = b[q] & 0xFF;
            if ((lq & 0xC0) == 0xC0) {
                if (q + 1 >= bEnd || ++jumps > 64) {
                    return false;
                }
                q = (lq & 0x3F) << 8 | (b[q + 1] & 0xFF);
                continue;
            }
            int lp = a[p] & 0xFF;
            if (lp != lq) {
                return false;
            }
            if (lp == 0) {
                return true;
            }
            if (p + 1 + lp > aEnd || q + 1 + lq > bEnd) {
                return false;
            }
            for (int i = 1; i <= lp; i++) {
                if (lower(a[p + i]) != lower(b[q + i])) {
                    return false;
                }
            }
            p += 1 + lp;
            q += 1 + lq;
        }
        return false;
    }
}
