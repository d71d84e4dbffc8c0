package io.xlatbox.engine;

import io.xlatbox.engine.addr.Rfc6052Prefix;
import io.xlatbox.engine.nat64.StatefulNat64;
import io.xlatbox.engine.xlat.AddressMapping;
import io.xlatbox.engine.xlat.Fragmenter;
import io.xlatbox.engine.xlat.IcmpErrorOriginator;
import io.xlatbox.engine.xlat.StatelessMapping;
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
 * <p>A translator is one worker: call it from one thread at a time. {@link #process(Side, ByteBuffer, int, int,
 * PacketSink)} allocates nothing; {@link #process(Side, byte[])} is the convenient form for tests and tools.
 */
public final class Translator {
    private final Clock clock;
    private final Counters counters;
    private final XlatContext ctx;
    private final Translate6to4 to4;
    private final Translate4to6 to6;
    private final StatefulNat64 nat64;
    private final ByteBuffer[] hairpinBuffers = {
        ByteBuffer.allocateDirect(XlatContext.BUFFER_SIZE), ByteBuffer.allocateDirect(XlatContext.BUFFER_SIZE)};
    private int hairpinDepth;
    private final PacketSink egress = this::egress;
    private PacketSink out;
    private EngineConfig config;
    private long lastSweepSecond = Long.MIN_VALUE;

    private Translator(EngineConfig config, Clock clock, Counters counters, AddressMapping mapping,
                       StatefulNat64 nat64) {
        this.config = config;
        this.clock = clock;
        this.counters = counters;
        this.nat64 = nat64;
        this.ctx = new XlatContext(mapping, counters.newStripe(), config);
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

    /** Stateful NAT64 (RFC 6146) with the given configuration. */
    public static Translator stateful(EngineConfig config, Clock clock) {
        StatefulNat64 n = new StatefulNat64(config);
        return new Translator(config, clock, new Counters(), n, n);
    }

    /**
     * Stateless translation (SIIT, RFC 7915 with RFC 6052 addresses): every address is embedded in or extracted
     * from {@code prefix}; {@code config} supplies MTUs, options and the error source addresses. The CLAT uses
     * this with its own prefix.
     */
    public static Translator stateless(Rfc6052Prefix prefix, EngineConfig config, Clock clock) {
        return new Translator(config, clock, new Counters(), new StatelessMapping(prefix, config.ownIpv4Address()),
                null);
    }

    /**
     * Translates one packet: {@code [off, off+len)} of {@code buf} is an IP packet received on {@code from}.
     * The packet's bytes, and bytes before {@code off}, may be overwritten. Every emitted packet is handed to
     * {@code sink} before this method returns.
     */
    public void process(Side from, ByteBuffer buf, int off, int len, PacketSink sink) {
        out = sink;
        ctx.config = config;
        ctx.now = clock.millis();
        runTimersIfDue();
        if (from == Side.IPV6) {
            counters.stripeInc(ctx.counters, Counter.RECEIVED_IPV6, Counter.RECEIVED_BYTES_IPV6, len);
            to4.translate(buf, off, len, true);
        } else {
            counters.stripeInc(ctx.counters, Counter.RECEIVED_IPV4, Counter.RECEIVED_BYTES_IPV4, len);
            to6.translate(buf, off, len, true);
        }
        if (nat64 != null) {
            flushHeldFragments();
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
        process(from, b, XlatContext.HEADROOM, packet.length, (side, buf, o, l) -> {
            byte[] copy = new byte[l];
            buf.get(o, copy);
            result.add(new Output(side, copy));
        });
        return result;
    }

    /** Runs the timers now (session expiry, held SYNs and fragments); may emit probes and ICMP errors. */
    public void expire(PacketSink sink) {
        out = sink;
        ctx.config = config;
        ctx.now = clock.millis();
        if (nat64 != null) {
            nat64.expire(ctx.now);
        }
        lastSweepSecond = ctx.now / 1000;
    }

    /** {@link #expire(PacketSink)} that collects what it emits. */
    public List<Output> expire() {
        List<Output> result = new ArrayList<>();
        expire((side, buf, o, l) -> {
            byte[] copy = new byte[l];
            buf.get(o, copy);
            result.add(new Output(side, copy));
        });
        return result;
    }

    private void runTimersIfDue() {
        long second = ctx.now / 1000;
        if (second != lastSweepSecond && nat64 != null) {
            lastSweepSecond = second;
            nat64.expire(ctx.now);
        }
    }

    private void flushHeldFragments() {
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
            try {
                ctx.count(Counter.HAIRPINNED);
                to6.translate(copy, at, len, false);
            } finally {
                hairpinDepth--;
            }
            return;
        }
        out.emit(side, buf, off, len);
    }

    /** Swaps in a new configuration; returns the number of sessions the change dropped. Same thread as process. */
    public int apply(EngineConfig next) {
        ctx.now = clock.millis();
        config = next;
        ctx.config = next;
        return nat64 != null ? nat64.apply(next) : 0;
    }

    /** How many sessions {@link #apply} would drop for this configuration. */
    public int sessionsDroppedBy(EngineConfig next) {
        return nat64 != null ? nat64.sessionsDroppedBy(next) : 0;
    }

    public EngineConfig config() {
        return config;
    }

    public Counters counters() {
        return counters;
    }

    /** The stateful tables, or null for a stateless translator. */
    public StatefulNat64 nat64() {
        return nat64;
    }
}
