package io.xlatbox.engine;

import static io.xlatbox.engine.testutil.Pkt.hex;
import static io.xlatbox.engine.testutil.Pkt.icmp;
import static io.xlatbox.engine.testutil.Pkt.pattern;
import static io.xlatbox.engine.testutil.Pkt.tcp;
import static io.xlatbox.engine.testutil.Pkt.udp;
import static io.xlatbox.engine.testutil.Pkt.v4;
import static io.xlatbox.engine.testutil.Pkt.v6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.byteArrays;
import static org.quicktheories.generators.Generate.bytes;
import static org.quicktheories.generators.Generate.longRange;
import static org.quicktheories.generators.Generate.range;

import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Pool4Entry;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import io.xlatbox.engine.testutil.Harness;
import io.xlatbox.engine.testutil.Pkt;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * Hostile input: random bytes, every truncation of valid packets, single-bit flips of valid packets (IPv4 and
 * IPv6; TCP, UDP, ICMP queries, ICMP errors with inner packets, fragments, extension headers and options), fed to
 * both sides of a stateful translator and of a stateless one. Nothing may escape as an exception, every call must
 * return, and every input must be accounted for: after each call, the drops (every counter with
 * {@link Counter#isDrop()}) plus TRANSLATED_6TO4, TRANSLATED_4TO6, FRAGMENTS_QUEUED and SYNS_STORED have grown by
 * at least one.
 */
class RobustnessTest {
    private static final long SEED = Long.getLong("robustness.seed", 0x5EED_1234L);

    // Stateful network (Harness): X = 2001:db8::5 (static BIB #2000 = 192.0.2.2#2000), Z = 192.0.2.5.
    private static final String X = Harness.V6_HOST;
    private static final String Z6 = Harness.V4_HOST_6;
    private static final String Z = Harness.V4_HOST;
    private static final String T = Harness.POOL4;
    // Stateless network (64:ff9b::/96): the IPv6 host is 64:ff9b::192.0.2.33.
    private static final String SX = "64:ff9b::192.0.2.33";
    private static final String ST = "192.0.2.33";

    /** Every counter an input can end up in. */
    private static final Counter[] ACCOUNTED;

    static {
        List<Counter> l = new ArrayList<>();
        for (Counter c : Counter.values()) {
            if (c.isDrop() || c == Counter.TRANSLATED_6TO4 || c == Counter.TRANSLATED_4TO6
                    || c == Counter.FRAGMENTS_QUEUED || c == Counter.SYNS_STORED) {
                l.add(c);
            }
        }
        ACCOUNTED = l.toArray(new Counter[0]);
    }

    static long accounted(Translator t) {
        long n = 0;
        for (Counter c : ACCOUNTED) {
            n += t.counters().get(c);
        }
        return n;
    }

    // ------------------------------------------------------------------------------------------------ corpus

    record Input(String name, Side side, byte[] bytes) {
    }

    /**
     * Valid packets of every kind the translator handles, for a network whose IPv6 host is {@code x6} (seen from
     * IPv4 as {@code t4}, port 2000) and whose IPv4 host is Z (192.0.2.5, 64:ff9b::192.0.2.5).
     */
    static List<Input> corpus(String x6, String t4) {
        List<Input> c = new ArrayList<>();
        // ---- IPv6 side
        c.add(new Input("udp6", Side.IPV6, v6(x6, Z6).trafficClass(0x2e).flowLabel(5).with(udp(2000, 4000, pattern(30)))));
        c.add(new Input("tcp6-syn", Side.IPV6, v6(x6, Z6).with(tcp(2000, 80, 0x02, pattern(0)))));
        c.add(new Input("tcp6-ack", Side.IPV6, v6(x6, Z6).with(tcp(2000, 80, 0x10, pattern(100)))));
        c.add(new Input("tcp6-fin", Side.IPV6, v6(x6, Z6).with(tcp(2000, 80, 0x11, pattern(3)))));
        c.add(new Input("tcp6-rst", Side.IPV6, v6(x6, Z6).with(tcp(2000, 81, 0x04, pattern(0)))));
        c.add(new Input("echo6", Side.IPV6, v6(x6, Z6).with(icmp(128, 0, 77 << 16 | 1, pattern(56)))));
        c.add(new Input("udp6-ext", Side.IPV6, v6(x6, Z6).options(0).routing(0).options(60)
                .with(udp(2000, 4000, pattern(12)))));
        c.add(new Input("udp6-routing", Side.IPV6, v6(x6, Z6).routing(1).with(udp(2000, 4000, pattern(12)))));
        c.add(new Input("udp6-big", Side.IPV6, v6(x6, Z6).with(udp(2000, 4000, pattern(1400)))));
        c.add(new Input("udp6-hop1", Side.IPV6, v6(x6, Z6).hopLimit(1).with(udp(2000, 4000, pattern(8)))));
        c.add(new Input("sctp6", Side.IPV6, v6(x6, Z6).with(Pkt.raw(132, pattern(16)))));
        c.add(new Input("ns6", Side.IPV6, v6(x6, Z6).with(icmp(135, 0, 0, pattern(20)))));
        c.add(new Input("hairpin6", Side.IPV6, v6(x6, "64:ff9b::" + T).with(udp(2000, 2000, pattern(9)))));
        byte[] seg6 = udp(2000, 4000, pattern(40)).bytes0(x6, Z6);
        c.add(new Input("frag6-first", Side.IPV6, v6(x6, Z6).fragment(0, true, 0x0102).withPayload(17, Pkt.head(seg6, 24))));
        byte[] rest6 = new byte[24];
        System.arraycopy(seg6, 24, rest6, 0, 24);
        c.add(new Input("frag6-last", Side.IPV6, v6(x6, Z6).fragment(24, false, 0x0102).withPayload(17, rest6)));
        c.add(new Input("frag6-orphan", Side.IPV6, v6(x6, Z6).fragment(48, false, 0x0999).withPayload(17, rest6)));
        c.add(new Input("frag6-icmp", Side.IPV6, v6(x6, Z6).fragment(0, true, 0x0103)
                .withPayload(58, Pkt.head(icmp(128, 0, 77 << 16, pattern(40)).bytes0(x6, Z6), 24))));
        // ICMPv6 errors sent by the IPv6 host about packets that came to it from Z.
        byte[] innerUdp6 = v6(Z6, x6).with(udp(4000, 2000, pattern(20)));
        byte[] innerTcp6 = v6(Z6, x6).with(tcp(80, 2000, 0x12, pattern(40)));
        byte[] innerEcho6 = v6(Z6, x6).with(icmp(129, 0, 77 << 16 | 1, pattern(16)));
        byte[] innerFrag6 = v6(Z6, x6).fragment(24, false, 9).withPayload(17, pattern(16));
        c.add(new Input("err6-port", Side.IPV6, v6(x6, Z6).with(icmp(1, 4, 0, innerUdp6))));
        c.add(new Input("err6-ptb", Side.IPV6, v6(x6, Z6).with(icmp(2, 0, 1280, innerTcp6))));
        c.add(new Input("err6-time", Side.IPV6, v6(x6, Z6).with(icmp(3, 0, 0, innerEcho6))));
        c.add(new Input("err6-param", Side.IPV6, v6(x6, Z6).with(icmp(4, 0, 7, innerUdp6))));
        c.add(new Input("err6-nexthdr", Side.IPV6, v6(x6, Z6).with(icmp(4, 1, 6, innerTcp6))));
        c.add(new Input("err6-frag", Side.IPV6, v6(x6, Z6).with(icmp(1, 0, 0, innerFrag6))));
        c.add(new Input("err6-rfc4884", Side.IPV6, v6(x6, Z6).with(icmp(1, 4, (128 / 8) << 24,
                concat(pad(innerUdp6, 128), extension())))));
        // ---- IPv4 side
        c.add(new Input("udp4", Side.IPV4, v4(Z, t4).tos(0x10).with(udp(4000, 2000, pattern(33)))));
        c.add(new Input("tcp4-synack", Side.IPV4, v4(Z, t4).with(tcp(80, 2000, 0x12, pattern(0)))));
        c.add(new Input("tcp4-ack", Side.IPV4, v4(Z, t4).df().with(tcp(80, 2000, 0x10, pattern(200)))));
        c.add(new Input("tcp4-syn-nobib", Side.IPV4, v4(Z, t4).with(tcp(443, 2999, 0x02, pattern(0)))));
        c.add(new Input("echo4", Side.IPV4, v4(Z, t4).with(icmp(8, 0, 2000 << 16 | 1, pattern(56)))));
        c.add(new Input("udp4-nobib", Side.IPV4, v4(Z, t4).with(udp(4000, 2998, pattern(10)))));
        c.add(new Input("udp4-options", Side.IPV4, v4(Z, t4).options(new byte[] {7, 7, 4, 0, 0, 0, 0, 0})
                .with(udp(4000, 2000, pattern(10)))));
        c.add(new Input("udp4-lsrr", Side.IPV4, v4(Z, t4).options(new byte[] {(byte) 131, 7, 4, 10, 0, 0, 1, 0})
                .with(udp(4000, 2000, pattern(10)))));
        c.add(new Input("udp4-big-df0", Side.IPV4, v4(Z, t4).id(99).with(udp(4000, 2000, pattern(1400)))));
        c.add(new Input("udp4-big-df1", Side.IPV4, v4(Z, t4).df().with(udp(4000, 2000, pattern(1472)))));
        c.add(new Input("udp4-ttl1", Side.IPV4, v4(Z, t4).ttl(1).with(udp(4000, 2000, pattern(4)))));
        c.add(new Input("udp4-zero-ck", Side.IPV4, v4(Z, t4).with(udp(4000, 2000, pattern(17)).checksum(0))));
        c.add(new Input("sctp4", Side.IPV4, v4(Z, t4).with(Pkt.raw(132, pattern(16)))));
        c.add(new Input("timestamp4", Side.IPV4, v4(Z, t4).with(icmp(13, 0, 0, pattern(12)))));
        byte[] seg4 = udp(4000, 2000, pattern(40)).bytes0(Z, t4);
        c.add(new Input("frag4-first", Side.IPV4, v4(Z, t4).mf().id(0xabcd).withPayload(17, Pkt.head(seg4, 24))));
        byte[] rest4 = new byte[24];
        System.arraycopy(seg4, 24, rest4, 0, 24);
        c.add(new Input("frag4-last", Side.IPV4, v4(Z, t4).fragOffset(24).id(0xabcd).withPayload(17, rest4)));
        c.add(new Input("frag4-orphan", Side.IPV4, v4(Z, t4).fragOffset(48).id(0x0777).withPayload(17, rest4)));
        c.add(new Input("frag4-icmp", Side.IPV4, v4(Z, t4).mf().id(5).withPayload(1, pattern(24))));
        // ICMPv4 errors from Z (or a router) about packets the IPv6 host sent through the translator.
        byte[] innerUdp4 = v4(t4, Z).with(udp(2000, 4000, pattern(20)));
        byte[] innerTcp4 = v4(t4, Z).df().with(tcp(2000, 80, 0x10, pattern(40)));
        byte[] innerEcho4 = v4(t4, Z).with(icmp(8, 0, 2000 << 16 | 1, pattern(16)));
        byte[] innerFrag4 = v4(t4, Z).fragOffset(24).id(7).withPayload(17, pattern(16));
        byte[] innerFirstFrag4 = v4(t4, Z).mf().id(7).with(udp(2000, 4000, pattern(8)));
        c.add(new Input("err4-port", Side.IPV4, v4(Z, t4).with(icmp(3, 3, 0, innerUdp4))));
        c.add(new Input("err4-fragneeded", Side.IPV4, v4("198.51.100.9", t4).with(icmp(3, 4, 1400, innerTcp4))));
        c.add(new Input("err4-fragneeded0", Side.IPV4, v4(Z, t4).with(icmp(3, 4, 0, innerTcp4))));
        c.add(new Input("err4-time", Side.IPV4, v4("198.51.100.9", t4).with(icmp(11, 0, 0, innerEcho4))));
        c.add(new Input("err4-param", Side.IPV4, v4(Z, t4).with(icmp(12, 0, 8 << 24, innerUdp4))));
        c.add(new Input("err4-proto", Side.IPV4, v4(Z, t4).with(icmp(3, 2, 0, innerTcp4))));
        c.add(new Input("err4-frag", Side.IPV4, v4(Z, t4).with(icmp(3, 1, 0, innerFrag4))));
        c.add(new Input("err4-firstfrag", Side.IPV4, v4(Z, t4).with(icmp(3, 3, 0, innerFirstFrag4))));
        c.add(new Input("err4-rfc4884", Side.IPV4, v4(Z, t4).with(icmp(3, 3, (128 / 4) << 16,
                concat(pad(innerUdp4, 128), extension())))));
        c.add(new Input("err4-truncated-inner", Side.IPV4, v4(Z, t4).with(icmp(3, 3, 0, Pkt.head(innerTcp4, 28)))));
        return c;
    }

    static byte[] pad(byte[] b, int n) {
        byte[] r = new byte[Math.max(n, b.length)];
        System.arraycopy(b, 0, r, 0, b.length);
        return r;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** An RFC 4884 extension structure: version 2 header and one 8-byte object (checksum not checked). */
    static byte[] extension() {
        return Pkt.unhex("20000000 0008 0101 0a0b0c0d");
    }

    // ------------------------------------------------------------------------------------------------ targets

    /** A translator under test and the packets that put state in it first. */
    static final class Target {
        final String name;
        final ManualClock clock;
        final Translator translator;
        final List<Input> corpus;
        final List<String> failures = new ArrayList<>();
        int failureCount;
        long calls;

        Target(String name, ManualClock clock, Translator translator, List<Input> corpus) {
            this.name = name;
            this.clock = clock;
            this.translator = translator;
            this.corpus = corpus;
        }

        /** Feeds the corpus once, unmodified, so that sessions, BIB entries and fragment state exist. */
        void prime() {
            for (Input in : corpus) {
                translator.process(in.side(), in.bytes());
            }
        }

        /** Moves time on and runs the timers outside of process(), so that process() counts only its own input. */
        void tick(Duration d) {
            clock.advance(d);
            translator.expire();
        }

        /**
         * Feeds one input on one side; returns null or a description of what went wrong (exception, or an input
         * that no counter accounts for).
         */
        String feed(Side side, byte[] bytes) {
            calls++;
            long before = accounted(translator);
            try {
                translator.process(side, bytes);
            } catch (Throwable e) {
                StringWriter sw = new StringWriter();
                e.printStackTrace(new PrintWriter(sw));
                return name + " " + side + " threw on " + hex(bytes) + "\n" + sw;
            }
            long after = accounted(translator);
            if (after < before + 1) {
                Map<Counter, Long> snap = translator.counters().snapshot();
                return name + " " + side + " did not account for input (" + bytes.length + " bytes) " + hex(bytes)
                        + "\n  counters " + nonZero(snap);
            }
            return null;
        }

        /** Both sides; failures are collected (the first few with details). */
        void feedBoth(String what, byte[] bytes) {
            for (Side s : Side.values()) {
                String f = feed(s, bytes);
                if (f != null) {
                    failureCount++;
                    if (failures.size() < 8) {
                        failures.add(what + ": " + f);
                    }
                }
            }
        }

        /** Both sides; the first failure is thrown, for QuickTheories to shrink. */
        void feedBothOrThrow(byte[] bytes) {
            for (Side s : Side.values()) {
                String f = feed(s, bytes);
                if (f != null) {
                    throw new AssertionError(f);
                }
            }
        }
    }

    static String nonZero(Map<Counter, Long> snap) {
        StringBuilder sb = new StringBuilder();
        snap.forEach((c, v) -> {
            if (v != 0) {
                sb.append(c.key()).append('=').append(v).append(' ');
            }
        });
        return sb.toString();
    }

    static Target stateful() {
        Harness h = new Harness(Harness.defaults().maxSessions(2048).maxFragmentBuffers(16).maxStoredSyns(8).build());
        Target t = new Target("stateful", h.clock, h.translator, corpus(X, T));
        t.prime();
        return t;
    }

    static Target stateless() {
        ManualClock clock = new ManualClock();
        EngineConfig cfg = EngineConfig.builder().pool6("64:ff9b::/96").icmpErrorsPerSecond(0).build();
        Translator tr = Translator.stateless(Rfc6052Prefix.WELL_KNOWN, cfg, clock);
        Target t = new Target("stateless", clock, tr, corpus(SX, ST));
        t.prime();
        return t;
    }

    static void assertNoFailures(Target... targets) {
        StringBuilder sb = new StringBuilder();
        for (Target t : targets) {
            if (t.failureCount > 0) {
                sb.append(t.name).append(": ").append(t.failureCount).append(" of ").append(t.calls)
                        .append(" calls failed; first ones:\n");
                t.failures.forEach(f -> sb.append("  ").append(f).append('\n'));
            }
        }
        if (sb.length() > 0) {
            fail(sb.toString());
        }
    }

    // --------------------------------------------------------------------------------------------- mutations

    /** The IPv4 header checksum, recomputed (when the header length fits), so that a flip gets past it. */
    static void fixIpv4HeaderChecksum(byte[] p) {
        if (p.length < 20 || (p[0] & 0xF0) != 0x40) {
            return;
        }
        int ihl = (p[0] & 0xF) * 4;
        if (ihl < 20 || ihl > p.length) {
            return;
        }
        p[10] = 0;
        p[11] = 0;
        int ck = Pkt.checksum(p, 0, ihl, 0);
        p[10] = (byte) (ck >> 8);
        p[11] = (byte) ck;
    }

    /** The ICMP checksum of an ICMPv4 message, or of an ICMPv6 message right after a 40-byte IPv6 header. */
    static void fixIcmpChecksum(byte[] p) {
        if (p.length >= 28 && (p[0] & 0xF0) == 0x40 && p[9] == 1) {
            int ihl = (p[0] & 0xF) * 4;
            int total = ByteBuffer.wrap(p).getShort(2) & 0xFFFF;
            if (ihl >= 20 && ihl + 4 <= Math.min(total, p.length)) {
                int end = Math.min(total, p.length);
                p[ihl + 2] = 0;
                p[ihl + 3] = 0;
                int ck = Pkt.checksum(p, ihl, end - ihl, 0);
                p[ihl + 2] = (byte) (ck >> 8);
                p[ihl + 3] = (byte) ck;
            }
        } else if (p.length >= 48 && (p[0] & 0xF0) == 0x60 && p[6] == 58) {
            int plen = ByteBuffer.wrap(p).getShort(4) & 0xFFFF;
            int len = Math.min(plen, p.length - 40);
            if (len >= 4) {
                p[42] = 0;
                p[43] = 0;
                int ph = Pkt.pseudo(java.util.Arrays.copyOfRange(p, 8, 24), java.util.Arrays.copyOfRange(p, 24, 40),
                        58, len);
                int ck = Pkt.checksum(p, 40, len, ph);
                p[42] = (byte) (ck >> 8);
                p[43] = (byte) ck;
            }
        }
    }

    // ----------------------------------------------------------------------------------------------- tests

    @Test
    void everyTruncationOfEveryValidPacketIsAccountedFor() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Target sf = stateful();
            Target sl = stateless();
            for (Target t : new Target[] {sf, sl}) {
                for (Input in : t.corpus) {
                    for (int n = 0; n <= in.bytes().length; n++) {
                        t.feedBoth(in.name() + " cut to " + n, Pkt.head(in.bytes(), n));
                    }
                    // And the same packet with the IP length field claiming what is left (a consistent short packet).
                    for (int n = 20; n < in.bytes().length; n++) {
                        byte[] p = Pkt.head(in.bytes(), n);
                        if (in.side() == Side.IPV4) {
                            p[2] = (byte) (n >> 8);
                            p[3] = (byte) n;
                            fixIpv4HeaderChecksum(p);
                        } else if (n >= 40) {
                            p[4] = (byte) ((n - 40) >> 8);
                            p[5] = (byte) (n - 40);
                        }
                        t.feedBoth(in.name() + " cut to " + n + " with length fixed", p);
                    }
                    t.tick(Duration.ofMillis(300));
                }
            }
            assertNoFailures(sf, sl);
        });
    }

    @Test
    void singleBitFlipsOfValidPacketsAreAccountedFor() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Target sf = stateful();
            Target sl = stateless();
            Random rnd = new Random(SEED);
            for (Target t : new Target[] {sf, sl}) {
                for (Input in : t.corpus) {
                    byte[] orig = in.bytes();
                    // Every bit of the first 64 bytes (the headers), then random bits anywhere.
                    int headerBits = Math.min(orig.length, 64) * 8;
                    for (int i = 0; i < headerBits + 200; i++) {
                        int bit = i < headerBits ? i : rnd.nextInt(orig.length * 8);
                        byte[] p = orig.clone();
                        p[bit >> 3] ^= (byte) (0x80 >>> (bit & 7));
                        t.feedBoth(in.name() + " bit " + bit, p);
                        // Again with the IPv4 header and ICMP checksums made right, to get past the checks.
                        byte[] q = p.clone();
                        fixIpv4HeaderChecksum(q);
                        fixIcmpChecksum(q);
                        t.feedBoth(in.name() + " bit " + bit + " (checksums fixed)", q);
                    }
                    t.tick(Duration.ofMillis(700));
                    t.prime();
                }
            }
            assertNoFailures(sf, sl);
        });
    }

    @Test
    void randomByteArraysAreAccountedFor() {
        Target sf = stateful();
        Target sl = stateless();
        Gen<byte[]> raw = byteArrays(range(0, 2000), bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
        assertTimeoutPreemptively(Duration.ofSeconds(30), () ->
                qt().withFixedSeed(SEED).withExamples(3000).forAll(raw).checkAssert(b -> {
                    sf.feedBothOrThrow(b);
                    sl.feedBothOrThrow(b);
                }));
    }

    /**
     * Random bytes behind a plausible IP header (right version, lengths and IPv4 header checksum, a protocol or
     * next header the translator looks into), so that the fuzzing gets past the first checks.
     */
    @Test
    void randomPayloadsBehindPlausibleHeadersAreAccountedFor() {
        Target sf = stateful();
        Target sl = stateless();
        int[] protocols = {0, 1, 6, 17, 43, 44, 58, 60, 132};
        Gen<byte[]> packets = in -> {
            boolean v6 = range(0, 1).generate(in) == 1;
            int len = range(v6 ? 40 : 20, 1600).generate(in);
            long seed = longRange(Long.MIN_VALUE, Long.MAX_VALUE).generate(in);
            int proto = protocols[range(0, protocols.length - 1).generate(in)];
            int ihlWords = range(0, 3).generate(in) == 0 ? range(5, 15).generate(in) : 5;
            int variant = range(0, 3).generate(in);
            byte[] p = new byte[len];
            new Random(seed).nextBytes(p);
            ByteBuffer b = ByteBuffer.wrap(p);
            if (v6) {
                p[0] = (byte) (0x60 | (p[0] & 0x0F));
                b.putShort(4, (short) (len - 40));
                p[6] = (byte) proto;
                // Addresses the translators know, so that the mappings are reached.
                byte[] src = Pkt.addr(variant == 0 ? SX : X);
                byte[] dst = Pkt.addr(variant == 1 ? "64:ff9b::" + T : Z6);
                System.arraycopy(src, 0, p, 8, 16);
                System.arraycopy(dst, 0, p, 24, 16);
                if (proto == 44 && len >= 48) {
                    p[43] &= (byte) (variant == 2 ? 0xF8 : 0xFF); // sometimes a first fragment
                }
            } else {
                int ihl = Math.min(ihlWords * 4, len);
                p[0] = (byte) (0x40 | (ihl / 4));
                b.putShort(2, (short) len);
                p[9] = (byte) proto;
                if (variant != 3) {
                    b.putShort(6, (short) (variant == 2 ? 0x2000 : 0)); // unfragmented, or a first fragment
                }
                System.arraycopy(Pkt.addr(Z), 0, p, 12, 4);
                System.arraycopy(Pkt.addr(variant == 0 ? ST : T), 0, p, 16, 4);
                fixIpv4HeaderChecksum(p);
            }
            if (variant == 1) {
                fixIcmpChecksum(p);
            }
            return p;
        };
        assertTimeoutPreemptively(Duration.ofSeconds(30), () ->
                qt().withFixedSeed(SEED).withExamples(6000).forAll(packets.describedAs(Pkt::hex)).checkAssert(p -> {
                    sf.feedBothOrThrow(p);
                    sl.feedBothOrThrow(p);
                }));
    }

    // ------------------------------------------------------------------------------------------- session bound

    @Test
    void sessionsStayBoundedByMaxSessions() {
        int max = 300;
        int perHost = 40;
        EngineConfig cfg = Harness.defaults().maxSessions(max).maxSessionsPerHost(perHost).maxStoredSyns(8)
                .addPool4(Pool4Entry.allProtocols("198.51.100.0/30")).build();
        Harness h = new Harness(cfg);
        var nat = h.translator.nat64();
        Random rnd = new Random(SEED);
        long limitDrops = 0;
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (int i = 0; i < 20_000; i++) {
                byte[] p;
                Side side;
                int kind = rnd.nextInt(6);
                String dst = Ipv4Address.format(0x08000000 | rnd.nextInt(0x00FFFFFF)); // 8.0.0.0/8, global
                String src6 = "2001:db8::1:" + Integer.toHexString(1 + rnd.nextInt(30)); // not the static X
                int sport = 1 + rnd.nextInt(65535);
                int dport = 1 + rnd.nextInt(65535);
                switch (kind) {
                    case 0:
                        side = Side.IPV6;
                        p = v6(src6, "64:ff9b::" + dst).with(udp(sport, dport, pattern(rnd.nextInt(40))));
                        break;
                    case 1:
                        side = Side.IPV6;
                        p = v6(src6, "64:ff9b::" + dst).with(tcp(sport, dport, 0x02, pattern(0)));
                        break;
                    case 2:
                        side = Side.IPV6;
                        p = v6(src6, "64:ff9b::" + dst).with(icmp(128, 0, sport << 16, pattern(8)));
                        break;
                    case 3: // to the static UDP entry from anywhere: a new session each time
                        side = Side.IPV4;
                        p = v4(dst, T).with(udp(dport, 2000, pattern(8)));
                        break;
                    case 4: // IPv4-initiated SYN to the static TCP entry, or to a port without BIB entry
                        side = Side.IPV4;
                        p = v4(dst, T).with(tcp(dport, rnd.nextBoolean() ? 2000 : 1 + rnd.nextInt(3000), 0x02,
                                pattern(0)));
                        break;
                    default: // answers to whatever the IPv6 side opened
                        side = Side.IPV4;
                        p = v4(dst, rnd.nextBoolean() ? T : "198.51.100." + rnd.nextInt(4))
                                .with(tcp(dport, 1024 + rnd.nextInt(64512), 0x12, pattern(0)));
                }
                h.translator.process(side, p);
                int n = nat.sessionCount();
                assertTrue(n <= max, "sessions " + n + " > maxSessions " + max + " after packet " + i);
                int sum = 0;
                for (L4Protocol proto : L4Protocol.values()) {
                    sum += nat.sessionCount(proto);
                }
                assertEquals(n, sum, "per-protocol session counts add up");
                assertTrue(nat.storedSynCount() <= 8, "stored SYNs");
                if (i % 1000 == 999) {
                    h.advance(Duration.ofSeconds(rnd.nextInt(200)));
                    h.translator.expire();
                    Map<String, Integer> perHostCount = new HashMap<>();
                    nat.forEachSession((proto, xHi, xLo, x, yHi, yLo, y, t4, t, z4, z, st, exp) -> {
                        perHostCount.merge(xHi + ":" + xLo, 1, Integer::sum);
                        return true;
                    });
                    int[] dynamicBibs = {0};
                    nat.forEachBib((proto, xHi, xLo, x, t4, t, isStatic, sessions) -> {
                        dynamicBibs[0] += isStatic ? 0 : 1;
                        assertTrue(isStatic || sessions > 0, "a dynamic BIB entry without sessions");
                        return true;
                    });
                    assertTrue(dynamicBibs[0] <= max, "BIB entries " + dynamicBibs[0]);
                    // Sessions on the static entries (host X) have no host record and no per-host limit.
                    long[] x = io.xlatbox.engine.addr.Ipv6Address.parse(X);
                    perHostCount.remove(x[0] + ":" + x[1]);
                    perHostCount.forEach((host, c) -> assertTrue(c <= perHost,
                            "host " + host + " has " + c + " sessions > maxSessionsPerHost " + perHost));
                }
            }
        });
        limitDrops = h.count(Counter.DROP_SESSION_LIMIT) + h.count(Counter.DROP_HOST_LIMIT);
        assertTrue(limitDrops > 0, "the limits were reached");
        assertTrue(nat.sessionCount() <= max);
    }

    // -------------------------------------------------------------------------------------- state over time

    /**
     * RFC 6146 §3.5.2.2: an IPv4-initiated SYN held because of address-dependent filtering waits TCP_INCOMING_SYN
     * (6 s) for the IPv6 side; if nothing comes, it is dropped with an ICMP Port Unreachable and counted as
     * DROP_SYN_TIMEOUT. That must hold however the timers are driven: by packets, by expire(), or both, and
     * however often.
     */
    @Test
    void heldSynEndsInPortUnreachableWhateverTheTimerCadence() {
        Gen<Integer> offsets = range(0, 999);
        Gen<int[]> cadences = in -> {
            int[] steps = new int[64];
            for (int i = 0; i < steps.length; i++) {
                steps[i] = range(0, 3).generate(in) == 0 ? range(700, 1500).generate(in) : range(50, 700).generate(in);
            }
            return steps;
        };
        qt().withExamples(120).forAll(offsets, cadences.describedAs(java.util.Arrays::toString))
                .checkAssert((offset, steps) -> {
                    Harness h = new Harness(Harness.defaults().addressDependentFiltering(true).maxSessions(64)
                            .maxFragmentBuffers(1).maxStoredSyns(4).build());
                    long start = h.clock.millis() + offset;
                    h.clock.set(start);
                    assertEquals(0, h.send4(v4(Z, T).with(tcp(80, 2000, 0x02, pattern(0)))).size());
                    assertEquals(1, h.count(Counter.SYNS_STORED));
                    List<Translator.Output> out = new ArrayList<>();
                    long t = start;
                    StringBuilder calls = new StringBuilder();
                    for (int step : steps) {
                        t += step;
                        if (t > start + 12_000) {
                            break;
                        }
                        h.clock.set(t);
                        calls.append(t - start).append(' ');
                        out.addAll(h.translator.expire());
                    }
                    h.clock.set(start + 12_000); // and in any case once more, long after the 6 s
                    calls.append(12_000);
                    out.addAll(h.translator.expire());
                    String what = "SYN stored at +0 (clock " + start + "), expire() at +" + calls + "ms";
                    assertEquals(1, h.count(Counter.DROP_SYN_TIMEOUT), "DROP_SYN_TIMEOUT; " + what);
                    assertEquals(1, out.size(), "one ICMP error; " + what);
                    byte[] err = out.get(0).bytes();
                    assertEquals(Side.IPV4, out.get(0).side());
                    assertEquals("0303", hex(new byte[] {err[20], err[21]}), "Port Unreachable; " + what);
                });
    }

    /**
     * Fragments that come before their first fragment are held, then translated when it comes (RFC 6146 §3.4).
     * Their bytes must survive the wait: translating one held fragment must not touch another. Held IPv4
     * fragments are translated in place in the hold buffer, and the IPv6 headers (48 bytes) are written in front
     * of the IPv4 payload, that is 28 bytes before a slot's start, into the end of the previous slot.
     */
    @Test
    void heldFragmentsKeepTheirBytes() {
        // ipv4Mtu = ipv6Mtu = 1500: hold slots of 1564 bytes, so a held IPv4 fragment may be up to 1564 bytes.
        List<String> corrupted = new ArrayList<>();
        for (int len : new int[] {1200, 1500, 1536, 1537, 1548, 1564}) {
            Harness h = new Harness(Harness.defaults().maxSessions(64).build());
            byte[] payloadA = new byte[len - 20];
            new Random(len).nextBytes(payloadA);
            // A: a later fragment of datagram 0x1111, held in slot 0. B: one of datagram 0x2222, held in slot 1.
            assertEquals(0, h.send4(v4(Z, T).id(0x1111).fragOffset(1480).withPayload(17, payloadA)).size());
            if (h.count(Counter.FRAGMENTS_QUEUED) == 0) {
                // Not holding a fragment larger than the MTUs is a fine answer too, if it is counted.
                assertEquals(1, accounted(h.translator), "an oversized fragment that is not held is dropped");
                continue;
            }
            assertEquals(0, h.send4(v4(Z, T).id(0x2222).fragOffset(24).withPayload(17, pattern(24))).size());
            assertEquals(2, h.count(Counter.FRAGMENTS_QUEUED));
            // B's first fragment comes: B is released (translated in place in its slot).
            byte[] segB = udp(4000, 2000, pattern(40)).bytes0(Z, T);
            assertEquals(2, h.send4(v4(Z, T).id(0x2222).mf().withPayload(17, Pkt.head(segB, 24))).size());
            // A's first fragment comes: A is released; its IPv6 fragments must carry A's payload unchanged.
            byte[] segA = udp(4000, 2000, pattern(1472)).bytes0(Z, T);
            List<Translator.Output> out = h.send4(v4(Z, T).id(0x1111).mf().withPayload(17, segA));
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            for (Translator.Output o : out) {
                byte[] b = o.bytes();
                int fragOffset = (b[42] & 0xFF) << 8 | (b[43] & 0xF8); // A's data starts at 1480
                if (fragOffset >= 1480) {
                    got.write(b, 48, b.length - 48);
                }
            }
            byte[] g = got.toByteArray();
            assertEquals(payloadA.length, g.length, "held fragment of " + len + " bytes: payload length");
            for (int i = 0; i < g.length; i++) {
                if (g[i] != payloadA[i]) {
                    corrupted.add(len + "-byte fragment: last " + (g.length - i) + " payload bytes changed");
                    break;
                }
            }
        }
        assertTrue(corrupted.isEmpty(), "held IPv4 fragment corrupted by the in-place translation of the one "
                + "held after it: " + corrupted);
    }

    /**
     * A live configuration change that adds a static BIB entry (a port forward) while the tables are full of
     * dynamic entries. Right then the new entry may find no room for a session, but it must be in force: once the
     * dynamic sessions have expired, packets to it must be translated. (Refusing the change is fine too.)
     */
    @Test
    void staticEntryAddedByApplyWhileTheTablesAreFullIsInForceOnceTheyDrain() {
        EngineConfig cfg = Harness.defaults().maxSessions(16).build();
        Harness h = new Harness(cfg);
        for (int i = 0; i < 20; i++) {
            // Ephemeral source ports, so that no dynamic entry can take the well-known port 53 asked for below.
            h.send6(v6("2001:db8::1:" + (i + 1), Z6).with(udp(40000 + i, 53, pattern(4))));
        }
        assertEquals(16, h.translator.nat64().sessionCount());
        EngineConfig next = cfg.toBuilder()
                .addStaticBib(io.xlatbox.engine.addr.StaticBibEntry.parse("udp", "2001:db8::9", 53, T, 53)).build();
        try {
            assertEquals(0, h.translator.apply(next), "nothing to drop");
        } catch (RuntimeException refused) {
            assertEquals(cfg, h.translator.config(), "refused, so the old configuration stays: " + refused);
            return;
        }
        h.advance(Duration.ofMinutes(6)); // past the UDP timeout: every dynamic session and BIB entry goes
        h.translator.expire();
        assertEquals(0, h.translator.nat64().sessionCount());
        int[] statics = {0};
        h.translator.nat64().forEachBib((p, xHi, xLo, x, t4, t, isStatic, n) -> {
            statics[0] += isStatic ? 1 : 0;
            return true;
        });
        List<Translator.Output> out = h.send4(v4(Z, T).with(udp(4000, 53, pattern(4))));
        assertEquals("[IPV6]", out.stream().map(o -> o.side().toString()).toList().toString(),
                "a packet to the new static entry 192.0.2.2#53 (DROP_NO_BIB " + h.count(Counter.DROP_NO_BIB) + ")");
        assertEquals(3, statics[0], "static BIB entries in force (of 3 configured)");
    }
}
