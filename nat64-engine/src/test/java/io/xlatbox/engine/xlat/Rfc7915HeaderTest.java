package io.xlatbox.engine.xlat;

import static io.xlatbox.engine.testutil.Pkt.hex;
import static io.xlatbox.engine.testutil.Pkt.icmp;
import static io.xlatbox.engine.testutil.Pkt.pattern;
import static io.xlatbox.engine.testutil.Pkt.tcp;
import static io.xlatbox.engine.testutil.Pkt.udp;
import static io.xlatbox.engine.testutil.Pkt.v4;
import static io.xlatbox.engine.testutil.Pkt.v6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.Side;
import io.xlatbox.engine.Translator.Output;
import io.xlatbox.engine.testutil.Harness;
import io.xlatbox.engine.testutil.Pkt;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 7915 §4.1 and §5.1 header translation, through the packet-level API of a stateful translator whose static
 * BIB entry (2001:db8::5#2000 = 192.0.2.2#2000) makes every address and port predictable. Expected packets are
 * built field by field with {@link Pkt}.
 */
class Rfc7915HeaderTest {
    private static final String X = Harness.V6_HOST;
    private static final String Z6 = Harness.V4_HOST_6;
    private static final String Z = Harness.V4_HOST;
    private static final String T = Harness.POOL4;

    private final Harness h = new Harness();

    /** The generated IPv4 Identification of an output, to put in the expected packet. */
    private static int id(byte[] v4) {
        return ByteBuffer.wrap(v4).getShort(4) & 0xFFFF;
    }

    @Test
    void udp6to4CopiesTrafficClassDecrementsHopLimitAndUpdatesChecksum() {
        byte[] in = v6(X, Z6).trafficClass(0xb8).flowLabel(0x12345).hopLimit(64).with(udp(2000, 4000, pattern(20)));
        byte[] out = h.one(h.send6(in), Side.IPV4);
        byte[] expected = v4(T, Z).tos(0xb8).ttl(63).id(id(out)).with(udp(2000, 4000, pattern(20)));
        assertEquals(hex(expected), hex(out));
        assertEquals(1, h.count(Counter.TRANSLATED_6TO4));
    }

    @Test
    void udp4to6CopiesTosSetsFlowLabelZero() {
        byte[] in = v4(Z, T).tos(0x10).ttl(64).id(77).with(udp(4000, 2000, pattern(33)));
        byte[] out = h.one(h.send4(in), Side.IPV6);
        assertEquals(hex(v6(Z6, X).trafficClass(0x10).hopLimit(63).with(udp(4000, 2000, pattern(33)))), hex(out));
    }

    @Test
    void trafficClassCanBeZeroed() {
        Harness z = new Harness(Harness.defaults().copyTrafficClass(false).build());
        byte[] out = z.one(z.send4(v4(Z, T).tos(0xfc).with(udp(4000, 2000, pattern(8)))), Side.IPV6);
        assertEquals(hex(v6(Z6, X).hopLimit(63).with(udp(4000, 2000, pattern(8)))), hex(out));
    }

    @Test
    void badTransportChecksumStaysBad() {
        byte[] out = h.one(h.send6(v6(X, Z6).with(tcp(2000, 80, 0x10, pattern(10)).corrupt())), Side.IPV4);
        assertEquals(hex(v4(T, Z).ttl(63).id(id(out)).with(tcp(2000, 80, 0x10, pattern(10)).corrupt())), hex(out));
        byte[] back = h.one(h.send4(v4(Z, T).with(udp(53, 2000, pattern(9)).corrupt())), Side.IPV6);
        assertEquals(hex(v6(Z6, X).hopLimit(63).with(udp(53, 2000, pattern(9)).corrupt())), hex(back));
    }

    @Test
    void dontFragmentIsSetAbove1260Bytes() {
        // RFC 7915 §5.1: DF=0 up to 1260 bytes of IPv4, DF=1 above (Jool's ci and ch vectors).
        byte[] at1280 = v6(X, Z6).with(udp(2000, 9, new byte[1280 - 48]));
        byte[] out = h.one(h.send6(at1280), Side.IPV4);
        assertEquals(1260, out.length);
        assertEquals(0, out[6] & 0x40);
        byte[] at1281 = v6(X, Z6).with(udp(2000, 9, new byte[1281 - 48]));
        byte[] out2 = h.one(h.send6(at1281), Side.IPV4);
        assertEquals(1261, out2.length);
        assertEquals(0x40, out2[6] & 0x40);
        assertEquals(hex(v4(T, Z).ttl(63).id(id(out2)).df().with(udp(2000, 9, new byte[1281 - 48]))), hex(out2));
    }

    @Test
    void hopLimitOneGivesTimeExceeded() {
        byte[] in = v6(X, Z6).hopLimit(1).with(udp(2000, 9, pattern(4)));
        byte[] err = h.one(h.send6(in), Side.IPV6);
        assertEquals(hex(v6("2001:db8::1", X).with(icmp(3, 0, 0, in))), hex(err));
        assertEquals(1, h.count(Counter.DROP_TTL_EXPIRED));
    }

    @Test
    void ttlOneGivesTimeExceededFromOwnAddress() {
        byte[] in = v4(Z, T).ttl(1).with(udp(4000, 2000, pattern(4)));
        byte[] err = h.one(h.send4(in), Side.IPV4);
        assertEquals(hex(v4(T, Z).id(id(err)).with(icmp(11, 0, 0, in))), hex(err));
    }

    @Test
    void routingHeaderWithSegmentsLeftGivesParameterProblemAtSegmentsLeft() {
        byte[] in = v6(X, Z6).routing(1).with(udp(2000, 9, pattern(4)));
        byte[] err = h.one(h.send6(in), Side.IPV6);
        assertEquals(hex(v6("2001:db8::1", X).with(icmp(4, 0, 43, in))), hex(err));
        assertEquals(1, h.count(Counter.DROP_ROUTING_HEADER));
    }

    @Test
    void extensionHeadersWithoutWorkAreSkipped() {
        byte[] in = v6(X, Z6).options(0).routing(0).options(60).with(udp(2000, 9, pattern(12)));
        byte[] out = h.one(h.send6(in), Side.IPV4);
        assertEquals(hex(v4(T, Z).ttl(63).id(id(out)).with(udp(2000, 9, pattern(12)))), hex(out));
    }

    @Test
    void ipv6FragmentsBecomeIpv4Fragments() {
        // §5.1.1: Identification = low 16 bits, DF=0, MF and offset copied (Jool's cj vector).
        byte[] udpSegment = udp(2000, 9, pattern(40)).bytes0(X, Z6);
        byte[] first = v6(X, Z6).fragment(0, true, 0x01020308).withPayload(17, Pkt.head(udpSegment, 24));
        byte[] o1 = h.one(h.send6(first), Side.IPV4);
        byte[] expectedSegment = udp(2000, 9, pattern(40)).bytes0(T, Z);
        assertEquals(hex(v4(T, Z).ttl(63).id(0x0308).mf().withPayload(17, Pkt.head(expectedSegment, 24))), hex(o1));
        byte[] rest = new byte[24];
        System.arraycopy(udpSegment, 24, rest, 0, 24);
        byte[] second = v6(X, Z6).fragment(24, false, 0x01020308).withPayload(17, rest);
        byte[] o2 = h.one(h.send6(second), Side.IPV4);
        assertEquals(hex(v4(T, Z).ttl(63).id(0x0308).fragOffset(24).withPayload(17, rest)), hex(o2));
    }

    @Test
    void laterFragmentBeforeFirstIsHeldThenTranslated() {
        byte[] udpSegment = udp(2000, 9, pattern(40)).bytes0(X, Z6);
        byte[] rest = new byte[24];
        System.arraycopy(udpSegment, 24, rest, 0, 24);
        byte[] second = v6(X, Z6).fragment(24, false, 7).withPayload(17, rest);
        assertEquals(0, h.send6(second).size());
        assertEquals(1, h.count(Counter.FRAGMENTS_QUEUED));
        List<Output> out = h.send6(v6(X, Z6).fragment(0, true, 7).withPayload(17, Pkt.head(udpSegment, 24)));
        assertEquals(2, out.size());
        assertEquals(hex(v4(T, Z).ttl(63).id(7).fragOffset(24).withPayload(17, rest)), hex(out.get(1).bytes()));
    }

    @Test
    void heldFragmentExpiresAfterFragmentTimeout() {
        byte[] second = v6(X, Z6).fragment(24, false, 9).withPayload(17, pattern(24));
        h.send6(second);
        h.advance(java.time.Duration.ofSeconds(3));
        h.translator.expire();
        assertEquals(1, h.count(Counter.DROP_FRAGMENT_TIMEOUT));
    }

    @Test
    void tooBigForIpv4LinkGivesPacketTooBig() {
        // Jool's cg vector: IPv4 MTU 1400, a 1421-byte IPv6 packet: PTB 1420.
        Harness small = new Harness(Harness.defaults().ipv4Mtu(1400).build());
        byte[] in = v6(X, Z6).with(udp(2000, 9, new byte[1421 - 48]));
        byte[] err = small.one(small.send6(in), Side.IPV6);
        assertEquals(1280, err.length);
        assertEquals(hex(v6("2001:db8::1", X).with(icmp(2, 0, 1420, Pkt.head(in, 1232)))), hex(err));
    }

    @Test
    void zeroUdpChecksumIsComputedWhenUnfragmented() {
        byte[] in = v4(Z, T).with(udp(4000, 2000, pattern(17)).checksum(0));
        byte[] out = h.one(h.send4(in), Side.IPV6);
        assertEquals(hex(v6(Z6, X).hopLimit(63).with(udp(4000, 2000, pattern(17)))), hex(out));
    }

    @Test
    void zeroUdpChecksumInAFragmentIsDropped() {
        byte[] seg = udp(4000, 2000, pattern(40)).checksum(0).bytes0(Z, T);
        byte[] in = v4(Z, T).mf().id(3).withPayload(17, Pkt.head(seg, 24));
        assertEquals(0, h.send4(in).size());
        assertEquals(1, h.count(Counter.DROP_ZERO_CHECKSUM_FRAGMENT));
    }

    @Test
    void dfClearPacketLargerThanLowestIpv6MtuIsFragmented() {
        // Jool's cc vector: a 1261-byte TCP packet, ID 1234, DF=0 -> fragments of 1280 and 57 bytes.
        byte[] payload = pattern(1261 - 40);
        byte[] in = v4(Z, T).id(1234).with(tcp(4000, 2000, 0x10, payload));
        List<Output> out = h.send4(in);
        assertEquals(2, out.size());
        assertEquals(1280, out.get(0).bytes().length);
        assertEquals(57, out.get(1).bytes().length);
        byte[] seg6 = tcp(4000, 2000, 0x10, payload).bytes0(Z6, X);
        byte[] p1 = Pkt.head(seg6, 1232);
        byte[] p2 = new byte[seg6.length - 1232];
        System.arraycopy(seg6, 1232, p2, 0, p2.length);
        assertEquals(hex(v6(Z6, X).hopLimit(63).fragment(0, true, 1234).withPayload(6, p1)), hex(out.get(0).bytes()));
        assertEquals(hex(v6(Z6, X).hopLimit(63).fragment(1232, false, 1234).withPayload(6, p2)),
                hex(out.get(1).bytes()));
    }

    @Test
    void dontFragmentTooBigForIpv6GivesFragmentationNeeded() {
        // Jool's ca vector: IPv6 MTU 1280, a 1261-byte DF packet: Fragmentation Needed, MTU 1260, 576 bytes.
        Harness small = new Harness(Harness.defaults().ipv6Mtu(1280).build());
        byte[] in = v4(Z, T).df().with(udp(4000, 2000, new byte[1261 - 28]));
        byte[] err = small.one(small.send4(in), Side.IPV4);
        assertEquals(576, err.length);
        assertEquals(hex(v4(T, Z).id(id(err)).with(icmp(3, 4, 1260, Pkt.head(in, 548)))), hex(err));
    }

    @Test
    void fragmentGetsFragmentHeaderWithIpv4Identification() {
        byte[] seg = udp(4000, 2000, pattern(40)).bytes0(Z, T);
        byte[] in = v4(Z, T).mf().id(0xabcd).withPayload(17, Pkt.head(seg, 24));
        byte[] out = h.one(h.send4(in), Side.IPV6);
        byte[] seg6 = udp(4000, 2000, pattern(40)).bytes0(Z6, X);
        assertEquals(hex(v6(Z6, X).hopLimit(63).fragment(0, true, 0xabcd).withPayload(17, Pkt.head(seg6, 24))),
                hex(out));
        byte[] rest = new byte[24];
        System.arraycopy(seg, 24, rest, 0, 24);
        byte[] out2 = h.one(h.send4(v4(Z, T).fragOffset(24).id(0xabcd).withPayload(17, rest)), Side.IPV6);
        assertEquals(hex(v6(Z6, X).hopLimit(63).fragment(24, false, 0xabcd).withPayload(17, rest)), hex(out2));
    }

    @Test
    void unexpiredSourceRouteGivesSourceRouteFailed() {
        // LSRR with one address left (pointer 4 <= length 7), padded with an End of Options.
        byte[] opts = {(byte) 131, 7, 4, 10, 0, 0, 1, 0};
        byte[] in = v4(Z, T).options(opts).with(udp(4000, 2000, pattern(4)));
        byte[] err = h.one(h.send4(in), Side.IPV4);
        assertEquals(hex(v4(T, Z).id(id(err)).with(icmp(3, 5, 0, in))), hex(err));
        // Expired (pointer 8 > length 7): options are ignored and the packet translated.
        byte[] expired = {(byte) 131, 7, 8, 10, 0, 0, 1, 0};
        byte[] out = h.one(h.send4(v4(Z, T).options(expired).with(udp(4000, 2000, pattern(4)))), Side.IPV6);
        assertEquals(hex(v6(Z6, X).hopLimit(63).with(udp(4000, 2000, pattern(4)))), hex(out));
    }

    @Test
    void badIpv4HeaderChecksumIsDropped() {
        byte[] in = v4(Z, T).with(udp(4000, 2000, pattern(4)));
        in[10] ^= 1;
        assertEquals(0, h.send4(in).size());
        assertEquals(1, h.count(Counter.DROP_BAD_CHECKSUM));
    }

    @Test
    void unsupportedProtocolGetsUnreachable() {
        byte[] in6 = v6(X, Z6).with(Pkt.raw(132, pattern(16)));
        byte[] e6 = h.one(h.send6(in6), Side.IPV6);
        assertEquals(hex(v6("2001:db8::1", X).with(icmp(1, 4, 0, in6))), hex(e6));
        byte[] in4 = v4(Z, T).with(Pkt.raw(132, pattern(16)));
        byte[] e4 = h.one(h.send4(in4), Side.IPV4);
        assertEquals(hex(v4(T, Z).id(id(e4)).with(icmp(3, 2, 0, in4))), hex(e4));
    }

    @Test
    void singleHopAndObsoleteIcmpIsDropped() {
        assertEquals(0, h.send6(v6(X, Z6).with(icmp(135, 0, 0, pattern(20)))).size()); // neighbor solicitation
        assertEquals(0, h.send4(v4(Z, T).with(icmp(13, 0, 0, pattern(12)))).size()); // timestamp
        assertTrue(h.count(Counter.DROP_UNEXPECTED_ICMPV6) == 1 && h.count(Counter.DROP_UNTRANSLATABLE_ICMP) == 1);
    }
}
