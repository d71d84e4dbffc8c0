package io.xlatbox.engine.packet;

import java.nio.ByteBuffer;

/**
 * Walks the IPv6 extension header chain (RFC 8200 §4) once and records what RFC 7915 §5.1 needs: where the
 * upper-layer header starts, the fragment header if any, and an unexpired routing header.
 */
public final class Ipv6Extensions {
    /** Longest chain we follow; a longer one is treated as malformed rather than walked without bound. */
    public static final int MAX_HEADERS = 8;

    public static final int OK = 0;
    /** A header runs past the end of the packet, or the chain is too long. */
    public static final int TRUNCATED = 1;
    /** Hop-by-Hop Options not directly after the IPv6 header (RFC 8200 §4.1). */
    public static final int MISPLACED_HOP_BY_HOP = 2;

    private int upperProtocol;
    private int upperOffset;
    private int fragmentOffset;
    private int segmentsLeftOffset;
    private int hopByHopOffset;

    /**
     * Parses the chain of the packet whose IPv6 header starts at {@code ipOffset} and which ends at {@code end}.
     *
     * @return {@link #OK} or a malformation code
     */
    public int parse(ByteBuffer buf, int ipOffset, int end) {
        int next = buf.get(ipOffset + 6) & 0xFF;
        int pos = ipOffset + Ipv6Header.LENGTH;
        fragmentOffset = -1;
        segmentsLeftOffset = -1;
        hopByHopOffset = -1;
        for (int n = 0; ; n++) {
            switch (next) {
                case IpProtocol.HOPOPT:
                case IpProtocol.IPV6_ROUTE:
                case IpProtocol.IPV6_OPTS: {
                    if (n >= MAX_HEADERS || pos + 8 > end) {
                        return TRUNCATED;
                    }
                    if (next == IpProtocol.HOPOPT) {
                        if (n != 0) {
                            return MISPLACED_HOP_BY_HOP;
                        }
                        hopByHopOffset = pos;
                    }
                    if (next == IpProtocol.IPV6_ROUTE && (buf.get(pos + 3) & 0xFF) != 0 && segmentsLeftOffset < 0) {
                        segmentsLeftOffset = pos + 3;
                    }
                    int len = ((buf.get(pos + 1) & 0xFF) + 1) << 3;
                    if (pos + len > end) {
                        return TRUNCATED;
                    }
                    next = buf.get(pos) & 0xFF;
                    pos += len;
                    break;
                }
                case IpProtocol.IPV6_FRAG: {
                    if (n >= MAX_HEADERS || pos + Ipv6FragmentHeader.LENGTH > end || fragmentOffset >= 0) {
                        return TRUNCATED;
                    }
                    fragmentOffset = pos;
                    next = buf.get(pos) & 0xFF;
                    pos += Ipv6FragmentHeader.LENGTH;
                    // Headers after a non-first fragment's fragment header are not there to read.
                    if ((buf.getShort(pos - 6) & 0xFFF8) != 0) {
                        upperProtocol = next;
                        upperOffset = pos;
                        return OK;
                    }
                    break;
                }
                default:
                    upperProtocol = next;
                    upperOffset = pos;
                    return OK;
            }
        }
    }

    /** Protocol of the upper layer: the Next Header of the last extension header. */
    public int upperProtocol() { return upperProtocol; }
    /** Absolute offset of the upper-layer header (or of the fragment data in a non-first fragment). */
    public int upperOffset() { return upperOffset; }
    /** Absolute offset of the fragment header, or -1. */
    public int fragmentOffset() { return fragmentOffset; }
    public boolean hasFragmentHeader() { return fragmentOffset >= 0; }
    /** Absolute offset of the Segments Left field of a routing header with Segments Left != 0, or -1. */
    public int segmentsLeftOffset() { return segmentsLeftOffset; }
    public int hopByHopOffset() { return hopByHopOffset; }
}
