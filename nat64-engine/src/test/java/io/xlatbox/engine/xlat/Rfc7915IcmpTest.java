package io.xlatbox.engine.xlat;

import static io.xlatbox.engine.testutil.Pkt.head;
import static io.xlatbox.engine.testutil.Pkt.hex;
import static io.xlatbox.engine.testutil.Pkt.icmp;
import static io.xlatbox.engine.testutil.Pkt.pattern;
import static io.xlatbox.engine.testutil.Pkt.tcp;
import static io.xlatbox.engine.testutil.Pkt.udp;
import static io.xlatbox.engine.testutil.Pkt.v4;
import static io.xlatbox.engine.testutil.Pkt.v6;
import static io.xlatbox.engine.testutil.Pkt.zeros;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.Side;
import io.xlatbox.engine.Translator.Output;
import io.xlatbox.engine.testutil.Harness;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RFC 7915 §4.2-4.3 and §5.2-5.3 ICMP translation (with RFC 6146 §3.4-3.7 for the stateful parts) through the
 * packet-level API. Every expected packet is built field by field with {@link io.xlatbox.engine.testutil.Pkt};
 * only the IPv4 Identification the translator generates, and the ICMP identifier it allocates, are copied from
 * the output.
 *
 * <p>Cast: the IPv6 host X = 2001:db8::5 (static BIB #2000 = T#2000 for TCP and UDP), the IPv4 host Z =
 * 192.0.2.5 (Z6 = 64:ff9b::192.0.2.5), pool4 T = 192.0.2.2, an IPv4 router R4 = 203.0.113.1 and an IPv6 router
 * R6 = 2001:db8:ffff::1.
 */
class Rfc7915IcmpTest {
    private static final String X = Harness.V6_HOST;
    private static final String Z6 = Harness.V4_HOST_6;
    private static final String Z = Harness.V4_HOST;
    private static final String T = Harness.POOL4;
    private static final String R4 = "203.0.113.1";
    /** R4 behind pool6, written out by hand: 203.0.113.1 = cb00:7101. */
    private static final String R4_6 = "64:ff9b::cb00:7101";
    private static final String R6 = "2001:db8:ffff::1";
    /** An RFC 4884 extension structure (version 2 header and one object); opaque to the translator. */
    private static final byte[] EXT = extension(20);

    private Harness h = new Harness();

    // ============================================================================================ helpers

    private static int id(byte[] v4) {
        return ByteBuffer.wrap(v4).getShort(4) & 0xFFFF;
    }

    /** The identifier of an ICMPv4 echo in a packet without options. */
    private static int echoId(byte[] v4) {
        return ByteBuffer.wrap(v4).getShort(24) & 0xFFFF;
    }

    private static byte[] extension(int n) {
        byte[] e = pattern(n);
        e[0] = 0x20;
        e[1] = 0;
        return e;
    }

    private static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    private static Harness harness(int ipv6Mtu, int ipv4Mtu) {
        return new Harness(Harness.defaults().ipv6Mtu(ipv6Mtu).ipv4Mtu(ipv4Mtu).maxFragmentBuffers(4).build());
    }

    // Packets in error, 4->6 direction: the translator sent X#2000 -> Z6#4000 out as T#2000 -> Z#4000.

    /** What left toward IPv4 (TTL 63), quoted by an IPv4 router. */
    private static byte[] sent4(int payload) {
        return v4(T, Z).ttl(63).id(0x2222).with(udp(2000, 4000, pattern(payload)));
    }

    /** The same datagram as it must appear inside the ICMPv6 error: reversed mapping, hop limit = TTL. */
    private static byte[] orig6(int payload) {
        return v6(X, Z6).hopLimit(63).with(udp(2000, 4000, pattern(payload)));
    }

    /** The first 128 bytes of a T#2000 -> Z#4000 datagram whose Total Length is {@code total}. */
    private static byte[] quoted4(int total) {
        byte[] seg = udp(2000, 4000, pattern(total - 28)).bytes0(T, Z);
        return v4(T, Z).ttl(63).totalLength(total).withPayload(17, head(seg, 108));
    }

    private static byte[] quoted6(int total) {
        byte[] seg = udp(2000, 4000, pattern(total - 28)).bytes0(X, Z6);
        return v6(X, Z6).hopLimit(63).payloadLength(total - 20).withPayload(17, head(seg, 108));
    }

    /** An ICMPv4 error from R4 to T (TTL 30). */
    private static byte[] err4(int type, int code, int rest, byte[] inner) {
        return v4(R4, T).ttl(30).with(icmp(type, code, rest, inner));
    }

    /** The ICMPv6 error it must become: from Pref64 + R4 to X, hop limit 29. */
    private static byte[] want6(int type, int code, int rest, byte[] inner) {
        return v6(R4_6, X).hopLimit(29).with(icmp(type, code, rest, inner));
    }

    // Packets in error, 6->4 direction: the translator sent Z#4000 -> T#2000 out as Z6#4000 -> X#2000.

    private static byte[] sent6(int payload) {
        return v6(Z6, X).hopLimit(63).with(udp(4000, 2000, pattern(payload)));
    }

    /** As it must appear inside the ICMPv4 error: Identification 0, DF by the 1260-byte rule (clear here). */
    private static byte[] orig4(int payload) {
        return v4(Z, T).ttl(63).with(udp(4000, 2000, pattern(payload)));
    }

    /** An ICMPv6 error from R6 to Z6 (hop limit 30). */
    private static byte[] err6(int type, int code, int rest, byte[] inner) {
        return v6(R6, Z6).hopLimit(30).with(icmp(type, code, rest, inner));
    }

    /** The ICMPv4 error it must become: from T to Z, TTL 29, DF clear. */
    private static byte[] want4(byte[] out, int type, int code, int rest, byte[] inner) {
        return v4(T, Z).ttl(29).id(id(out)).with(icmp(type, code, rest, inner));
    }

    private void assert4to6(byte[] in, byte[] expected) {
        assertEquals(hex(expected), hex(h.one(h.send4(in), Side.IPV6)));
    }

    private void assertDropped(Side from, byte[] in, Counter why) {
        long before = h.count(why);
        List<Output> out = from == Side.IPV4 ? h.send4(in) : h.send6(in);
        assertEquals(0, out.size(), "expected a silent drop");
        assertEquals(before + 1, h.count(why), why.name());
    }

    /** Sends an echo request from X with identifier i1, creating the ICMP BIB entry; returns i2. */
    private int ping6(int i1) {
        byte[] out = h.one(h.send6(v6(X, Z6).with(icmp(128, 0, i1 << 16 | 7, pattern(24)))), Side.IPV4);
        return echoId(out);
    }

    // ============================================================================================ echo

    @Test
    void echoRequestAndReplyTranslateBothWaysWithTheBibIdentifier() {
        // §5.2: 128 -> 8; RFC 6146 §3.5.3: identifier i1 -> i2 of the new BIB entry; pseudo-header leaves the sum.
        int i1 = 40000; // outside pool4's ICMP range 0-3000, so it must be rewritten
        byte[] req = v6(X, Z6).with(icmp(128, 0, i1 << 16 | 1, pattern(56)));
        byte[] out = h.one(h.send6(req), Side.IPV4);
        int i2 = echoId(out);
        assertTrue(i2 <= 3000, "identifier from pool4: " + i2);
        assertEquals(hex(v4(T, Z).ttl(63).id(id(out)).with(icmp(8, 0, i2 << 16 | 1, pattern(56)))), hex(out));
        assertEquals(1, h.count(Counter.BIB_CREATED));
        // §4.2: 0 -> 129, i2 -> i1, the ICMPv6 pseudo-header enters the sum.
        assert4to6(v4(Z, T).with(icmp(0, 0, i2 << 16 | 1, pattern(56))),
                v6(Z6, X).hopLimit(63).with(icmp(129, 0, i1 << 16 | 1, pattern(56))));
        // The IPv4 side pings through the same entry (8 -> 128) and X answers (129 -> 0).
        assert4to6(v4(Z, T).ttl(9).with(icmp(8, 0, i2 << 16 | 2, pattern(3))),
                v6(Z6, X).hopLimit(8).with(icmp(128, 0, i1 << 16 | 2, pattern(3))));
        byte[] rep = h.one(h.send6(v6(X, Z6).with(icmp(129, 0, i1 << 16 | 2, pattern(3)))), Side.IPV4);
        assertEquals(hex(v4(T, Z).ttl(63).id(id(rep)).with(icmp(0, 0, i2 << 16 | 2, pattern(3)))), hex(rep));
        assertEquals(1, h.count(Counter.BIB_CREATED));
    }

    @Test
    void corruptedEchoChecksumStaysCorruptedByTheSameAmount() {
        // Echo checksums are updated incrementally (RFC 1624), not validated or recomputed.
        int i2 = ping6(777);
        byte[] out = h.one(h.send6(v6(X, Z6).with(icmp(128, 0, 777 << 16 | 9, pattern(30)).corrupt())), Side.IPV4);
        assertEquals(hex(v4(T, Z).ttl(63).id(id(out)).with(icmp(8, 0, i2 << 16 | 9, pattern(30)).corrupt())),
                hex(out));
        assert4to6(v4(Z, T).with(icmp(0, 0, i2 << 16 | 9, pattern(30)).corrupt()),
                v6(Z6, X).hopLimit(63).with(icmp(129, 0, 777 << 16 | 9, pattern(30)).corrupt()));
    }

    // ============================================================================================ ICMPv4 -> ICMPv6

    @Test
    void icmpv4ErrorAnatomy() {
        // §4.3: the inner packet is translated like a normal one (reversed session mapping, RFC 6146 §3.6) but its
        // TTL is kept; the outer hop limit is decremented; outer source = Pref64 + the router (Jool's default).
        byte[] inner = v4(T, Z).tos(0x28).ttl(7).id(0x4321).df().with(udp(2000, 4000, pattern(40)));
        byte[] in = v4(R4, T).tos(0xc0).ttl(30).with(icmp(3, 3, 0, inner));
        byte[] inner6 = v6(X, Z6).trafficClass(0x28).hopLimit(7).with(udp(2000, 4000, pattern(40)));
        assert4to6(in, v6(R4_6, X).trafficClass(0xc0).hopLimit(29).with(icmp(1, 4, 0, inner6)));
        assertEquals(1, h.count(Counter.ICMP_ERRORS_TRANSLATED));
        assertEquals(0, h.count(Counter.SESSIONS_CREATED)); // RFC 6146 §3.5: errors create no state
    }

    @ParameterizedTest(name = "3/{0} -> {1}/{2} rest {3}")
    @CsvSource({
        "0, 1, 0, 0", "1, 1, 0, 0", "2, 4, 1, 6", "3, 1, 4, 0", "5, 1, 0, 0", "6, 1, 0, 0", "7, 1, 0, 0",
        "8, 1, 0, 0", "9, 1, 1, 0", "10, 1, 1, 0", "11, 1, 0, 0", "12, 1, 0, 0", "13, 1, 1, 0", "15, 1, 1, 0"})
    void destinationUnreachable4to6(int code4, int type6, int code6, int rest6) {
        // §4.2: codes 0/1/5/6/7/8/11/12 -> 1/0; 2 -> Parameter Problem 4/1 pointer 6 (Next Header); 3 -> 1/4;
        // 9/10/13/15 -> 1/1. (Code 4 is in the MTU section.)
        assert4to6(err4(3, code4, 0, sent4(21)), want6(type6, code6, rest6, orig6(21)));
    }

    @ParameterizedTest(name = "3/{0} dropped")
    @ValueSource(ints = {14, 16, 200, 255})
    void destinationUnreachableWithoutCounterpartIsDropped(int code4) {
        // §4.2: code 14 (host precedence violation) and unknown codes: silently drop.
        assertDropped(Side.IPV4, err4(3, code4, 0, sent4(21)), Counter.DROP_UNTRANSLATABLE_ICMP);
    }

    @ParameterizedTest(name = "11/{0} -> 3/{0}")
    @ValueSource(ints = {0, 1})
    void timeExceeded4to6(int code) {
        // §4.2: Time Exceeded 11 -> 3, code copied.
        assert4to6(err4(11, code, 0, sent4(21)), want6(3, code, 0, orig6(21)));
    }

    /** RFC 7915 §4.2 Figure 3, indexed by IPv4 pointer 0..19 (-1: n/a); beyond 19 nothing maps. */
    static Stream<Arguments> figure3() {
        int[] v6 = {0, 1, 4, 4, -1, -1, -1, -1, 7, 6, -1, -1, 8, 8, 8, 8, 24, 24, 24, 24};
        return IntStream.concat(IntStream.rangeClosed(0, 21), IntStream.of(255))
                .mapToObj(p -> Arguments.of(p, p < v6.length ? v6[p] : -1));
    }

    @ParameterizedTest(name = "pointer {0} -> {1}")
    @MethodSource("figure3")
    void parameterProblemPointer4to6(int ptr4, int ptr6) {
        // §4.2: codes 0 and 2 -> 4/0 with the pointer of Figure 3; an n/a pointer: silently drop.
        for (int code : new int[] {0, 2}) {
            byte[] in = err4(12, code, ptr4 << 24, sent4(21));
            if (ptr6 < 0) {
                assertDropped(Side.IPV4, in, Counter.DROP_UNTRANSLATABLE_ICMP);
            } else {
                assert4to6(in, want6(4, 0, ptr6, orig6(21)));
            }
        }
    }

    @ParameterizedTest(name = "{0}/{1} dropped")
    @CsvSource({"12, 1", "12, 3", "4, 0", "5, 0", "5, 1", "5, 2", "5, 3", "6, 0"})
    void icmpv4ErrorsWithoutCounterpartAreDropped(int type, int code) {
        // §4.2: Parameter Problem code 1 (missing option) and unknown codes, Source Quench, Redirect, Alternate
        // Host Address: silently drop.
        assertDropped(Side.IPV4, err4(type, code, 8 << 24, sent4(21)), Counter.DROP_UNTRANSLATABLE_ICMP);
    }

    @Test
    void innerTcpAndEchoAreTranslatedBack4to6() {
        // TCP over the static entry: T#2000 -> Z#80 is X#2000 -> Z6#80; the inner checksum is updated.
        byte[] tcp4 = v4(T, Z).ttl(62).with(tcp(2000, 80, 0x02, pattern(12)));
        assert4to6(err4(3, 1, 0, tcp4), want6(1, 0, 0, v6(X, Z6).hopLimit(62).with(tcp(2000, 80, 0x02, pattern(12)))));
        // An echo request quoted by a router: identifier i2 back to i1, type 8 back to 128.
        int i2 = ping6(4242);
        byte[] echo4 = v4(T, Z).ttl(63).id(5).with(icmp(8, 0, i2 << 16 | 7, pattern(24)));
        assert4to6(err4(11, 0, 0, echo4), want6(3, 0, 0, v6(X, Z6).hopLimit(63).with(icmp(128, 0, 4242 << 16 | 7,
                pattern(24)))));
    }

    // ============================================================================================ ICMPv6 -> ICMPv4

    @Test
    void icmpv6ErrorAnatomy() {
        // §5.3 and RFC 6146 §3.7: outer source T (the router's IPv6 address has no IPv4 form), destination Z;
        // inner Z#4000 -> T#2000 with the hop limit kept as TTL and Identification 0.
        byte[] inner = v6(Z6, X).trafficClass(0x28).hopLimit(7).with(udp(4000, 2000, pattern(40)));
        byte[] out = h.one(h.send6(v6(R6, Z6).trafficClass(0xc0).hopLimit(30).with(icmp(3, 0, 0, inner))), Side.IPV4);
        byte[] inner4 = v4(Z, T).tos(0x28).ttl(7).with(udp(4000, 2000, pattern(40)));
        assertEquals(hex(v4(T, Z).tos(0xc0).ttl(29).id(id(out)).with(icmp(11, 0, 0, inner4))), hex(out));
        assertEquals(1, h.count(Counter.ICMP_ERRORS_TRANSLATED));
        assertEquals(0, h.count(Counter.SESSIONS_CREATED));
    }

    @ParameterizedTest(name = "1/{0} -> 3/{1}")
    @CsvSource({"0, 1", "1, 10", "2, 1", "3, 1", "4, 3", "5, -1", "6, -1", "7, -1", "8, -1", "255, -1"})
    void destinationUnreachable6to4(int code6, int code4) {
        // §5.2: 0/2/3 -> 3/1, 1 -> 3/10, 4 -> 3/3, anything else: silently drop.
        byte[] in = err6(1, code6, 0, sent6(21));
        if (code4 < 0) {
            assertDropped(Side.IPV6, in, Counter.DROP_UNTRANSLATABLE_ICMP);
            return;
        }
        byte[] out = h.one(h.send6(in), Side.IPV4);
        assertEquals(hex(want4(out, 3, code4, 0, orig4(21))), hex(out));
    }

    @ParameterizedTest(name = "3/{0} -> 11/{0}")
    @ValueSource(ints = {0, 1})
    void timeExceeded6to4(int code) {
        byte[] out = h.one(h.send6(err6(3, code, 0, sent6(21))), Side.IPV4);
        assertEquals(hex(want4(out, 11, code, 0, orig4(21))), hex(out));
    }

    /** RFC 7915 §5.2 Figure 6 for every IPv6 header pointer 0..39 (-1: n/a), then pointers past the header. */
    static Stream<Arguments> figure6() {
        int[] first = {0, 1, -1, -1, 2, 2, 9, 8};
        return IntStream.concat(IntStream.rangeClosed(0, 41), IntStream.of(256, 0x01000000))
                .mapToObj(p -> Arguments.of(p, p < 8 ? first[p] : p < 24 ? 12 : p < 40 ? 16 : -1));
    }

    @ParameterizedTest(name = "pointer {0} -> {1}")
    @MethodSource("figure6")
    void parameterProblemPointer6to4(int ptr6, int ptr4) {
        // §5.2: code 0 -> 12/0, the 32-bit pointer mapped by Figure 6 into the first octet; n/a: silently drop.
        byte[] in = err6(4, 0, ptr6, sent6(21));
        if (ptr4 < 0) {
            assertDropped(Side.IPV6, in, Counter.DROP_UNTRANSLATABLE_ICMP);
            return;
        }
        byte[] out = h.one(h.send6(in), Side.IPV4);
        assertEquals(hex(want4(out, 12, 0, ptr4 << 24, orig4(21))), hex(out));
    }

    @Test
    void parameterProblemCodesOneAndTwo6to4() {
        // §5.2: code 1 (unrecognized Next Header) -> 3/2; code 2 (unrecognized option) and unknown codes: drop.
        byte[] out = h.one(h.send6(err6(4, 1, 40, sent6(21))), Side.IPV4);
        assertEquals(hex(want4(out, 3, 2, 0, orig4(21))), hex(out));
        assertDropped(Side.IPV6, err6(4, 2, 40, sent6(21)), Counter.DROP_UNTRANSLATABLE_ICMP);
        assertDropped(Side.IPV6, err6(4, 3, 40, sent6(21)), Counter.DROP_UNTRANSLATABLE_ICMP);
        assertDropped(Side.IPV6, err6(100, 0, 0, sent6(21)), Counter.DROP_UNTRANSLATABLE_ICMP); // unknown error type
    }

    @Test
    void innerTcpAndEchoAreTranslatedBack6to4() {
        byte[] tcp6 = v6(Z6, X).hopLimit(62).with(tcp(80, 2000, 0x12, pattern(12)));
        byte[] out = h.one(h.send6(err6(1, 4, 0, tcp6)), Side.IPV4);
        assertEquals(hex(want4(out, 3, 3, 0, v4(Z, T).ttl(62).with(tcp(80, 2000, 0x12, pattern(12))))), hex(out));
        // Z pinged X through the BIB entry; the echo request (identifier i1) comes back quoted: i2, type 8.
        int i2 = ping6(4242);
        byte[] echo6 = v6(Z6, X).hopLimit(63).with(icmp(128, 0, 4242 << 16 | 3, pattern(24)));
        byte[] out2 = h.one(h.send6(err6(3, 0, 0, echo6)), Side.IPV4);
        assertEquals(hex(want4(out2, 11, 0, 0, v4(Z, T).ttl(63).with(icmp(8, 0, i2 << 16 | 3, pattern(24))))),
                hex(out2));
    }

    @Test
    void innerFragmentsStayFragmentsAndInnerExtensionHeadersGo() {
        // §4.1 on the inner packet: an IPv4 first fragment gets a Fragment Header (ID low 16 bits, M copied).
        byte[] seg4 = udp(2000, 4000, pattern(100)).bytes0(T, Z);
        byte[] frag4 = v4(T, Z).ttl(63).id(0x2222).mf().withPayload(17, head(seg4, 48));
        byte[] seg6 = udp(2000, 4000, pattern(100)).bytes0(X, Z6);
        assert4to6(err4(11, 1, 0, frag4),
                want6(3, 1, 0, v6(X, Z6).hopLimit(63).fragment(0, true, 0x2222).withPayload(17, head(seg6, 48))));
        // §5.1.1: an IPv6 first fragment: Identification = low 16 bits, DF clear, MF copied.
        byte[] s6 = udp(4000, 2000, pattern(100)).bytes0(Z6, X);
        byte[] f6 = v6(Z6, X).hopLimit(63).fragment(0, true, 0x01020304).withPayload(17, head(s6, 48));
        byte[] s4 = udp(4000, 2000, pattern(100)).bytes0(Z, T);
        byte[] out = h.one(h.send6(err6(3, 1, 0, f6)), Side.IPV4);
        assertEquals(hex(want4(out, 11, 1, 0, v4(Z, T).ttl(63).id(0x0304).mf().withPayload(17, head(s4, 48)))),
                hex(out));
        // §5.1: other extension headers of the inner packet are not translated; Total Length shrinks with them.
        byte[] withOptions = v6(Z6, X).hopLimit(63).options(0).options(60).with(udp(4000, 2000, pattern(21)));
        byte[] out2 = h.one(h.send6(err6(1, 4, 0, withOptions)), Side.IPV4);
        assertEquals(hex(want4(out2, 3, 3, 0, orig4(21))), hex(out2));
    }

    @Test
    void errorsDoNotRefreshTheSession() {
        // RFC 6146 §3.5: ICMP errors neither create nor update state, so the UDP session still ends at 5 min.
        h.one(h.send6(v6(X, Z6).with(udp(2000, 4000, pattern(20)))), Side.IPV4);
        h.advance(Duration.ofMinutes(4));
        assert4to6(err4(3, 3, 0, sent4(21)), want6(1, 4, 0, orig6(21)));
        h.one(h.send6(err6(1, 4, 0, sent6(21))), Side.IPV4);
        h.advance(Duration.ofSeconds(65));
        h.translator.expire();
        assertEquals(1, h.count(Counter.SESSIONS_EXPIRED));
    }

    // ============================================================================================ MTU arithmetic

    @ParameterizedTest(name = "FN {0} (ipv6Mtu {1}, ipv4Mtu {2}) -> PTB {3}")
    @CsvSource({
        "1400, 1500, 1500, 1420", // graybox ptb46
        "1261, 1500, 1500, 1281", // Jool 7915 db
        "1260, 1500, 1500, 1280", // Jool 7915 db
        "1259, 1500, 1500, 1280", // Jool 7915 db: never below 1280
        "1301, 1500, 1500, 1321",
        "1300, 1500, 1500, 1320",
        "1299, 1500, 1500, 1319",
        "68,   1500, 1500, 1280",
        "1480, 1400, 1500, 1400", // capped by the IPv6 next-hop MTU
        "1480, 1500, 1300, 1320", // capped by the IPv4 MTU + 20
        "9000, 9000, 9000, 9000"})
    void fragmentationNeededBecomesPacketTooBig(int fn, int mtu6, int mtu4, int ptb) {
        // §4.2: MTU = max(1280, min(FN + 20, MTU6, MTU4 + 20)); Packet Too Big is 2/0.
        h = harness(mtu6, mtu4);
        assert4to6(err4(3, 4, fn, sent4(100)), want6(2, 0, ptb, orig6(100)));
    }

    @ParameterizedTest(name = "FN 0, inner total length {0} (ipv6Mtu {1}, ipv4Mtu {2}) -> PTB {3}")
    @CsvSource({
        "1500,  1500,  1500,  1500", // plateau 1492 + 20, capped by the IPv6 MTU
        "1500,  9000,  9000,  1512",
        "1492,  9000,  9000,  1280", // strictly below: 1006 + 20, raised to 1280
        "2002,  9000,  9000,  1512",
        "2003,  9000,  9000,  2022",
        "9000,  9000,  9000,  8186",
        "9000,  9000,  1500,  1520", // capped by the IPv4 MTU + 20
        "65535, 65535, 65535, 32020",
        "600,   1500,  1500,  1280"})
    void zeroMtuUsesRfc1191Plateaus(int total, int mtu6, int mtu4, int ptb) {
        // §4.2: a pre-RFC 1191 router leaves the MTU at 0: use the greatest plateau below the inner Total Length.
        h = harness(mtu6, mtu4);
        assert4to6(err4(3, 4, 0, quoted4(total)), want6(2, 0, ptb, quoted6(total)));
    }

    @ParameterizedTest(name = "PTB {0} (ipv4Mtu {1}, ipv6Mtu {2}) -> FN {3}")
    @CsvSource({
        "1280, 1500, 1500, 1260", // Jool 7915 da
        "1400, 1500, 1500, 1380", // graybox ptb64
        "1500, 1500, 1500, 1480",
        "1500, 1400, 1500, 1400", // capped by the IPv4 next-hop MTU
        "1500, 1500, 1400, 1380", // capped by the IPv6 MTU - 20
        "9000, 9000, 9000, 8980"})
    void packetTooBigBecomesFragmentationNeeded(int ptb, int mtu4, int mtu6, int fn) {
        // §5.2: 2/0 -> 3/4 with MTU = min(PTB - 20, MTU4, MTU6 - 20) in the low 16 bits.
        h = harness(mtu6, mtu4);
        byte[] out = h.one(h.send6(err6(2, 0, ptb, sent6(100))), Side.IPV4);
        assertEquals(hex(want4(out, 3, 4, fn, orig4(100))), hex(out));
    }

    // ============================================================================================ size limits

    @Test
    void icmpv6ErrorsAreAtMost1280Bytes() {
        // Jool 7915 ba: 400 -> 440 bytes; bb: 1500 -> 1280 bytes (inner cut, inner lengths kept).
        byte[] small = err4(3, 3, 0, sent4(344));
        assertEquals(400, small.length);
        assert4to6(small, want6(1, 4, 0, orig6(344)));
        byte[] big = err4(3, 3, 0, sent4(1444));
        assertEquals(1500, big.length);
        byte[] out = h.one(h.send4(big), Side.IPV6);
        assertEquals(1280, out.length);
        assertEquals(hex(want6(1, 4, 0, head(orig6(1444), 1232))), hex(out));
    }

    @Test
    void icmpv4ErrorsAreAtMost576Bytes() {
        // Jool 7915 bd: 400 -> 360 bytes; be: 700 -> 576 bytes (inner cut, inner Total Length kept).
        byte[] small = err6(1, 4, 0, sent6(304));
        assertEquals(400, small.length);
        byte[] out = h.one(h.send6(small), Side.IPV4);
        assertEquals(hex(want4(out, 3, 3, 0, orig4(304))), hex(out));
        byte[] big = err6(1, 4, 0, sent6(604));
        assertEquals(700, big.length);
        byte[] out2 = h.one(h.send6(big), Side.IPV4);
        assertEquals(576, out2.length);
        assertEquals(hex(want4(out2, 3, 3, 0, head(orig4(604), 548))), hex(out2));
    }

    // ============================================================================================ RFC 4884

    @Test
    void extensionKeptAndLengthRecomputed4to6() {
        // §4.2 "ICMP Error Payload": ICMPv4 length (octet 5, 32-bit words) 32 = 128 bytes; the translated datagram
        // (148 bytes) is zero-padded to 152 = 19 64-bit words (octet 4); the extension follows unchanged.
        byte[] in = err4(11, 0, 32 << 16, cat(sent4(100), EXT));
        assert4to6(in, want6(3, 0, 19 << 24, cat(orig6(100), zeros(4), EXT)));
        // Destination Unreachable carries it too (Jool 7915 ia).
        assert4to6(err4(3, 3, 32 << 16, cat(sent4(100), EXT)), want6(1, 4, 19 << 24, cat(orig6(100), zeros(4), EXT)));
        // An inner header with 40 bytes of options shrinks: 128 -> 108 bytes, padded to the minimum 128 (16 words).
        byte[] nops = new byte[40];
        Arrays.fill(nops, 0, 39, (byte) 1); // No Operation..., End of Options
        byte[] withOptions = v4(T, Z).ttl(63).options(nops).with(udp(2000, 4000, pattern(60)));
        assert4to6(err4(11, 0, 32 << 16, cat(withOptions, EXT)), want6(3, 0, 16 << 24, cat(orig6(60), zeros(20), EXT)));
    }

    @Test
    void extensionKeptAndLengthRecomputed6to4() {
        // §5.2: ICMPv6 length 17 = 136 bytes becomes 116 bytes, zero-padded to the RFC 4884 minimum of 128 =
        // 32 words; the extension follows unchanged.
        byte[] out = h.one(h.send6(err6(3, 0, 17 << 24, cat(sent6(88), EXT))), Side.IPV4);
        assertEquals(hex(want4(out, 11, 0, 32 << 16, cat(orig4(88), zeros(12), EXT))), hex(out));
        // 21 words = 168 bytes become 148 bytes = 37 words, no padding needed.
        byte[] out2 = h.one(h.send6(err6(1, 4, 21 << 24, cat(sent6(120), EXT))), Side.IPV4);
        assertEquals(hex(want4(out2, 3, 3, 37 << 16, cat(orig4(120), EXT))), hex(out2));
    }

    @Test
    void extensionHasPriorityOverTheTailOfTheInnerPacket() {
        // Jool 7915 idz: 576-byte datagram (length 144) + 640-byte extension -> 1280 bytes: the datagram is cut
        // to 592 bytes (length 74) and the extension kept whole.
        byte[] out = h.one(h.send4(err4(3, 3, 144 << 16, cat(sent4(548), extension(640)))), Side.IPV6);
        assertEquals(1280, out.length);
        assertEquals(hex(want6(1, 4, 74 << 24, cat(head(orig6(548), 592), extension(640)))), hex(out));
        // Jool 7915 ic2: 536-byte datagram (length 67) + 40-byte extension -> 576 bytes: 508 (length 127) + 40.
        byte[] out2 = h.one(h.send6(err6(1, 4, 67 << 24, cat(sent6(488), extension(40)))), Side.IPV4);
        assertEquals(576, out2.length);
        assertEquals(hex(want4(out2, 3, 3, 127 << 16, cat(head(orig4(488), 508), extension(40)))), hex(out2));
    }

    @Test
    void extensionDroppedWhenTheResultHasNoLengthField() {
        // ICMPv6 Packet Too Big and Parameter Problem have no length attribute: the inner packet stays, the
        // extension goes (Jool should_remove_ie).
        byte[] withExt = cat(sent4(100), EXT);
        assert4to6(err4(3, 2, 32 << 16, withExt), want6(4, 1, 6, orig6(100)));
        assert4to6(err4(3, 4, 32 << 16 | 1400, withExt), want6(2, 0, 1420, orig6(100)));
        assert4to6(err4(12, 0, 8 << 24 | 32 << 16, withExt), want6(4, 0, 7, orig6(100)));
    }

    @Test
    void extensionThatDoesNotFitIsRemovedWhole() {
        // §4.2 allows truncation; Jool (7915 idh, ic5) removes it whole and clears the length instead.
        assert4to6(err4(11, 0, 32 << 16, cat(sent4(100), extension(1105))), want6(3, 0, 0, orig6(100)));
        byte[] out = h.one(h.send6(err6(3, 0, 16 << 24, cat(sent6(80), extension(421)))), Side.IPV4);
        assertEquals(hex(want4(out, 11, 0, 0, orig4(80))), hex(out));
    }

    // ============================================================================================ drops

    @Test
    void badIcmpErrorChecksumIsDropped() {
        // Errors are validated before being rebuilt (Jool validate_icmp4_csum / icmp6 equivalent).
        byte[] bad4 = v4(R4, T).ttl(30).with(icmp(3, 3, 0, sent4(21)).corrupt());
        assertDropped(Side.IPV4, bad4, Counter.DROP_BAD_CHECKSUM);
        byte[] bad6 = v6(R6, Z6).hopLimit(30).with(icmp(1, 4, 0, sent6(21)).corrupt());
        assertDropped(Side.IPV6, bad6, Counter.DROP_BAD_CHECKSUM);
    }

    @Test
    void errorAboutUnknownFlowIsDropped() {
        // RFC 6146 §3.5/§3.6: the inner tuple must match a BIB entry; errors create none.
        byte[] udp4 = v4(T, Z).ttl(63).with(udp(2999, 4000, pattern(20)));
        assertDropped(Side.IPV4, err4(3, 3, 0, udp4), Counter.DROP_NO_SESSION);
        byte[] echo4 = v4(T, Z).ttl(63).with(icmp(8, 0, 1234 << 16, pattern(8)));
        assertDropped(Side.IPV4, err4(11, 0, 0, echo4), Counter.DROP_NO_SESSION);
        byte[] udp6 = v6(Z6, X).hopLimit(63).with(udp(4000, 2999, pattern(20)));
        assertDropped(Side.IPV6, err6(1, 4, 0, udp6), Counter.DROP_NO_SESSION);
        assertEquals(0, h.count(Counter.BIB_CREATED));
    }

    // RFC 6146 §3.5: an IPv6 packet is translated only when addressed to Pref64, and one whose source is in Pref64
    // MUST be discarded (hairpin loops). Jool applies both to the outer header of an ICMPv6 error as well, before
    // it skips the rest of filtering for errors (filtering_and_updating()); so do the other IPv6 paths here.

    @Test
    void icmpv6ErrorNotAddressedToPool6IsNotTranslated() {
        byte[] in = v6(R6, "2001:db8:1::99").hopLimit(30).with(icmp(1, 4, 0, sent6(21)));
        assertDropped(Side.IPV6, in, Counter.DROP_NOT_POOL6);
    }

    @Test
    void icmpv6ErrorFromInsidePool6IsDropped() {
        byte[] in = v6("64:ff9b::203.0.113.9", Z6).hopLimit(30).with(icmp(1, 4, 0, sent6(21)));
        assertDropped(Side.IPV6, in, Counter.DROP_HAIRPIN_LOOP);
    }

    @Test
    void errorsAreNotSubjectToAddressDependentFiltering() {
        // RFC 6146 §3.5: errors are not filtered: R4 has no session, yet its error about X's flow gets through.
        h = new Harness(Harness.defaults().addressDependentFiltering(true).build());
        h.one(h.send6(v6(X, Z6).with(udp(2000, 4000, pattern(21)))), Side.IPV4);
        assert4to6(err4(3, 3, 0, sent4(21)), want6(1, 4, 0, orig6(21)));
    }

    @Test
    void errorInsideAnErrorIsDropped() {
        // §4.3 / §5.3: translation stops at the first embedded header; an embedded error is not translated.
        byte[] inner4 = v4(T, Z).ttl(63).with(icmp(3, 3, 0, orig4(8)));
        assertDropped(Side.IPV4, err4(11, 0, 0, inner4), Counter.DROP_UNTRANSLATABLE_ICMP);
        byte[] inner6 = v6(Z6, X).hopLimit(63).with(icmp(1, 4, 0, orig6(8)));
        assertDropped(Side.IPV6, err6(3, 0, 0, inner6), Counter.DROP_UNTRANSLATABLE_ICMP);
    }

    @Test
    void errorWhoseTtlRunsOutDiesSilently() {
        // The translator is a router (TTL 1 -> drop), but never answers an error with an error (RFC 1812 §4.3.2.7).
        byte[] in = v4(R4, T).ttl(1).with(icmp(3, 3, 0, sent4(21)));
        assertDropped(Side.IPV4, in, Counter.DROP_TTL_EXPIRED);
        byte[] in6 = v6(R6, Z6).hopLimit(1).with(icmp(1, 4, 0, sent6(21)));
        assertDropped(Side.IPV6, in6, Counter.DROP_TTL_EXPIRED);
    }
}
