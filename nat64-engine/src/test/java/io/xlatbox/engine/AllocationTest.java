package io.xlatbox.engine;

import static io.xlatbox.engine.testutil.Pkt.icmp;
import static io.xlatbox.engine.testutil.Pkt.pattern;
import static io.xlatbox.engine.testutil.Pkt.tcp;
import static io.xlatbox.engine.testutil.Pkt.udp;
import static io.xlatbox.engine.testutil.Pkt.v4;
import static io.xlatbox.engine.testutil.Pkt.v6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.xlatbox.engine.addr.Pool4Entry;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import io.xlatbox.engine.testutil.Harness;
import io.xlatbox.engine.testutil.Pkt;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packet path allocates nothing: {@link Translator#process(Side, ByteBuffer, int, int, PacketSink)} on
 * pre-built packets in direct buffers, after a warm-up that lets the JIT compile it, is measured with the
 * per-thread allocation counter of HotSpot. The bound (4 KB per 100,000 packets) only tolerates noise such as a
 * late deoptimization; one allocation per packet would be at least 1.6 MB.
 *
 * <p>The clock moves one millisecond per packet, so the once-a-second timer sweep (session expiry) runs on the
 * measured path too.
 */
class AllocationTest {
    private static final int HEADROOM = 64;
    private static final int WARMUP = Integer.getInteger("allocation.warmup", 200_000);
    private static final int MEASURED = Integer.getInteger("allocation.measured", 100_000);
    private static final long BOUND = 4096;
    /** The used-port bitmap a pool4 address gets the first time it gives out a port: long[1024]. */
    private static final long BITMAP = 16 + 1024 * 8;

    private static com.sun.management.ThreadMXBean threads;

    private final PacketSink sink = this::count;
    private long emitted;
    private long emittedBytes;

    /** What a case does to the freshly copied packet before each call (ports, addresses); a stored lambda. */
    @FunctionalInterface
    interface Mutator {
        void apply(ByteBuffer packet, int offset, int i);
    }

    private static final Mutator NONE = (b, o, i) -> { };

    @BeforeAll
    static void meter() {
        threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "per-thread allocation counter not supported");
        threads.setThreadAllocatedMemoryEnabled(true);
    }

    private void count(Side side, ByteBuffer buf, int off, int len) {
        emitted++;
        emittedBytes += len;
    }

    private static long allocated() {
        return threads.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    /** A packet in a direct buffer, and the direct buffer with headroom that each call translates in place. */
    static final class Prepared {
        final byte[] bytes;
        final ByteBuffer pristine;
        final ByteBuffer work;
        final int length;

        Prepared(byte[] packet) {
            bytes = packet.clone();
            length = packet.length;
            pristine = ByteBuffer.allocateDirect(length);
            pristine.put(0, packet);
            work = ByteBuffer.allocateDirect(HEADROOM + length + 64);
        }
    }

    /** Runs n packets; the clock is set to start + i ms before each. */
    private void run(Translator t, ManualClock clock, long start, Side side, Prepared p, Mutator m, int from, int n) {
        ByteBuffer work = p.work;
        ByteBuffer pristine = p.pristine;
        int len = p.length;
        PacketSink s = sink;
        for (int i = from; i < from + n; i++) {
            clock.set(start + i);
            work.put(HEADROOM, pristine, 0, len);
            m.apply(work, HEADROOM, i);
            t.process(side, work, HEADROOM, len, s);
        }
    }

    /** Warm-up, then the bytes allocated by MEASURED calls. Also returns how the counters moved, for sanity. */
    private long measure(Translator t, ManualClock clock, Side side, Prepared p, Mutator m) {
        long start = clock.millis();
        run(t, clock, start, side, p, m, 0, WARMUP);
        long e0 = emitted;
        long before = allocated();
        run(t, clock, start, side, p, m, WARMUP, MEASURED);
        long after = allocated();
        lastEmitted = emitted - e0;
        return after - before;
    }

    private long lastEmitted;

    private static long get(Translator t, Counter c) {
        return t.counters().get(c);
    }

    private void assertAllocationFree(String what, long bytes) {
        assertAllocationFree(what, bytes, BOUND);
    }

    private void assertAllocationFree(String what, long bytes, long bound) {
        System.out.println("[allocation] " + what + ": " + bytes + " bytes over " + MEASURED + " packets");
        assertTrue(bytes < bound, what + ": " + bytes + " bytes allocated over " + MEASURED + " packets ("
                + (bytes / (double) MEASURED) + " per packet)");
    }

    private static Harness harness() {
        return new Harness(Harness.defaults().maxSessions(4096).build());
    }

    // -------------------------------------------------------------------------------------------- controls

    /** The meter works: a loop that allocates 16-byte arrays shows them. */
    @Test
    void meterSeesAllocations() {
        Object[] keep = new Object[1];
        long before = allocated();
        for (int i = 0; i < 10_000; i++) {
            keep[0] = new byte[16];
        }
        long bytes = allocated() - before;
        assertTrue(bytes >= 10_000 * 16, "the meter saw only " + bytes + " bytes");
    }

    /** The harness itself (copying the packet in, reading the meter) allocates nothing. */
    @Test
    void copyingThePacketInAllocatesNothing() {
        Prepared p = new Prepared(v6(Harness.V6_HOST, Harness.V4_HOST_6).with(udp(2000, 4000, pattern(100))));
        for (int i = 0; i < WARMUP; i++) {
            p.work.put(HEADROOM, p.pristine, 0, p.length);
        }
        long before = allocated();
        for (int i = 0; i < MEASURED; i++) {
            p.work.put(HEADROOM, p.pristine, 0, p.length);
        }
        assertAllocationFree("copy only", allocated() - before);
    }

    // --------------------------------------------------------------------------------------- stateful cases

    @Test
    void udp6to4OnExistingSession() {
        Harness h = harness();
        Prepared p = new Prepared(v6(Harness.V6_HOST, Harness.V4_HOST_6).with(udp(2000, 4000, pattern(100))));
        h.send6(p.bytes); // the session
        long sessions = h.count(Counter.SESSIONS_CREATED);
        long bytes = measure(h.translator, h.clock, Side.IPV6, p, NONE);
        assertEquals(MEASURED, lastEmitted, "every packet translated");
        assertEquals(sessions, h.count(Counter.SESSIONS_CREATED), "no new session");
        assertAllocationFree("UDP 6->4 existing session", bytes);
    }

    @Test
    void udp4to6OnExistingSession() {
        Harness h = harness();
        Prepared p = new Prepared(v4(Harness.V4_HOST, Harness.POOL4).with(udp(4000, 2000, pattern(100))));
        h.send4(p.bytes); // static BIB: the session
        long bytes = measure(h.translator, h.clock, Side.IPV4, p, NONE);
        assertEquals(MEASURED, lastEmitted, "every packet translated");
        assertEquals(1, h.count(Counter.SESSIONS_CREATED));
        assertAllocationFree("UDP 4->6 existing session", bytes);
    }

    @Test
    void tcp6to4Established() {
        Harness h = harness();
        h.one(h.send6(v6(Harness.V6_HOST, Harness.V4_HOST_6).with(tcp(2000, 80, 0x02, pattern(0)))), Side.IPV4);
        h.one(h.send4(v4(Harness.V4_HOST, Harness.POOL4).with(tcp(80, 2000, 0x12, pattern(0)))), Side.IPV6);
        Prepared p = new Prepared(v6(Harness.V6_HOST, Harness.V4_HOST_6).with(tcp(2000, 80, 0x10, pattern(500))));
        long bytes = measure(h.translator, h.clock, Side.IPV6, p, NONE);
        assertEquals(MEASURED, lastEmitted, "every packet translated");
        assertEquals(1, h.count(Counter.SESSIONS_CREATED));
        assertAllocationFree("TCP 6->4 established", bytes);
    }

    @Test
    void icmpEcho6to4() {
        Harness h = harness();
        Prepared p = new Prepared(v6(Harness.V6_HOST, Harness.V4_HOST_6).with(icmp(128, 0, 0x12340001, pattern(56))));
        long bytes = measure(h.translator, h.clock, Side.IPV6, p, NONE);
        assertEquals(MEASURED, lastEmitted, "every packet translated");
        assertEquals(1, h.count(Counter.SESSIONS_CREATED));
        assertAllocationFree("ICMP echo 6->4", bytes);
    }

    @Test
    void droppedForNoBibWithIcmpError() {
        Harness h = harness();
        Prepared p = new Prepared(v4(Harness.V4_HOST, Harness.POOL4).with(udp(4000, 2999, pattern(100))));
        long bytes = measure(h.translator, h.clock, Side.IPV4, p, NONE);
        assertEquals(WARMUP + MEASURED, h.count(Counter.DROP_NO_BIB));
        assertEquals(MEASURED, lastEmitted, "an ICMP Host Unreachable for each");
        assertAllocationFree("UDP 4->6 no BIB (dropped, ICMP error sent)", bytes);
    }

    @Test
    void droppedSilentlyAndRateLimited() {
        // A TCP segment that is not a SYN and matches nothing is dropped without an error; with a rate limit,
        // the no-BIB errors of UDP are mostly suppressed.
        Harness h = new Harness(Harness.defaults().maxSessions(4096).icmpErrorsPerSecond(100).build());
        Prepared tcpAck = new Prepared(v6(Harness.V6_HOST, Harness.V4_HOST_6).with(tcp(3333, 80, 0x10, pattern(10))));
        long bytes = measure(h.translator, h.clock, Side.IPV6, tcpAck, NONE);
        assertEquals(WARMUP + MEASURED, h.count(Counter.DROP_TCP_NOT_SYN));
        assertAllocationFree("TCP 6->4 not SYN, no state (silent drop)", bytes);
        Prepared udp = new Prepared(v4(Harness.V4_HOST, Harness.POOL4).with(udp(4000, 2999, pattern(100))));
        long bytes2 = measure(h.translator, h.clock, Side.IPV4, udp, NONE);
        assertTrue(h.count(Counter.DROP_ICMP_RATE_LIMITED) > 0);
        assertAllocationFree("UDP 4->6 no BIB, ICMP errors rate limited", bytes2);
    }

    @Test
    void newSessionPerPacket() {
        // Every packet comes from a new IPv6 host and port: a new host record, BIB entry and session each time.
        // Sessions live 2 minutes of the clock (1 ms per packet), so after the first 120,000 packets they also
        // expire at the rate they are created, on the packet path (the once-a-second sweep).
        EngineConfig cfg = EngineConfig.builder().pool6("64:ff9b::/96")
                .addPool4(Pool4Entry.parse("udp", "203.0.113.0/30", 1024, 65535))
                .udpTimeout(Duration.ofMinutes(2)).maxSessions(1 << 18).maxSessionsPerHost(1 << 18)
                .icmpErrorsPerSecond(0).build();
        ManualClock clock = new ManualClock();
        Translator t = Translator.stateful(cfg, clock);
        Prepared p = new Prepared(v6("2001:db8::1:0:0", "64:ff9b::198.51.100.7").with(udp(1024, 53, pattern(60))));
        Mutator fresh = (b, o, i) -> {
            b.putInt(o + 20, i); // low 32 bits of the source address
            b.putShort(o + 40, (short) (1024 + i % 64000)); // source port
        };
        long bitmapsBefore = addressesWithBitmapUpperBound(t);
        long created0 = get(t, Counter.SESSIONS_CREATED);
        long bytes = measure(t, clock, Side.IPV6, p, fresh);
        assertEquals(MEASURED, lastEmitted, "every packet translated");
        assertEquals(WARMUP + MEASURED, get(t, Counter.SESSIONS_CREATED) - created0, "a session per packet");
        assertEquals(WARMUP + MEASURED, get(t, Counter.BIB_CREATED), "a BIB entry per packet");
        assertTrue(get(t, Counter.SESSIONS_EXPIRED) > 0, "sessions expired on the packet path");
        assertTrue(t.nat64().sessionCount() <= 121_500, "sessions " + t.nat64().sessionCount());
        // Nothing per packet; at most the one-time bitmap of each pool4 address that had not given out a port yet.
        assertAllocationFree("UDP 6->4 new host, BIB entry and session per packet", bytes,
                BOUND + BITMAP * bitmapsBefore);
    }

    /** pool4 addresses that have never given out a port before measuring: each may allocate its bitmap once. */
    private static long addressesWithBitmapUpperBound(Translator t) {
        List<long[]> usage = t.nat64().pool4Usage(L4Protocol.UDP);
        return usage.stream().filter(u -> u[1] == 0).count();
    }

    // ----------------------------------------------------------------------------- more of the packet path

    @Test
    void udp4to6LargerThanLowestMtuIsFragmented() {
        Harness h = harness();
        Prepared p = new Prepared(v4(Harness.V4_HOST, Harness.POOL4).with(udp(4000, 2000, pattern(1400))));
        long bytes = measure(h.translator, h.clock, Side.IPV4, p, NONE);
        assertEquals(2L * MEASURED, lastEmitted, "two IPv6 fragments each");
        assertAllocationFree("UDP 4->6 fragmented", bytes);
    }

    @Test
    void icmpErrorsTranslatedBothWays() {
        Harness h = harness();
        h.send6(v6(Harness.V6_HOST, Harness.V4_HOST_6).with(udp(2000, 4000, pattern(8))));
        byte[] inner4 = v4(Harness.POOL4, Harness.V4_HOST).with(udp(2000, 4000, pattern(40)));
        Prepared e4 = new Prepared(v4("198.51.100.9", Harness.POOL4).with(icmp(3, 4, 1400, inner4)));
        long bytes = measure(h.translator, h.clock, Side.IPV4, e4, NONE);
        assertEquals(MEASURED, lastEmitted);
        assertAllocationFree("ICMPv4 error 4->6", bytes);
        byte[] inner6 = v6(Harness.V4_HOST_6, Harness.V6_HOST).with(udp(4000, 2000, pattern(40)));
        Prepared e6 = new Prepared(v6(Harness.V6_HOST, Harness.V4_HOST_6).with(icmp(1, 4, 0, inner6)));
        long bytes2 = measure(h.translator, h.clock, Side.IPV6, e6, NONE);
        assertEquals(MEASURED, lastEmitted);
        assertAllocationFree("ICMPv6 error 6->4", bytes2);
    }

    @Test
    void hairpin() {
        Harness h = harness();
        h.send6(v6(Harness.V6_HOST, Harness.V4_HOST_6).with(udp(2000, 4000, pattern(8))));
        Prepared p = new Prepared(v6("2001:db8::77", "64:ff9b::" + Harness.POOL4).with(udp(5000, 2000, pattern(80))));
        long bytes = measure(h.translator, h.clock, Side.IPV6, p, NONE);
        assertEquals(MEASURED, lastEmitted);
        assertTrue(h.count(Counter.HAIRPINNED) >= MEASURED);
        assertAllocationFree("UDP 6->4->6 hairpin", bytes);
    }

    @Test
    void outOfOrderFragmentsHeldAndReleased() {
        // Per iteration: the second fragment (held), then the first (translated, which releases the second).
        Harness h = harness();
        byte[] seg = udp(2000, 9, pattern(40)).bytes0(Harness.V6_HOST, Harness.V4_HOST_6);
        byte[] rest = new byte[24];
        System.arraycopy(seg, 24, rest, 0, 24);
        Prepared second = new Prepared(v6(Harness.V6_HOST, Harness.V4_HOST_6).fragment(24, false, 7).withPayload(17, rest));
        Prepared first = new Prepared(v6(Harness.V6_HOST, Harness.V4_HOST_6).fragment(0, true, 7)
                .withPayload(17, Pkt.head(seg, 24)));
        Mutator id = (b, o, i) -> b.putInt(o + 44, i); // a new fragment ID each time
        ManualClock clock = h.clock;
        long start = clock.millis();
        for (int i = 0; i < WARMUP / 2; i++) {
            pair(h.translator, clock, start, second, first, id, i);
        }
        long e0 = emitted;
        long before = allocated();
        for (int i = WARMUP / 2; i < WARMUP / 2 + MEASURED / 2; i++) {
            pair(h.translator, clock, start, second, first, id, i);
        }
        long bytes = allocated() - before;
        assertEquals(MEASURED, emitted - e0, "both fragments out each time");
        assertEquals((WARMUP + MEASURED) / 2, h.count(Counter.FRAGMENTS_QUEUED));
        assertAllocationFree("IPv6 fragments out of order (held, then released)", bytes);
    }

    private void pair(Translator t, ManualClock clock, long start, Prepared a, Prepared b, Mutator m, int i) {
        clock.set(start + i);
        a.work.put(HEADROOM, a.pristine, 0, a.length);
        m.apply(a.work, HEADROOM, i);
        t.process(Side.IPV6, a.work, HEADROOM, a.length, sink);
        b.work.put(HEADROOM, b.pristine, 0, b.length);
        m.apply(b.work, HEADROOM, i);
        t.process(Side.IPV6, b.work, HEADROOM, b.length, sink);
    }

    // -------------------------------------------------------------------------------------- stateless (CLAT)

    @Test
    void statelessBothWays() {
        ManualClock clock = new ManualClock();
        EngineConfig cfg = EngineConfig.builder().pool6("64:ff9b::/96").icmpErrorsPerSecond(0).build();
        Translator t = Translator.stateless(Rfc6052Prefix.WELL_KNOWN, cfg, clock);
        Prepared p6 = new Prepared(v6("64:ff9b::192.0.2.33", "64:ff9b::198.51.100.7").with(tcp(1000, 443, 0x18, pattern(300))));
        long bytes = measure(t, clock, Side.IPV6, p6, NONE);
        assertEquals(MEASURED, lastEmitted);
        assertAllocationFree("stateless TCP 6->4", bytes);
        Prepared p4 = new Prepared(v4("198.51.100.7", "192.0.2.33").with(udp(53, 1000, pattern(300))));
        long bytes2 = measure(t, clock, Side.IPV4, p4, NONE);
        assertEquals(MEASURED, lastEmitted);
        assertAllocationFree("stateless UDP 4->6", bytes2);
    }
}
