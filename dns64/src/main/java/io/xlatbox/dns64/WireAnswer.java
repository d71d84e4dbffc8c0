package io.xlatbox.dns64;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A final response in wire form, ready to be served to any client that asked the same question: the header (ID
 * zero), the question, and every record except OPT, with the offset and original value of each record's TTL. It
 * is what the cache stores, and what an answer coming back from the upstream becomes before it is sent.
 *
 * <p>{@link #render} writes it for one client with a handful of patches and no parsing: the client's ID and
 * flags, the question name in the client's letter case (RFC 4343), the TTLs decremented by the time spent in the
 * cache, an OPT record when the client sent one, and, when it does not fit the client's UDP size, truncation at
 * an RRset boundary with TC=1 (RFC 2181 §9).
 */
final class WireAnswer {
    private static final long NANOS = 1_000_000_000L;
    /** Render result bit: the response was truncated (TC=1). */
    static final int TRUNCATED = 0x100;

    /** The cache key (when cached) followed by the message: one array, so that a hit touches few cache lines. */
    private final byte[] data;
    /** Where the message starts in {@link #data}: the key's length. */
    private final int base;
    private final int size;
    final int keyHash;
    private final int questionEnd;
    private final int qnameLen;
    private final int an;
    private final int ns;
    /** Per record, four ints: TTL offset, original TTL, end offset, 1 if it starts an RRset. */
    private final int[] rr;
    private final int records;
    private final int rcode;
    private final boolean ad;
    final long storedNanos;
    /** When the first TTL runs out (capped by the cache's maximum); never served from the cache after it. */
    final long expiresNanos;
    final boolean cacheable;
    /** CLOCK bit for the cache: set on a hit, cleared by the eviction hand. Racy on purpose. */
    boolean referenced;

    private WireAnswer(byte[] data, int base, int size, int keyHash, int questionEnd, int qnameLen, int an, int ns,
                       int[] rr, int records, long storedNanos, long expiresNanos, boolean cacheable) {
        this.data = data;
        this.base = base;
        this.size = size;
        this.keyHash = keyHash;
        this.questionEnd = questionEnd;
        this.qnameLen = qnameLen;
        this.an = an;
        this.ns = ns;
        this.rr = rr;
        this.records = records;
        this.rcode = data[base + 3] & 0xF;
        this.ad = (data[base + 3] & 0x20) != 0;
        this.storedNanos = storedNanos;
        this.expiresNanos = expiresNanos;
        this.cacheable = cacheable;
    }

    /** The same answer with {@code key} stored in front of it, for the cache. */
    WireAnswer keyed(CacheKey key) {
        int k = key.length();
        byte[] d = new byte[k + size];
        System.arraycopy(key.bytes, 0, d, 0, k);
        System.arraycopy(data, base, d, k, size);
        return new WireAnswer(d, k, size, key.hashCode(), questionEnd, qnameLen, an, ns, rr, records, storedNanos,
                expiresNanos, cacheable);
    }

    /** Whether this (keyed) answer is stored under {@code key}. */
    boolean hasKey(CacheKey key) {
        return key.hashCode() == keyHash && key.length() == base
                && java.util.Arrays.equals(data, 0, base, key.bytes, 0, base);
    }

    /**
     * Reads a complete response (one question) and keeps everything but its OPT record. Returns null when the
     * message is malformed, or when the OPT record is not the last record (then the caller re-encodes it).
     * {@code maxTtl} caps how long it may be cached; {@code cacheable} false marks answers that must not be.
     */
    static WireAnswer of(byte[] msg, int len, long nowNanos, long maxTtl, boolean cacheable) {
        if (len < Wire.HEADER || Wire.u16(msg, 4) != 1) {
            return null;
        }
        int qEnd = Wire.skipName(msg, Wire.HEADER, len);
        if (qEnd < 0 || qEnd + 4 > len) {
            return null;
        }
        int qnameLen = qEnd - Wire.HEADER;
        qEnd += 4;
        int an = Wire.u16(msg, 6);
        int ns = Wire.u16(msg, 8);
        int ar = Wire.u16(msg, 10);
        int n = an + ns + ar;
        int[] rr = new int[4 * n];
        int p = qEnd;
        int kept = 0;
        int cut = -1;
        int prevHash = 0;
        int prevType = -1;
        int prevClass = -1;
        long minTtl = Long.MAX_VALUE;
        boolean extendedError = false;
        for (int i = 0; i < n; i++) {
            int nameEnd = Wire.skipName(msg, p, len);
            if (nameEnd < 0 || nameEnd + 10 > len) {
                return null;
            }
            int type = Wire.u16(msg, nameEnd);
            int cls = Wire.u16(msg, nameEnd + 2);
            int rdlen = Wire.u16(msg, nameEnd + 8);
            int end = nameEnd + 10 + rdlen;
            if (end > len) {
                return null;
            }
            if (type == Wire.TYPE_OPT) {
                if (i < an + ns || i != n - 1) {
                    return null; // OPT outside the end of the additional section: let dnsjava re-encode
                }
                extendedError = msg[nameEnd + 4] != 0; // upper RCODE bits (RFC 6891 §6.1.3), e.g. BADCOOKIE
                cut = p;
                ar--;
                break;
            }
            // RFC 2181 §8: a TTL with the top bit set is treated as zero.
            int t = msg[nameEnd + 4] < 0 ? 0 : Wire.u32(msg, nameEnd + 4);
            int h = Wire.nameHash(msg, p, len);
            boolean start = i == 0 || i == an || i == an + ns || type != prevType || cls != prevClass || h != prevHash;
            prevType = type;
            prevClass = cls;
            prevHash = h;
            rr[4 * kept] = nameEnd + 4;
            rr[4 * kept + 1] = t;
            rr[4 * kept + 2] = end;
            rr[4 * kept + 3] = start ? 1 : 0;
            kept++;
            if (i < an + ns) {
                long effective = t;
                if (type == Wire.TYPE_SOA && i >= an && rdlen >= 22) {
                    // RFC 2308 §5: a negative answer lives min(SOA TTL, SOA MINIMUM).
                    effective = Math.min(effective, Wire.u32(msg, end - 4) & 0xFFFFFFFFL);
                }
                minTtl = Math.min(minTtl, effective);
            }
            p = end;
        }
        if (cut < 0) {
            cut = p;
        }
        byte[] w = Arrays.copyOf(msg, cut);
        Wire.put16(w, 0, 0);
        int rc = w[3] & 0xF;
        if (extendedError) {
            rc = 2; // an extended RCODE we do not pass on: report SERVFAIL
            w[3] = (byte) ((w[3] & 0xF0) | rc);
            cacheable = false;
        }
        // We answer as a recursive service: QR and RA set; AA and TC cleared (RFC 1035 §4.1.1).
        w[2] = (byte) ((w[2] | 0x80) & ~0x06);
        w[3] = (byte) (w[3] | 0x80);
        Wire.put16(w, 10, ar);
        // RFC 2308 §5: negative answers without an SOA are not cached; only NOERROR and NXDOMAIN are cached.
        boolean ok = cacheable && (rc == 0 || rc == 3) && an + ns > 0 && minTtl != Long.MAX_VALUE;
        long ttlSeconds = ok ? Math.min(minTtl, maxTtl) : 0;
        return new WireAnswer(w, 0, w.length, 0, qEnd, qnameLen, an, ns, Arrays.copyOf(rr, 4 * kept), kept, nowNanos,
                nowNanos + ttlSeconds * NANOS, ok && ttlSeconds > 0);
    }

    int rcode() {
        return rcode;
    }

    int size() {
        return size;
    }

    boolean fresh(long nowNanos) {
        return nowNanos - expiresNanos < 0;
    }

    /** The stored wire bytes (ID zero, no OPT); for tests and re-parsing. */
    byte[] bytes() {
        return Arrays.copyOfRange(data, base, base + size);
    }

    /**
     * Writes this answer for one client into {@code out} (cleared first, flipped after). {@code q} holds the
     * client's query: its question name (at offset 12, {@code qnameLen} long) is copied over ours so that the
     * client sees its own letter case. Returns the RCODE, plus {@link #TRUNCATED} when TC=1 was set.
     */
    int render(ByteBuffer out, byte[] q, int id, int qflags, boolean edns, boolean dnssecOk, int limit,
               int ourUdpSize, long nowNanos) {
        out.clear();
        int optLen = edns ? 11 : 0;
        int cut = size;
        int n = records;
        int[] r = rr;
        int keep = n;
        boolean tc = false;
        if (cut + optLen > limit) {
            // Keep whole RRsets only; cutting the answer or authority sets TC, the additional section does not.
            cut = questionEnd;
            keep = 0;
            int i = 0;
            while (i < n) {
                int j = i + 1;
                while (j < n && r[4 * j + 3] == 0) {
                    j++;
                }
                int end = r[4 * (j - 1) + 2];
                if (end + optLen > limit) {
                    tc = i < an + ns;
                    break;
                }
                cut = end;
                keep = j;
                i = j;
            }
        }
        out.put(data, base, cut);
        out.putShort(0, (short) id);
        int b2 = 0x80 | (tc ? 0x02 : 0) | ((qflags >>> 8) & 0x01);
        boolean showAd = ad && (dnssecOk || (qflags & Wire.FLAG_AD) != 0); // RFC 6840 §5.8
        int b3 = 0x80 | (showAd ? 0x20 : 0) | (qflags & Wire.FLAG_CD) | rcode;
        out.put(2, (byte) b2);
        out.put(3, (byte) b3);
        if (keep < n) {
            int kAn = Math.min(keep, an);
            int kNs = Math.min(Math.max(keep - an, 0), ns);
            out.putShort(6, (short) kAn);
            out.putShort(8, (short) kNs);
            out.putShort(10, (short) (keep - kAn - kNs));
        }
        if (q != null) {
            out.put(Wire.HEADER, q, Wire.HEADER, qnameLen);
        }
        long age = (nowNanos - storedNanos) / NANOS;
        if (age > 0) {
            for (int i = 0; i < keep; i++) {
                out.putInt(r[4 * i], (int) Math.max(0, r[4 * i + 1] - age));
            }
        }
        if (edns) {
            out.putShort(10, (short) (out.getShort(10) + 1));
            WireQuery.putOpt(out, ourUdpSize, 0, dnssecOk);
        }
        out.flip();
        return rcode | (tc ? TRUNCATED : 0);
    }
}
