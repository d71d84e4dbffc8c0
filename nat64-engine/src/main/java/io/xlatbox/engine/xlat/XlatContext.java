package io.xlatbox.engine.xlat;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.Counters;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.PacketSink;
import io.xlatbox.engine.Side;
import io.xlatbox.engine.packet.Icmpv4Header;
import io.xlatbox.engine.packet.Icmpv6Header;
import io.xlatbox.engine.packet.Ipv4Header;
import io.xlatbox.engine.packet.Ipv6Extensions;
import io.xlatbox.engine.packet.Ipv6FragmentHeader;
import io.xlatbox.engine.packet.Ipv6Header;
import io.xlatbox.engine.packet.TcpHeader;
import io.xlatbox.engine.packet.UdpHeader;
import java.nio.ByteBuffer;

/**
 * One worker's translation state: the flyweights, the reusable tuple and scratch buffers, its counter stripe,
 * the configuration snapshot of the packet being translated and the clock reading taken for it. Not shared
 * between threads; nothing in it is allocated per packet.
 */
public final class XlatContext {
    /** Room kept in front of packets built in scratch, so that a hairpinned packet can grow in place. */
    public static final int HEADROOM = 64;
    /** Largest IP packet plus headroom. */
    public static final int BUFFER_SIZE = 65536 + 2 * HEADROOM;

    public final AddressMapping mapping;
    public final Counters.Stripe counters;
    public final Tuple tuple = new Tuple();
    /** Offload state (GSO, partial checksum) of the packet being translated, from the TUN's virtio-net header. */
    public final io.xlatbox.engine.Offload offloadIn = new io.xlatbox.engine.Offload();
    /** Offload state of the packet being emitted; cleared for everything but the translated packet itself. */
    public final io.xlatbox.engine.Offload offloadOut = new io.xlatbox.engine.Offload();
    final ErrorPayload errorPayload = new ErrorPayload();
    public final Ipv4Header ip4 = new Ipv4Header();
    public final Ipv4Header innerIp4 = new Ipv4Header();
    public final Ipv6Header ip6 = new Ipv6Header();
    public final Ipv6Header innerIp6 = new Ipv6Header();
    public final Ipv6Extensions ext = new Ipv6Extensions();
    public final Ipv6Extensions innerExt = new Ipv6Extensions();
    public final Ipv6FragmentHeader frag = new Ipv6FragmentHeader();
    public final TcpHeader tcp = new TcpHeader();
    public final UdpHeader udp = new UdpHeader();
    public final Icmpv4Header icmp4 = new Icmpv4Header();
    public final Icmpv6Header icmp6 = new Icmpv6Header();
    /** Where errors and fragments are built. */
    public final ByteBuffer scratch = ByteBuffer.allocateDirect(BUFFER_SIZE);
    /** Where an IPv4 packet without headroom is copied so that its IPv6 header fits in front of it. */
    public final ByteBuffer headroomCopy = ByteBuffer.allocateDirect(BUFFER_SIZE);

    public EngineConfig config;
    /** Clock reading for the packet being processed, in milliseconds. */
    public long now;
    public PacketSink sink;
    /** Set when the mapping asked for the packet to be processed by the worker holding the writer role. */
    public boolean handoff;
    private int nextId;

    public XlatContext(AddressMapping mapping, Counters.Stripe counters, EngineConfig config) {
        this.mapping = mapping;
        this.counters = counters;
        this.config = config;
        this.nextId = (int) System.nanoTime();
    }

    public void count(Counter c) {
        counters.inc(c);
    }

    /** Identification for a translated DF=0 IPv4 datagram (RFC 6864 §4: unique per source, destination, protocol). */
    public int nextIpv4Id() {
        nextId += 0x9E3779B9 >>> 16;
        return nextId & 0xFFFF;
    }

    public int nextFragmentId() {
        nextId += 0x9E3779B9;
        return nextId;
    }

    public void emit(Side side, ByteBuffer buf, int off, int len) {
        if (side == Side.IPV4) {
            counters.inc(Counter.TRANSLATED_6TO4);
            counters.add(Counter.TRANSLATED_BYTES_6TO4, len);
        } else {
            counters.inc(Counter.TRANSLATED_4TO6);
            counters.add(Counter.TRANSLATED_BYTES_4TO6, len);
        }
        sink.emit(side, buf, off, len);
    }
}
