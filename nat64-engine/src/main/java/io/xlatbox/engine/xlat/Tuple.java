package io.xlatbox.engine.xlat;

import io.xlatbox.engine.Counter;
import java.nio.ByteBuffer;

/**
 * What the address mapping needs to know about one packet, and what it answers: the translator fills the
 * incoming fields, the mapping fills the outgoing ones. One instance per worker is reused for every packet.
 * For ICMP queries both ports hold the identifier. For the inner packet of an ICMP error the translator fills
 * the tuple reversed (as if the inner packet flowed the same way as the error) and sets {@link #errorLookup}.
 */
public final class Tuple {
    // ---- incoming ----
    /** IPv4 protocol number of the transport: 6, 17 or 1 (ICMPv6 is reported as 1), or another number. */
    public int protocol;
    public long src6Hi;
    public long src6Lo;
    public long dst6Hi;
    public long dst6Lo;
    public int src4;
    public int dst4;
    public int srcPort;
    public int dstPort;
    public int tcpFlags;
    /** True for echo requests (ICMP queries); false for replies. */
    public boolean icmpRequest;
    /** The packet is a fragment; ports are only known when {@link #firstFragment} is true. */
    public boolean fragment;
    public boolean firstFragment;
    public boolean moreFragments;
    public int fragmentId;
    /** The tuple describes the inner packet of an ICMP error: look up, never create or refresh state. */
    public boolean errorLookup;
    /** The whole packet, for mappings that must keep a copy (a stored SYN, a queued fragment). */
    public ByteBuffer packet;
    public int packetOffset;
    public int packetLength;

    // ---- outgoing ----
    public long out6SrcHi;
    public long out6SrcLo;
    public long out6DstHi;
    public long out6DstLo;
    public int out4Src;
    public int out4Dst;
    public int outSrcPort;
    public int outDstPort;
    /** When the verdict is DROP: the counter to bump. */
    public Counter drop;
    /** Source of a translated ICMP error, decided by {@link AddressMapping#errorSource6to4} or its mirror. */
    public int errorSource4;
    public long errorSource6Hi;
    public long errorSource6Lo;
    /** When non-negative: the ICMP error (type/code in the sender's family) to send back for a dropped packet. */
    public int errorType;
    public int errorCode;
    public int errorParam;

    public void reset() {
        tcpFlags = 0;
        icmpRequest = false;
        fragment = false;
        firstFragment = true;
        moreFragments = false;
        fragmentId = 0;
        errorLookup = false;
        srcPort = 0;
        dstPort = 0;
        errorType = -1;
        drop = Counter.DROP_MALFORMED;
        errorCode = 0;
        errorParam = 0;
    }
}
