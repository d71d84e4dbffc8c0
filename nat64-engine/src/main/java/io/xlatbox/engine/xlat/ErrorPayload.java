package io.xlatbox.engine.xlat;

import java.nio.ByteBuffer;

/**
 * Lays out the quoted packet of a translated ICMP error (RFC 7915 §4.3/§5.3) and its RFC 4884 extension, within
 * the size limit of the target family: 576 bytes for ICMPv4, 1280 for ICMPv6. With an extension, the translated
 * original datagram is zero-padded to the target's length unit (4 or 8 bytes) and to at least 128 bytes, the
 * extension is kept whole when it fits after those first 128 bytes and dropped otherwise (Jool's reading of
 * §4.2's "SHOULD be truncated").
 */
final class ErrorPayload {
    /** Offset just past the ICMP message built. */
    int end;
    /** Bytes of the inner transport segment copied. */
    int copied;
    /** The RFC 4884 length attribute to write, in units of the target family; 0 without extension. */
    int lengthAttribute;

    /**
     * Copies {@code innerData} bytes of the inner segment from {@code src[data..]} to {@code out[payloadOut..]},
     * after translated inner headers of {@code innerHeaders} bytes starting at {@code innerOut}, plus the
     * extension {@code src[ext, ext+extLen)} if any.
     */
    void build(ByteBuffer out, int innerOut, int innerHeaders, int limit, int unit, ByteBuffer src, int data,
               int innerData, int ext, int extLen) {
        int payloadOut = innerOut + innerHeaders;
        int padded = 0;
        if (extLen > 0) {
            padded = Math.max(128, (innerHeaders + innerData + unit - 1) & -unit);
            if (innerOut + padded + extLen > limit) {
                padded = Math.max(128, (limit - innerOut - extLen) & -unit);
                if (innerOut + padded + extLen > limit) {
                    extLen = 0;
                }
            }
        }
        copied = extLen > 0 ? Math.min(innerData, padded - innerHeaders) : Math.min(innerData, limit - payloadOut);
        out.put(payloadOut, src, data, copied);
        end = payloadOut + copied;
        lengthAttribute = 0;
        if (extLen > 0) {
            int padEnd = innerOut + padded;
            for (int i = end; i < padEnd; i++) {
                out.put(i, (byte) 0);
            }
            out.put(padEnd, src, ext, extLen);
            end = padEnd + extLen;
            lengthAttribute = padded / unit;
        }
    }
}
