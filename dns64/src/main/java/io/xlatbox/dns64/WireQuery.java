package io.xlatbox.dns64;

import java.nio.ByteBuffer;

/**
 * A client query read straight off the wire, without building objects: header, question, and the EDNS(0) OPT
 * record (RFC 6891). It also builds the cache key: the lowercased query name, QTYPE, QCLASS and the bits that
 * change the answer (DO, CD, whether the client gets synthesis). One instance per listener thread, reused.
 */
final class WireQuery {
    /** Parse results. */
    static final int OK = 0;
    static final int DROP_SHORT = 1;
    static final int DROP_RESPONSE = 2;
    static final int FORMERR = 3;
    static final int NOTIMP = 4;
    static final int BADVERS = 5;
    static final int REFUSED = 6;

    static final int KEY_DO = 1;
    static final int KEY_CD = 2;
    static final int KEY_SYNTHESIS = 4;

    byte[] buf;
    int len;
    int id;
    int flags;
    int opcode;
    int qnameLen;
    int qtype;
    int qclass;
    int questionEnd;
    boolean questionOk;
    boolean edns;
    int ednsVersion;
    int udpSize;
    boolean dnssecOk;

    final CacheKey key = new CacheKey(new byte[256 + 5], 0, 0);
    private int qnameHash;

    /** Reads the query in {@code b[0, len)}; returns OK or what to do instead of answering. */
    int parse(byte[] b, int len) {
        this.buf = b;
        this.len = len;
        questionOk = false;
        edns = false;
        dnssecOk = false;
        ednsVersion = 0;
        udpSize = 512;
        if (len < Wire.HEADER) {
            return DROP_SHORT;
        }
        id = Wire.u16(b, 0);
        flags = Wire.u16(b, 2);
        if ((flags & Wire.FLAG_QR) != 0) {
            return DROP_RESPONSE; // never answer a response: two servers could ping-pong forever
        }
        opcode = (flags >>> 11) & 0xF;
        int qd = Wire.u16(b, 4);
        int others = Wire.u16(b, 6) + Wire.u16(b, 8);
        int ar = Wire.u16(b, 10);
        if (qd != 1) {
            return opcode != 0 ? NOTIMP : FORMERR;
        }
        // The question name: uncompressed labels, at most 255 octets (RFC 1035 §2.3.4), lowercased into the key.
        byte[] k = key.bytes;
        int p = Wire.HEADER;
        int h = 1;
        while (true) {
            if (p >= len) {
                return FORMERR;
            }
            int l = b[p] & 0xFF;
            if (l > 63 || p + 1 + l > len || p - Wire.HEADER + 1 + l > 255) {
                return FORMERR; // compression pointer, reserved label type, or too long
            }
            k[p - Wire.HEADER] = (byte) l;
            h = 31 * h + l;
            for (int i = p + 1; i <= p + l; i++) {
                int c = Wire.lower(b[i]);
                k[i - Wire.HEADER] = (byte) c;
                h = 31 * h + c;
            }
            p += 1 + l;
            if (l == 0) {
                break;
            }
        }
        qnameLen = p - Wire.HEADER;
        qnameHash = h;
        if (p + 4 > len) {
            return FORMERR;
        }
        qtype = Wire.u16(b, p);
        qclass = Wire.u16(b, p + 2);
        questionEnd = p + 4;
        questionOk = true;
        if (opcode != 0) {
            return NOTIMP;
        }
        // Skip answer and authority records (a query has none, but tolerate them); find OPT among the additional.
        p = questionEnd;
        for (int i = 0; i < others + ar; i++) {
            int nameEnd = Wire.skipName(b, p, len);
            if (nameEnd < 0 || nameEnd + 10 > len) {
                return FORMERR;
            }
            int type = Wire.u16(b, nameEnd);
            int rdlen = Wire.u16(b, nameEnd + 8);
            if (nameEnd + 10 + rdlen > len) {
                return FORMERR;
            }
            if (type == Wire.TYPE_OPT && i >= others) {
                if (edns || b[p] != 0) {
                    return FORMERR; // RFC 6891 §6.1.1: one OPT, owned by the root
                }
                edns = true;
                udpSize = Math.max(512, Wire.u16(b, nameEnd + 2)); // §6.2.5: values below 512 mean 512
                ednsVersion = b[nameEnd + 5] & 0xFF;
                dnssecOk = (b[nameEnd + 6] & 0x80) != 0;
            }
            p = nameEnd + 10 + rdlen;
        }
        if (edns && ednsVersion > 0) {
            return BADVERS; // RFC 6891 §6.1.3
        }
        if (qtype == Wire.TYPE_OPT) {
            return FORMERR;
        }
        if (qtype == Wire.TYPE_AXFR || qtype == Wire.TYPE_IXFR) {
            return NOTIMP; // zone transfers are not forwarded
        }
        return OK;
    }

    /** Completes the cache key for a client that does or does not get synthesis. */
    void finishKey(boolean synthesis) {
        byte[] k = key.bytes;
        int n = qnameLen;
        Wire.put16(k, n, qtype);
        Wire.put16(k, n + 2, qclass);
        int bits = (dnssecOk ? KEY_DO : 0) | ((flags & Wire.FLAG_CD) != 0 ? KEY_CD : 0) | (synthesis ? KEY_SYNTHESIS : 0);
        k[n + 4] = (byte) bits;
        int h = qnameHash;
        h = 31 * h + qtype;
        h = 31 * h + qclass;
        h = 31 * h + bits;
        key.set(n + 5, h ^ (h >>> 16));
    }

    boolean checkingDisabled() {
        return (flags & Wire.FLAG_CD) != 0;
    }

    /** UDP size limit for the response: 512 without EDNS, else the client's size capped by ours (RFC 6891 §6.2.5). */
    int udpLimit(int ours) {
        return edns ? Math.min(udpSize, ours) : 512;
    }

    /**
     * Writes an error response (FORMERR, NOTIMP, REFUSED, SERVFAIL or BADVERS) into {@code out} from position 0:
     * the question is echoed when it could be read, and an OPT record is added when the query had one.
     */
    static void writeError(ByteBuffer out, byte[] q, int id, int qflags, boolean questionOk, int questionEnd,
                           boolean edns, boolean dnssecOk, int rcode, int ourUdpSize) {
        out.clear();
        out.putShort((short) id);
        int opcode = (qflags >>> 11) & 0xF;
        int f = Wire.FLAG_QR | opcode << 11 | (qflags & (Wire.FLAG_RD | Wire.FLAG_CD)) | Wire.FLAG_RA | (rcode & 0xF);
        out.putShort((short) f);
        out.putShort((short) (questionOk ? 1 : 0));
        out.putShort((short) 0);
        out.putShort((short) 0);
        out.putShort((short) (edns ? 1 : 0));
        if (questionOk) {
            out.put(q, Wire.HEADER, questionEnd - Wire.HEADER);
        }
        if (edns) {
            putOpt(out, ourUdpSize, rcode >>> 4, dnssecOk);
        }
        out.flip();
    }

    /** An OPT pseudo-RR (RFC 6891 §6.1.2) with no options. */
    static void putOpt(ByteBuffer out, int udpSize, int extendedRcode, boolean dnssecOk) {
        out.put((byte) 0);
        out.putShort((short) Wire.TYPE_OPT);
        out.putShort((short) udpSize);
        out.put((byte) extendedRcode);
        out.put((byte) 0); // version 0
        out.putShort((short) (dnssecOk ? 0x8000 : 0));
        out.putShort((short) 0);
    }

    void writeError(ByteBuffer out, int rcode, int ourUdpSize) {
        writeError(out, buf, id, flags, questionOk, questionEnd, edns, dnssecOk, rcode, ourUdpSize);
    }
}
