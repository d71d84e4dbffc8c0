package io.xlatbox.engine;

import static io.xlatbox.engine.testutil.Pkt.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.Generate.booleans;
import static org.quicktheories.generators.Generate.longRange;
import static org.quicktheories.generators.Generate.range;

import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import io.xlatbox.engine.addr.SpecialIpv4;
import io.xlatbox.engine.testutil.Harness;
import io.xlatbox.engine.testutil.Pkt;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.core.Gen;
import org.quicktheories.core.RandomnessSource;

/**
 * Properties of the packet-level API over randomly generated packets (QuickTheories).
 *
 * <ul>
 *   <li>Stateless round trip IPv6 -&gt; IPv4 -&gt; IPv6 through two SIIT translators with the same RFC 6052
 *       prefix: the packet comes back as it was, except that the hop limit is two less, the flow label is zero
 *       and extension headers without work are gone. In particular the transport checksum comes back bit for
 *       bit, also when it was wrong to begin with: RFC 1624 incremental updates must be exact.</li>
 *   <li>Stateful reply symmetry: the IPv4 reply to what a flow's first packet became arrives at the flow's
 *       IPv6 source and port with a valid checksum.</li>
 * </ul>
 *
 * Inputs are built with {@link Pkt}, which computes checksums byte by byte, independently of the engine.
 */
class PropertyTest {
    private static final int EXAMPLES = 3000;

    private static final int UDP = 17;
    private static final int TCP = 6;
    private static final int ICMP = 58;

    // ----------------------------------------------------------------------------------------------- round trip

    /** What one generated IPv6 packet is made of; the packet itself is {@link #packet}. */
    record V6Case(Rfc6052Prefix prefix, int proto, int src4, int dst4, int sport, int dport, int tcpFlags,
                  boolean echoRequest, int payloadLength, long payloadSeed, int trafficClass, int flowLabel,
                  int hopLimit, boolean hopByHop, int checksumMode, int forcedChecksum) {
        static final int CK_RIGHT = 0;
        static final int CK_OFF_BY_ONE = 1;
        static final int CK_FORCED = 2;

        String src6() {
            return Ipv6Address.format(prefix.embedHi(src4), prefix.embedLo(src4));
        }

        String dst6() {
            return Ipv6Address.format(prefix.embedHi(dst4), prefix.embedLo(dst4));
        }

        byte[] payload() {
            byte[] p = new byte[payloadLength];
            new Random(payloadSeed).nextBytes(p);
            return p;
        }

        /** A fresh transport builder: the same segment (and checksum mode) every time. */
        Pkt.L4 l4() {
            Pkt.L4 l4;
            switch (proto) {
                case UDP:
                    l4 = Pkt.udp(sport, dport, payload());
                    break;
                case TCP:
                    l4 = Pkt.tcp(sport, dport, tcpFlags, payload()).seq(payloadSeed & 0xFFFFFFFFL)
                            .ack(payloadSeed >>> 32);
                    break;
                default:
                    l4 = Pkt.icmp(echoRequest ? 128 : 129, 0, sport << 16 | dport, payload());
            }
            if (checksumMode == CK_OFF_BY_ONE) {
                l4.corrupt();
            } else if (checksumMode == CK_FORCED) {
                l4.checksum(forcedChecksum);
            }
            return l4;
        }

        byte[] packet() {
            Pkt.Ip6 ip = Pkt.v6(src6(), dst6()).trafficClass(trafficClass).flowLabel(flowLabel).hopLimit(hopLimit);
            if (hopByHop) {
                ip.options(0);
            }
            return ip.with(l4());
        }

        /** What the round trip must give back. */
        byte[] expectedBack() {
            return Pkt.v6(src6(), dst6()).trafficClass(trafficClass).hopLimit(hopLimit - 2).with(l4());
        }

        @Override
        public String toString() {
            return "V6Case{" + prefix + " proto=" + proto + " " + src6() + "#" + sport + " -> " + dst6() + "#" + dport
                    + " flags=0x" + Integer.toHexString(tcpFlags) + " echoRequest=" + echoRequest + " payload="
                    + payloadLength + " tc=" + trafficClass + " flow=" + flowLabel + " hop=" + hopLimit
                    + " hbh=" + hopByHop + " ckMode=" + checksumMode + " forced=0x"
                    + Integer.toHexString(forcedChecksum) + "}\n  packet " + hex(packet());
        }
    }

    /** A 16-bit checksum value, biased toward the ones-complement edge values 0x0000 and 0xFFFF. */
    private static Gen<Integer> checksums() {
        return in -> {
            int pick = range(0, 9).generate(in);
            return pick == 0 ? 0 : pick == 1 ? 0xFFFF : pick == 2 ? 1 : pick == 3 ? 0xFFFE
                    : range(0, 0xFFFF).generate(in);
        };
    }

    private static Gen<V6Case> v6Cases(Rfc6052Prefix prefix) {
        Gen<Integer> u16 = range(0, 0xFFFF);
        Gen<Integer> v4 = in -> (int) (long) longRange(0, 0xFFFFFFFFL).generate(in);
        Gen<Integer> ck = checksums();
        Gen<V6Case> g = (RandomnessSource in) -> {
            int proto = new int[] {UDP, TCP, ICMP}[range(0, 2).generate(in)];
            int src4 = v4.generate(in);
            int dst4 = v4.generate(in);
            int sport = u16.generate(in);
            int dport = u16.generate(in);
            int flags = range(0, 0xFF).generate(in);
            boolean echoRequest = booleans().generate(in);
            int payload = range(0, 3).generate(in) == 0 ? range(0, 16).generate(in) : range(0, 1400).generate(in);
            long seed = longRange(Long.MIN_VALUE, Long.MAX_VALUE).generate(in);
            int tc = range(0, 255).generate(in);
            int flow = range(0, 0xFFFFF).generate(in);
            int hop = range(2, 255).generate(in);
            boolean hbh = booleans().generate(in);
            int mode = range(0, 2).generate(in);
            int forced = ck.generate(in);
            if (proto == UDP && mode == V6Case.CK_FORCED && forced == 0) {
                // A zero UDP checksum is not a valid IPv6 packet (RFC 8200 §8.1); see zeroUdpChecksum... below.
                forced = 0xFFFF;
            }
            return new V6Case(prefix, proto, src4, dst4, sport, dport, flags, echoRequest, payload, seed, tc, flow,
                    hop, hbh, mode, forced);
        };
        return g.describedAs(V6Case::toString);
    }

    private static EngineConfig statelessConfig(String prefix) {
        return EngineConfig.builder().pool6(prefix).icmpErrorsPerSecond(0).ipv4Mtu(9000).ipv6Mtu(9000).build();
    }

    /** Ones-complement sum of a transport segment plus its pseudo-header (0 and 0xFFFF are the same number). */
    private static int residual(byte[] ip, boolean v6) {
        int hl;
        int proto;
        byte[] src;
        byte[] dst;
        if (v6) {
            hl = 40;
            proto = ip[6] & 0xFF;
            if (proto == 0) { // hop-by-hop
                proto = ip[40] & 0xFF;
                hl = 48;
            }
            src = java.util.Arrays.copyOfRange(ip, 8, 24);
            dst = java.util.Arrays.copyOfRange(ip, 24, 40);
        } else {
            hl = (ip[0] & 0xF) * 4;
            proto = ip[9] & 0xFF;
            src = java.util.Arrays.copyOfRange(ip, 12, 16);
            dst = java.util.Arrays.copyOfRange(ip, 16, 20);
        }
        int len = ip.length - hl;
        int ph = proto == 1 ? 0 : Pkt.pseudo(src, dst, proto, len);
        int s = Pkt.sum(ip, hl, len, ph);
        return s == 0xFFFF ? 0 : s;
    }

    private static int transportChecksumOffset(int proto) {
        return proto == TCP ? 16 : proto == UDP ? 6 : 2;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"2001:db8::/32", "2001:db8:100::/40", "2001:db8:122::/48", "2001:db8:122:300::/56",
        "2001:db8:122:344::/64", "2001:db8:122:344::/96", "64:ff9b::/96"})
    void statelessRoundTripGivesBackTheSamePacket(String prefixText) {
        Rfc6052Prefix prefix = Rfc6052Prefix.parse(prefixText);
        EngineConfig cfg = statelessConfig(prefixText);
        ManualClock clock = new ManualClock();
        Translator to4 = Translator.stateless(prefix, cfg, clock);
        Translator to6 = Translator.stateless(prefix, cfg, clock);
        int[] seen = new int[4];
        qt().withExamples(EXAMPLES).forAll(v6Cases(prefix)).checkAssert(c -> {
            seen[0]++;
            seen[1] += c.hopByHop() ? 1 : 0;
            seen[2] += c.proto() == ICMP ? 1 : 0;
            seen[3] += c.payloadLength() > 1000 ? 1 : 0;
            byte[] in = c.packet();
            List<Translator.Output> o4 = to4.process(Side.IPV6, in);
            assertEquals(1, o4.size(), "6->4 should emit exactly one packet");
            assertEquals(Side.IPV4, o4.get(0).side());
            byte[] v4 = o4.get(0).bytes();
            assertEquals(in.length - (c.hopByHop() ? 48 : 40) + 20, v4.length, "IPv4 length");
            assertEquals(c.hopLimit() - 1, v4[8] & 0xFF, "TTL");
            assertEquals(0xFFFF, Pkt.sum(v4, 0, 20, 0), "IPv4 header checksum of " + hex(v4));
            // The transport checksum is wrong by exactly as much as before (or right if it was right).
            assertEquals(residual(in, true), residual(v4, false),
                    "6->4 changed the checksum residual: " + hex(in) + " -> " + hex(v4));

            long ttlDrops = to6.counters().get(Counter.DROP_TTL_EXPIRED);
            List<Translator.Output> o6 = to6.process(Side.IPV4, v4);
            if (c.hopLimit() == 2) {
                // TTL 1 reaches the second translator, which must not forward it.
                assertEquals(ttlDrops + 1, to6.counters().get(Counter.DROP_TTL_EXPIRED));
                assertTrue(o6.stream().noneMatch(o -> o.side() == Side.IPV6), "TTL 1 forwarded");
                return;
            }
            assertEquals(1, o6.size(), "4->6 should emit exactly one packet from " + hex(v4));
            assertEquals(Side.IPV6, o6.get(0).side());
            byte[] back = o6.get(0).bytes();
            int upper = c.hopByHop() ? 48 : 40;
            int ckOff = transportChecksumOffset(c.proto());
            int ckIn = (in[upper + ckOff] & 0xFF) << 8 | (in[upper + ckOff + 1] & 0xFF);
            int ckBack = back.length > 40 + ckOff + 1 ? (back[40 + ckOff] & 0xFF) << 8 | (back[40 + ckOff + 1] & 0xFF)
                    : -1;
            if (ckIn == 0xFFFF && c.proto() != UDP && ckBack == 0) {
                // Negative zero comes back as positive zero, necessarily: see negativeZeroChecksumComesBackAsPositiveZero.
                // Everything else must come back bit for bit.
                back[40 + ckOff] = (byte) 0xFF;
                back[40 + ckOff + 1] = (byte) 0xFF;
                ckBack = 0xFFFF;
            }
            assertEquals(Integer.toHexString(ckIn), Integer.toHexString(ckBack),
                    "transport checksum changed over the round trip; via IPv4 " + hex(v4));
            assertEquals(hex(c.expectedBack()), hex(back), "round trip via IPv4 " + hex(v4));
        });
        assertEquals(EXAMPLES, seen[0], "examples run");
        assertTrue(seen[1] > 0 && seen[2] > 0 && seen[3] > 0, "generator coverage " + java.util.Arrays.toString(seen));
    }

    /** What one generated IPv4 packet is made of. */
    record V4Case(Rfc6052Prefix prefix, int proto, int src4, int dst4, int sport, int dport, int tcpFlags,
                  boolean echoRequest, int payloadLength, long payloadSeed, int tos, int ttl, boolean df, int id,
                  boolean options, int checksumMode, int forcedChecksum) {
        Pkt.L4 l4() {
            byte[] p = new byte[payloadLength];
            new Random(payloadSeed).nextBytes(p);
            Pkt.L4 l4 = proto == UDP ? Pkt.udp(sport, dport, p)
                    : proto == TCP ? Pkt.tcp(sport, dport, tcpFlags, p).seq(payloadSeed & 0xFFFFFFFFL)
                    : Pkt.icmp(echoRequest ? 8 : 0, 0, sport << 16 | dport, p);
            if (checksumMode == V6Case.CK_OFF_BY_ONE) {
                l4.corrupt();
            } else if (checksumMode == V6Case.CK_FORCED) {
                l4.checksum(forcedChecksum);
            }
            return l4;
        }

        Pkt.Ip4 ip(int ttlValue, int idValue, boolean dfValue, boolean withOptions) {
            Pkt.Ip4 ip = Pkt.v4(Ipv4Address.format(src4), Ipv4Address.format(dst4)).tos(tos).ttl(ttlValue).id(idValue);
            if (dfValue) {
                ip.df();
            }
            if (withOptions) {
                ip.options(new byte[] {7, 7, 4, 0, 0, 0, 0, 1}); // Record Route with room for one address
            }
            return ip;
        }

        byte[] packet() {
            return ip(ttl, id, df, options).with(l4());
        }

        @Override
        public String toString() {
            return "V4Case{" + prefix + " proto=" + proto + " " + Ipv4Address.format(src4) + "#" + sport + " -> "
                    + Ipv4Address.format(dst4) + "#" + dport + " payload=" + payloadLength + " tos=" + tos + " ttl="
                    + ttl + " df=" + df + " options=" + options + " ckMode=" + checksumMode + "}\n  packet "
                    + hex(packet());
        }
    }

    private static Gen<V4Case> v4Cases(Rfc6052Prefix prefix) {
        Gen<Integer> v4 = in -> (int) (long) longRange(0, 0xFFFFFFFFL).generate(in);
        Gen<Integer> ck = checksums();
        Gen<V4Case> g = in -> {
            int proto = new int[] {UDP, TCP, ICMP}[range(0, 2).generate(in)];
            int src4 = v4.generate(in);
            int dst4 = v4.generate(in);
            int sport = range(0, 0xFFFF).generate(in);
            int dport = range(0, 0xFFFF).generate(in);
            int flags = range(0, 0xFF).generate(in);
            boolean echoRequest = booleans().generate(in);
            boolean df = booleans().generate(in);
            // DF=0 packets that do not fit the lowest IPv6 MTU get fragmented; those are not round-trip material.
            int max = df ? 1400 : 1200;
            int payload = range(0, 3).generate(in) == 0 ? range(0, 16).generate(in) : range(0, max).generate(in);
            long seed = longRange(Long.MIN_VALUE, Long.MAX_VALUE).generate(in);
            int tos = range(0, 255).generate(in);
            int ttl = range(3, 255).generate(in);
            int id = range(0, 0xFFFF).generate(in);
            boolean options = booleans().generate(in);
            int mode = range(0, 2).generate(in);
            int forced = ck.generate(in);
            if (proto == UDP && mode == V6Case.CK_FORCED && forced == 0) {
                forced = 0xFFFF; // zero means "no checksum" in IPv4 UDP; 4->6 computes it (RFC 7915 §4.5)
            }
            return new V4Case(prefix, proto, src4, dst4, sport, dport, flags, echoRequest, payload, seed, tos, ttl,
                    df, id, options, mode, forced);
        };
        return g.describedAs(V4Case::toString);
    }

    /**
     * The mirror image: IPv4 -> IPv6 -> IPv4 through two stateless translators gives back the packet except for
     * what RFC 7915 changes: TTL two less, options gone, a new Identification, and DF set exactly when the packet
     * is larger than 1260 bytes (§5.1). The transport checksum comes back as it was.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"2001:db8::/32", "2001:db8:122::/48", "2001:db8:122:344::/64", "64:ff9b::/96"})
    void statelessReverseRoundTripGivesBackTheSamePacket(String prefixText) {
        Rfc6052Prefix prefix = Rfc6052Prefix.parse(prefixText);
        EngineConfig cfg = statelessConfig(prefixText);
        ManualClock clock = new ManualClock();
        Translator to6 = Translator.stateless(prefix, cfg, clock);
        Translator to4 = Translator.stateless(prefix, cfg, clock);
        qt().withExamples(EXAMPLES / 2).forAll(v4Cases(prefix)).checkAssert(c -> {
            byte[] in = c.packet();
            List<Translator.Output> o6 = to6.process(Side.IPV4, in);
            assertEquals(1, o6.size(), "4->6 should emit exactly one packet");
            byte[] v6 = o6.get(0).bytes();
            assertEquals(Side.IPV6, o6.get(0).side());
            assertEquals(residual(in, false), residual(v6, true), "4->6 changed the checksum residual: " + hex(v6));
            List<Translator.Output> o4 = to4.process(Side.IPV6, v6);
            assertEquals(1, o4.size(), "6->4 should emit exactly one packet from " + hex(v6));
            byte[] back = o4.get(0).bytes();
            int newId = ByteBuffer.wrap(back).getShort(4) & 0xFFFF;
            byte[] l4 = c.l4().bytes0(Ipv4Address.format(c.src4()), Ipv4Address.format(c.dst4()));
            boolean dfBack = 20 + l4.length > 1260;
            byte[] expected = c.ip(c.ttl() - 2, newId, dfBack, false).with(c.l4());
            int ckOff = 20 + transportChecksumOffset(c.proto());
            if (c.checksumMode() == V6Case.CK_FORCED && c.forcedChecksum() == 0xFFFF && c.proto() != UDP
                    && back[ckOff] == 0 && back[ckOff + 1] == 0) {
                back[ckOff] = (byte) 0xFF; // negative zero, see negativeZeroChecksumComesBackAsPositiveZero
                back[ckOff + 1] = (byte) 0xFF;
                back[10] = 0;
                back[11] = 0;
                int hc = Pkt.checksum(back, 0, 20, 0);
                back[10] = (byte) (hc >> 8);
                back[11] = (byte) hc;
            }
            assertEquals(hex(expected), hex(back), "round trip via IPv6 " + hex(v6));
        });
    }

    /**
     * The one tolerance of the round-trip property. A TCP or ICMPv6 checksum field of 0xFFFF is ones'-complement
     * negative zero: the same number as 0x0000 (no RFC 1071 sender emits it, but it can be on the wire). The IPv4
     * checksum is that number plus a non-zero pseudo-header delta, which has exactly one 16-bit representation,
     * so 0x0000 and 0xFFFF necessarily become the same IPv4 checksum and no translator can tell them apart on the
     * way back: 0xFFFF returns as 0x0000, which verifies exactly like the original (both are equally wrong).
     */
    @ParameterizedTest(name = "next header {0}")
    @ValueSource(ints = {TCP, ICMP})
    void negativeZeroChecksumComesBackAsPositiveZero(int proto) {
        Rfc6052Prefix prefix = Rfc6052Prefix.parse("2001:db8::/32");
        EngineConfig cfg = statelessConfig("2001:db8::/32");
        Translator to4 = Translator.stateless(prefix, cfg, new ManualClock());
        Translator to6 = Translator.stateless(prefix, cfg, new ManualClock());
        String s = "2001:db8:c000:201::"; // 192.0.2.1
        String d = "2001:db8:c633:6401::"; // 198.51.100.1
        int ck = proto == TCP ? 16 : 2;
        byte[][] v4 = new byte[2][];
        int[] forced = {0xFFFF, 0x0000};
        for (int k = 0; k < 2; k++) {
            Pkt.L4 l4 = proto == TCP ? Pkt.tcp(1000, 80, 0x10, Pkt.pattern(10)).checksum(forced[k])
                    : Pkt.icmp(128, 0, 0x12340001, Pkt.pattern(10)).checksum(forced[k]);
            byte[] in = Pkt.v6(s, d).hopLimit(9).with(l4);
            v4[k] = to4.process(Side.IPV6, in).get(0).bytes();
            byte[] back = to6.process(Side.IPV4, v4[k]).get(0).bytes();
            assertEquals("0000", hex(new byte[] {back[40 + ck], back[41 + ck]}), "6->4->6 of " + hex(in));
            assertEquals(residual(in, true), residual(back, true), "validity unchanged");
        }
        assertEquals(hex(new byte[] {v4[0][20 + ck], v4[0][21 + ck]}), hex(new byte[] {v4[1][20 + ck], v4[1][21 + ck]}),
                "0xFFFF and 0x0000 are one number, so they give one IPv4 checksum");
    }

    /**
     * An IPv6 UDP datagram with a zero checksum is not valid IPv6 (RFC 8200 §8.1, outside RFC 6935 tunnels), so it
     * is kept out of the round-trip property. What the translators do with it is pinned here: 6->4 keeps "no
     * checksum" (which IPv4 allows), and 4->6 then computes the real checksum (RFC 7915 §4.5).
     */
    @Test
    void zeroUdpChecksumOverTheRoundTripBecomesTheRealChecksum() {
        Rfc6052Prefix prefix = Rfc6052Prefix.parse("2001:db8::/32");
        EngineConfig cfg = statelessConfig("2001:db8::/32");
        Translator to4 = Translator.stateless(prefix, cfg, new ManualClock());
        Translator to6 = Translator.stateless(prefix, cfg, new ManualClock());
        String s = "2001:db8:c000:201::";
        String d = "2001:db8:c633:6401::";
        byte[] in = Pkt.v6(s, d).hopLimit(9).with(Pkt.udp(1000, 53, Pkt.pattern(21)).checksum(0));
        byte[] v4 = to4.process(Side.IPV6, in).get(0).bytes();
        assertEquals(0, v4[26] | v4[27], "6->4 keeps the zero UDP checksum");
        byte[] back = to6.process(Side.IPV4, v4).get(0).bytes();
        assertEquals(hex(Pkt.v6(s, d).hopLimit(7).with(Pkt.udp(1000, 53, Pkt.pattern(21)))), hex(back));
    }

    // ------------------------------------------------------------------------------------------ reply symmetry

    record Flow(int proto, long srcLo, int sport, int dst4, int dport, int tcpFlags, int payloadLength,
                long payloadSeed) {
        String src6() {
            return Ipv6Address.format(0x20010db8_00010000L, srcLo);
        }

        String dst6() {
            return "64:ff9b::" + Ipv4Address.format(dst4);
        }

        byte[] payload() {
            byte[] p = new byte[payloadLength];
            new Random(payloadSeed).nextBytes(p);
            return p;
        }

        byte[] packet() {
            Pkt.L4 l4 = proto == UDP ? Pkt.udp(sport, dport, payload())
                    : proto == TCP ? Pkt.tcp(sport, dport, tcpFlags, payload())
                    : Pkt.icmp(128, 0, sport << 16 | 1, payload());
            return Pkt.v6(src6(), dst6()).with(l4);
        }

        @Override
        public String toString() {
            return "Flow{proto=" + proto + " [" + src6() + "]#" + sport + " -> [" + dst6() + "]#" + dport
                    + " flags=0x" + Integer.toHexString(tcpFlags) + " payload=" + payloadLength + "}";
        }
    }

    /** Global unicast IPv4 addresses that are not the translator's own pool4 address. */
    private static Gen<Integer> globalIpv4() {
        Gen<Integer> any = in -> (int) (long) longRange(0x01000000L, 0xDFFFFFFFL).generate(in);
        return any.assuming(a -> !SpecialIpv4.isNonGlobal(a) && !SpecialIpv4.isUnusableUnicast(a));
    }

    private static Gen<List<Flow>> flows() {
        Gen<Integer> dst = globalIpv4();
        Gen<Flow> flow = in -> {
            int proto = new int[] {UDP, TCP, ICMP}[range(0, 2).generate(in)];
            long srcLo = range(1, 40).generate(in); // few hosts, so that hosts have several flows
            int sport = range(1, 0xFFFF).generate(in);
            int d = dst.generate(in);
            int dport = range(1, 0xFFFF).generate(in);
            // A first TCP packet from IPv6 must be a SYN to open a session (RFC 6146 §3.5.2.2).
            int flags = TcpFlags.SYN | (range(0, 0xFF).generate(in) & ~(TcpFlags.RST | TcpFlags.FIN));
            int payload = range(0, 1200).generate(in);
            long seed = longRange(Long.MIN_VALUE, Long.MAX_VALUE).generate(in);
            return new Flow(proto, srcLo, sport, d, dport, flags, payload, seed);
        };
        return in -> {
            int n = range(1, 25).generate(in);
            List<Flow> l = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                l.add(flow.generate(in));
            }
            return l;
        };
    }

    private static final class TcpFlags {
        static final int FIN = 1;
        static final int SYN = 2;
        static final int RST = 4;
        static final int ACK = 0x10;
    }

    private static String addr4(byte[] ip, int off) {
        return Ipv4Address.format(ByteBuffer.wrap(ip).getInt(off));
    }

    @Test
    void replyToTranslatedPacketReachesTheIpv6SourceWithValidChecksum() {
        qt().withExamples(300).forAll(flows()).checkAssert(list -> {
            Harness h = new Harness(Harness.defaults().maxSessions(4096).maxFragmentBuffers(4).maxStoredSyns(4)
                    .build());
            for (Flow f : list) {
                byte[] in = f.packet();
                byte[] out = h.one(h.send6(in), Side.IPV4);
                String ctx = f + "\n  in  " + hex(in) + "\n  out " + hex(out);
                int ihl = (out[0] & 0xF) * 4;
                assertEquals(Harness.POOL4, addr4(out, 12), ctx);
                assertEquals(Ipv4Address.format(f.dst4()), addr4(out, 16), ctx);
                ByteBuffer ob = ByteBuffer.wrap(out);
                int t = ob.getShort(ihl + (f.proto() == ICMP ? 4 : 0)) & 0xFFFF;
                byte[] outSrc = Pkt.addr(Harness.POOL4);
                byte[] outDst = Pkt.addr(Ipv4Address.format(f.dst4()));
                int ph = f.proto() == ICMP ? 0 : Pkt.pseudo(outSrc, outDst, f.proto(), out.length - ihl);
                assertEquals(0xFFFF, Pkt.sum(out, ihl, out.length - ihl, ph), "6->4 checksum invalid: " + ctx);

                // The IPv4 host answers: addresses and ports swapped.
                Pkt.Ip4 rip = Pkt.v4(Ipv4Address.format(f.dst4()), Harness.POOL4);
                byte[] reply = f.proto() == UDP ? rip.with(Pkt.udp(f.dport(), t, Pkt.pattern(13)))
                        : f.proto() == TCP ? rip.with(Pkt.tcp(f.dport(), t, TcpFlags.SYN | TcpFlags.ACK, Pkt.pattern(3)))
                        : rip.with(Pkt.icmp(0, 0, t << 16 | 1, Pkt.pattern(11)));
                byte[] back = h.one(h.send4(reply), Side.IPV6);
                ctx += "\n  reply " + hex(reply) + "\n  back  " + hex(back);
                byte[] src6 = java.util.Arrays.copyOfRange(back, 8, 24);
                byte[] dst6 = java.util.Arrays.copyOfRange(back, 24, 40);
                assertEquals(hex(Pkt.addr(f.src6())), hex(dst6), "reply to the wrong IPv6 host: " + ctx);
                assertEquals(hex(Pkt.addr(f.dst6())), hex(src6), "reply from the wrong address: " + ctx);
                assertEquals(f.proto(), back[6] & 0xFF, ctx);
                ByteBuffer bb = ByteBuffer.wrap(back);
                if (f.proto() == ICMP) {
                    assertEquals(129, back[40] & 0xFF, "echo reply type: " + ctx);
                    assertEquals(f.sport(), bb.getShort(44) & 0xFFFF, "echo identifier: " + ctx);
                } else {
                    assertEquals(f.dport(), bb.getShort(40) & 0xFFFF, "source port: " + ctx);
                    assertEquals(f.sport(), bb.getShort(42) & 0xFFFF, "destination port: " + ctx);
                }
                int ph6 = Pkt.pseudo(src6, dst6, f.proto(), back.length - 40);
                assertEquals(0xFFFF, Pkt.sum(back, 40, back.length - 40, ph6), "reply checksum invalid: " + ctx);
            }
        });
    }

    // ------------------------------------------------------------------------------------- ICMP rate limit

    /**
     * RFC 4443 §2.4 (f): the translator's own ICMP errors are rate limited to icmpErrorsPerSecond. Whatever the
     * configured rate and however often error-triggering packets come, the errors that go out over a few seconds
     * must be about min(offered, rate) per second (plus the initial burst), not fewer and not more.
     */
    @Test
    void icmpErrorRateLimitLetsTheConfiguredRateThrough() {
        byte[] ttl1 = Pkt.v4(Harness.V4_HOST, Harness.POOL4).ttl(1).with(Pkt.udp(4000, 2000, Pkt.pattern(4)));
        Gen<Integer> rates = in -> range(0, 1).generate(in) == 0 ? range(1, 1000).generate(in)
                : range(1000, 20_000).generate(in);
        qt().withExamples(40).forAll(rates, range(1, 20)).checkAssert((rate, gapMs) -> {
            Harness h = new Harness(Harness.defaults().icmpErrorsPerSecond(rate).maxSessions(64).build());
            int seconds = 5;
            long start = h.clock.millis();
            int offered = 0;
            for (long t = 0; t < seconds * 1000L; t += gapMs) {
                h.clock.set(start + t);
                h.send4(ttl1);
                offered++;
            }
            long sent = h.count(Counter.ICMP_ERRORS_SENT);
            long burst = Math.max(10, rate / 10);
            long allowed = (long) rate * seconds;
            String what = "rate " + rate + "/s, a TTL-1 packet every " + gapMs + " ms for " + seconds + " s ("
                    + offered + " offered): " + sent + " errors sent, " + h.count(Counter.DROP_ICMP_RATE_LIMITED)
                    + " rate limited";
            assertTrue(sent >= Math.min(offered, allowed) * 9 / 10, "too few errors: " + what);
            assertTrue(sent <= allowed + burst + 1, "too many errors: " + what);
        });
    }

    /** The same limiter with a clock that reads like the real one (ms since 1970) and the highest legal rate. */
    @Test
    void icmpErrorRateLimitWithEpochClockAndHighestRate() {
        Harness h = new Harness(Harness.defaults().icmpErrorsPerSecond(10_000_000).maxSessions(64).build());
        h.clock.set(1_750_000_000_000L); // mid-2025
        byte[] ttl1 = Pkt.v4(Harness.V4_HOST, Harness.POOL4).ttl(1).with(Pkt.udp(4000, 2000, Pkt.pattern(4)));
        for (int i = 0; i < 100; i++) {
            h.clock.set(1_750_000_000_000L + i);
            h.send4(ttl1);
        }
        assertEquals(100, h.count(Counter.ICMP_ERRORS_SENT),
                "rate limited " + h.count(Counter.DROP_ICMP_RATE_LIMITED) + " of 100 at 10,000,000 errors/s");
    }
}
