package io.xlatbox.engine;

import io.xlatbox.engine.addr.Rfc6052Prefix;
import io.xlatbox.engine.nat64.StatefulNat64;
import io.xlatbox.engine.xlat.AddressMapping;
import io.xlatbox.engine.xlat.Fragmenter;
import io.xlatbox.engine.xlat.Segmenter;
import io.xlatbox.engine.xlat.IcmpErrorOriginator;
import io.xlatbox.engine.xlat.Translate4to6;
import io.xlatbox.engine.xlat.Translate6to4;
import io.xlatbox.engine.xlat.XlatContext;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The packet-level API: one IP packet in (raw bytes from the IP header, arriving on a side), zero or more IP
 * packets out, each tagged with the side it leaves on. The output includes the ICMP errors the translator
 * originates. Time comes from the given clock; timers run as packets arrive and on {@link #expire()}.
 *
 * <p>A translator is one worker: call it from one thread at a time. Several workers of one {@link TranslatorGroup}
 * share the NAT64 state. {@link #process(Side, ByteBuffer, int, int, PacketSink)} allocates nothing, takes no lock
 * and never waits; {@link #process(Side, byte[])} is the convenient form for tests and tools.
 */
public final class Translator {
    private final TranslatorGroup group;
    private final Clock clock;
    private final XlatContext ctx;
    private final Translate6to4 to4;
    private final Translate4to6 to6;
    private final StatefulNat64 nat64;
    private final ByteBuffer[] hairpinBuffers = {
        ByteBuffer.allocateDirect(XlatContext.BUFFER_SIZE), ByteBuffer.allocateDirect(XlatContext.BUFFER_SIZE)};
    private int hairpinDepth;
    private final PacketSink egress = this::egress;
    private final Segmenter segmenter;
    private final Offload noOffload = new Offload();
    private final Offload savedOffload = new Offload();
    private Side handOffSide;
    private boolean handOffDecrement;
    private final Segmenter.SegmentSink queueSegment =
            (b, o, l) -> offer(handOffSide, handOffDecrement, b, o, l, noOffload);
    private PacketSink out;
    /**
     * Only three things make a worker look at the queue and the timers after a packet: it holds the writer role,
     * it has just queued a packet (the holder may have let go meanwhile), or a quarter second has passed.
     * Whoever releases the role looks at the queue once more, so nothing queued is left behind.
     */
    private boolean handedOff;
    private long nextTimerCheck;

    Translator(TranslatorGroup group, AddressMapping mapping) {
        this.group = group;
        this.clock = group.clock();
        this.nat64 = mapping instanceof StatefulNat64 ? (StatefulNat64) mapping : null;
        this.ctx = new XlatContext(mapping, group.counters().newStripe(), group.config());
        this.segmenter = new Segmenter(Math.max(group.config().ipv6Mtu(), group.config().ipv4Mtu()));
        IcmpErrorOriginator errors = new IcmpErrorOriginator(ctx);
        Fragmenter fragmenter = new Fragmenter(ctx);
        this.to4 = new Translate6to4(ctx, errors, fragmenter);
        this.to6 = new Translate4to6(ctx, errors, fragmenter);
        if (nat64 != null) {
            nat64.bind(ctx, errors);
        }
        ctx.now = clock.millis();
        ctx.sink = egress;
    }

    /** Stateful NAT64 (RFC 6146) with the given configuration, as a single worker. */
    public static Translator stateful(EngineConfig config, Clock clock) {
        return TranslatorGroup.stateful(config, clock).newWorker();
    }

    /**
     * Stateless translation (SIIT, RFC 7915 with RFC 6052 addresses): every address is embedded in or extracted
     * from {@code prefix}; {@code config} supplies MTUs, options and the error source addresses. The CLAT uses
     * this with its own prefix.
     */
    public static Translator stateless(Rfc6052Prefix prefix, EngineConfig config, Clock clock) {
        return TranslatorGroup.stateless(prefix, config, clock).newWorker();
    }

    /** Takes the configuration snapshot and the time for what follows (one packet, or a timer run). */
    void prepare() {
        ctx.config = group.config();
        ctx.now = clock.millis();
    }

    /**
     * Translates one packet: {@code [off, off+len)} of {@code buf} is an IP packet received on {@code from}.
     * The packet's bytes, and bytes before {@code off}, may be overwritten. Every emitted packet is handed to
     * {@code sink} before this method returns.
     */
    public void process(Side from, ByteBuffer buf, int off, int len, PacketSink sink) {
        out = sink;
        prepare();
        if (nat64 == null) {
            translate(from, buf, off, len, true);
            ctx.offloadIn.clear();
            return;
        }
        nat64.beginPacket();
        try {
            translate(from, buf, off, len, true);
            if (ctx.handoff) {
                handOff(from, true, buf, off, len);
                handedOff = true;
            }
            if (nat64.holdsWriter() || handedOff || ctx.now >= nextTimerCheck) {
                serveIfDue();
            }
        } finally {
            ctx.offloadIn.clear();
            nat64.endPacket();
        }
    }

    /**
     * Without a packet: serves the packets other workers queued for the writer role, and the timers, if either
     * is due and the role is free. A worker calls it when its queue is idle.
     */
    public void serve(PacketSink sink) {
        if (nat64 == null) {
            return;
        }
        out = sink;
        prepare();
        nat64.beginPacket();
        try {
            serveIfDue();
        } finally {
            nat64.endPacket();
        }
    }

    private void translate(Side from, ByteBuffer buf, int off, int len, boolean decrement) {
        if (from == Side.IPV6) {
            ctx.counters.inc(Counter.RECEIVED_IPV6);
            ctx.counters.add(Counter.RECEIVED_BYTES_IPV6, len);
            to4.translate(buf, off, len, decrement);
        } else {
            ctx.counters.inc(Counter.RECEIVED_IPV4);
            ctx.counters.add(Counter.RECEIVED_BYTES_IPV4, len);
            to6.translate(buf, off, len, decrement);
        }
    }

    /**
     * The packet needs the writer role, which another worker holds: queue it for that worker. A super-packet is
     * queued as its segments (the queue holds MTU-sized packets).
     */
    private void handOff(Side from, boolean decrement, ByteBuffer buf, int off, int len) {
        ctx.handoff = false;
        if (ctx.offloadIn.isGso()) {
            handOffSide = from;
            handOffDecrement = decrement;
            if (!segmenter.segment(buf, off, len, ctx.offloadIn, queueSegment)) {
                ctx.count(Counter.DROP_GSO_UNSUPPORTED);
            }
            return;
        }
        offer(from, decrement, buf, off, len, ctx.offloadIn);
    }

    private void offer(Side from, boolean decrement, ByteBuffer buf, int off, int len, Offload offload) {
        if (group.slowPath.offer(from, decrement, buf, off, len, offload)) {
            ctx.count(Counter.SLOW_PATH_QUEUED);
        } else {
            ctx.count(Counter.DROP_SLOW_PATH_FULL);
        }
    }

    /**
     * Whoever holds the writer role serves the queued packets, the timers and the held fragments before giving
     * it back, and looks once more after giving it back so that no packet queued meanwhile is left waiting.
     */
    private void serveIfDue() {
        handedOff = false;
        nextTimerCheck = ctx.now + 250;
        if (!nat64.holdsWriter()) {
            if ((group.slowPath.isEmpty() && !timersDue()) || !nat64.tryWriter()) {
                return;
            }
        }
        do {
            for (int slot = group.slowPath.peek(); slot >= 0; slot = group.slowPath.peek()) {
                SlowPathQueue q = group.slowPath;
                q.offload(slot, ctx.offloadIn);
                translate(q.side(slot), q.buffer(), q.offset(slot), q.length(slot), q.decrement(slot));
                ctx.offloadIn.clear();
                q.release(slot);
            }
            if (timersDue()) {
                runTimersAsWriter();
            }
            flushHeldFragments();
            nat64.releaseWriter();
        } while (!group.slowPath.isEmpty() && nat64.tryWriter());
    }

    private boolean timersDue() {
        return ctx.now / 1000 != group.lastTimerSecond;
    }

    private void runTimersAsWriter() {
        group.lastTimerSecond = ctx.now / 1000;
        nat64.expire(ctx.now);
    }

    /** Runs the timers now, waiting for the writer role if need be (control plane). */
    void runTimers(PacketSink sink) {
        out = sink;
        prepare();
        if (nat64 != null) {
            nat64.acquireWriterBlocking();
            try {
                runTimersAsWriter();
                flushHeldFragments();
            } finally {
                nat64.releaseWriter();
            }
        }
    }

    /** One emitted packet, copied out of the translator's buffers. */
    public record Output(Side side, byte[] bytes) {
    }

    /** Convenience form of {@link #process(Side, ByteBuffer, int, int, PacketSink)}; allocates. */
    public List<Output> process(Side from, byte[] packet) {
        ByteBuffer b = ByteBuffer.allocate(packet.length + XlatContext.HEADROOM);
        b.put(XlatContext.HEADROOM, packet);
        List<Output> result = new ArrayList<>();
        process(from, b, XlatContext.HEADROOM, packet.length, collector(result));
        return result;
    }

    /** Runs the timers now (session expiry, held SYNs and fragments); returns the probes and errors emitted. */
    public List<Output> expire() {
        List<Output> result = new ArrayList<>();
        group.runTimers(collector(result));
        return result;
    }

    private static PacketSink collector(List<Output> result) {
        return (side, buf, o, l) -> {
            byte[] copy = new byte[l];
            buf.get(o, copy);
            result.add(new Output(side, copy));
        };
    }

    private void flushHeldFragments() {
        ctx.offloadIn.clear(); // fragments never carry offloads
        for (int slot = nat64.readyFragment6(); slot >= 0; slot = nat64.readyFragment6()) {
            var f = nat64.fragments(Side.IPV6);
            to4.translate(f.heldBuffer(), f.heldOffset(slot), f.heldLength(slot), true);
            f.release(slot);
        }
        for (int slot = nat64.readyFragment4(); slot >= 0; slot = nat64.readyFragment4()) {
            var f = nat64.fragments(Side.IPV4);
            to6.translate(f.heldBuffer(), f.heldOffset(slot), f.heldLength(slot), true);
            f.release(slot);
        }
    }

    /** RFC 6146 §3.8: an IPv4 packet for pool4 goes back through the IPv4-to-IPv6 path instead of out. */
    private void egress(Side side, ByteBuffer buf, int off, int len) {
        if (side == Side.IPV4 && nat64 != null && len >= 20 && nat64.isHairpin(buf.getInt(off + 16))
                && hairpinDepth < hairpinBuffers.length) {
            ByteBuffer copy = hairpinBuffers[hairpinDepth];
            int at = XlatContext.HEADROOM;
            copy.put(at, buf, off, len);
            hairpinDepth++;
            // The second pass takes the IPv4 packet with the offload state the first pass gave it.
            savedOffload.copyFrom(ctx.offloadIn);
            ctx.offloadIn.copyFrom(ctx.offloadOut);
            try {
                ctx.count(Counter.HAIRPINNED);
                to6.translate(copy, at, len, false);
                if (ctx.handoff) {
                    handOff(Side.IPV4, false, copy, at, len);
                }
            } finally {
                ctx.offloadIn.copyFrom(savedOffload);
                hairpinDepth--;
            }
            return;
        }
        out.emit(side, buf, off, len);
    }

    /** The offload state (GSO, partial checksum) of the next packet given to process; none unless set. */
    public Offload inputOffload() {
        return ctx.offloadIn;
    }

    /** The offload state of the packet being emitted, for a sink that writes virtio-net headers. */
    public Offload outputOffload() {
        return ctx.offloadOut;
    }

    /** Swaps in a new configuration; returns the number of sessions the change dropped. */
    public int apply(EngineConfig next) {
        return group.apply(next);
    }

    /** How many sessions {@link #apply} would drop for this configuration. */
    public int sessionsDroppedBy(EngineConfig next) {
        return group.sessionsDroppedBy(next);
    }

    public EngineConfig config() {
        return group.config();
    }

    public Counters counters() {
        return group.counters();
    }

    public TranslatorGroup group() {
        return group;
    }

    /** This worker's view of the stateful tables, or null for a stateless translator. */
    public StatefulNat64 nat64() {
        return nat64;
    }
}
