package io.xlatbox.clat;

import static io.xlatbox.clat.Packets.ICMP;
import static io.xlatbox.clat.Packets.ICMPV6;
import static io.xlatbox.clat.Packets.TCP;
import static io.xlatbox.clat.Packets.UDP;
import static io.xlatbox.clat.Packets.addr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.ManualClock;
import io.xlatbox.engine.Side;
import io.xlatbox.engine.Translator;
import io.xlatbox.engine.TranslatorGroup;
import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CLAT's address mapping, through the engine's stateless translator, with packets built by hand: both directions
 * for TCP, UDP and ICMP echo, network-specific prefixes of every length, the ICMP errors of RFC 6877 (from IPv6
 * routers outside the PLAT prefix, relayed by the NAT64 from IPv4 routers, from the host itself, and the CLAT's
 * own Time Exceeded), and everything the CLAT must refuse.
 */
class ClatMappingTest {
    static final String CLAT4 = "192.0.0.2";
    static final String PEER4 = "192.0.0.1";
    static final String CLAT6 = "2001:db8:1::c1a7";
    static final String HOST6 = "2001:db8:1::2";
    static final String ROUTER6 = "2001:db8:1::1";
    static final String TARGET4 = "198.51.100.2";
    static final String TARGET6 = "64:ff9b::c633:6402";
    static final String ROUTER4 = "198.51.100.1";
    static final byte[] DATA = "hello through the CLAT".getBytes(StandardCharsets.US_ASCII);

    private final ClatAddresses.Holder holder = new ClatAddresses.Holder(addresses("64:ff9b::/96"));
    private final Translator clat = translator(holder);

    static ClatAddresses addresses(String plat) {
        long[] v6 = Ipv6Address.parse(CLAT6);
        return new ClatAddresses(Rfc6052Prefix.parse(plat), Ipv4Address.parse(CLAT4), Ipv4Address.parse(PEER4),
                Ipv4Address.parse("192.0.0.0"), 29, v6[0], v6[1], Ipv4Address.parse("192.0.0.8"));
    }

    static Translator translator(ClatAddresses.Holder holder) {
        long[] v6 = {holder.get().ipv6Hi(), holder.get().ipv6Lo()};
        EngineConfig config = EngineConfig.builder()
                .pool6(holder.get().plat())
                .ownIpv4Address(PEER4)
                .ownIpv6Address(Ipv6Address.format(v6[0], v6[1]))
                .icmpErrorsPerSecond(0)
                .build();
        return TranslatorGroup.stateless(() -> new ClatMapping(holder), config, new ManualClock()).newWorker();
    }

    private static byte[] only(List<Translator.Output> out, Side side) {
        assertEquals(1, out.size(), "one packet out: " + out);
        assertEquals(side, out.get(0).side(), "leaves on the " + side + " side");
        return out.get(0).bytes();
    }

    private long count(Counter c) {
        return clat.counters().snapshot().getOrDefault(c, 0L);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Ordinary traffic

    @Test
    void tcpSynFromTheHostLeavesFromTheClatAddressToThePlatPrefix() {
        byte[] syn = Packets.ipv4(CLAT4, TARGET4, TCP, 64, Packets.tcp(40000, 80, 0x02, new byte[0]));
        byte[] v6 = only(clat.process(Side.IPV4, syn), Side.IPV6);
        assertEquals(6, Packets.version(v6));
        assertEquals(CLAT6, Packets.text(Packets.src6(v6)));
        assertEquals(TARGET6, Packets.text(Packets.dst6(v6)));
        assertEquals(TCP, Packets.next6(v6));
        assertEquals(63, Packets.hop6(v6), "hop limit = TTL - 1: the CLAT is a translator hop (RFC 7915)");
        byte[] tcp = Packets.payload6(v6);
        assertEquals(40000, Packets.u16(tcp, 0), "ports never change");
        assertEquals(80, Packets.u16(tcp, 2));
        assertTrue(Packets.checksumsOk6(v6), "TCP checksum valid over the IPv6 pseudo-header");
    }

    @Test
    void replyFromThePlatReachesTheHostAsIpv4() {
        byte[] synAck = Packets.ipv6(TARGET6, CLAT6, TCP, 60, Packets.tcp(80, 40000, 0x12, DATA));
        byte[] v4 = only(clat.process(Side.IPV6, synAck), Side.IPV4);
        assertEquals(4, Packets.version(v4));
        assertEquals(TARGET4, Packets.text(Packets.src4(v4)));
        assertEquals(CLAT4, Packets.text(Packets.dst4(v4)));
        assertEquals(59, Packets.ttl4(v4));
        assertTrue(Packets.checksumsOk4(v4), "IPv4 header and TCP checksums valid");
        byte[] tcp = Packets.payload4(v4);
        assertArrayEquals(DATA, Arrays.copyOfRange(tcp, 20, tcp.length));
    }

    @Test
    void udpBothWays() {
        byte[] out = only(clat.process(Side.IPV4, Packets.ipv4(CLAT4, TARGET4, UDP, 64,
                Packets.udp(5353, 7, DATA))), Side.IPV6);
        assertEquals(TARGET6, Packets.text(Packets.dst6(out)));
        assertTrue(Packets.checksumsOk6(out));
        byte[] back = only(clat.process(Side.IPV6, Packets.ipv6(TARGET6, CLAT6, UDP, 60,
                Packets.udp(7, 5353, DATA))), Side.IPV4);
        assertEquals(CLAT4, Packets.text(Packets.dst4(back)));
        assertTrue(Packets.checksumsOk4(back));
        assertEquals(7, Packets.u16(Packets.payload4(back), 0));
    }

    @Test
    void icmpEchoBothWays() {
        byte[] out = only(clat.process(Side.IPV4, Packets.ipv4(CLAT4, TARGET4, ICMP, 64,
                Packets.echo(8, 0x4242, 1, DATA))), Side.IPV6);
        assertEquals(ICMPV6, Packets.next6(out));
        assertEquals(128, Packets.payload6(out)[0] & 0xFF, "echo request 8 -> 128");
        assertTrue(Packets.checksumsOk6(out), "ICMPv6 checksum includes the pseudo-header");
        byte[] back = only(clat.process(Side.IPV6, Packets.ipv6(TARGET6, CLAT6, ICMPV6, 60,
                Packets.echo(129, 0x4242, 1, DATA))), Side.IPV4);
        assertEquals(0, Packets.payload4(back)[0], "echo reply 129 -> 0");
        assertEquals(0x4242, Packets.u16(Packets.payload4(back), 4), "identifier kept");
        assertTrue(Packets.checksumsOk4(back));
    }

    /** RFC 6052 §2.2 at every length (the /32 from RFC 9637's 3fff::/20, as 2001:db8::/32 would hold the CLAT address). */
    @ParameterizedTest
    @CsvSource({
        "3fff:64::/32,        3fff:64:c633:6402::",
        "2001:db8:100::/40,   2001:db8:1c6:3364:2::",
        "2001:db8:122::/48,   2001:db8:122:c633:64:200::",
        "2001:db8:122:300::/56, 2001:db8:122:3c6:33:6402::",
        "2001:db8:122:344::/64, 2001:db8:122:344:c6:3364:200:0",
        "2001:db8:64::/96,    2001:db8:64::c633:6402"})
    void networkSpecificPrefixOfEveryLength(String plat, String target6) {
        holder.set(addresses(plat));
        byte[] out = only(clat.process(Side.IPV4, Packets.ipv4(CLAT4, TARGET4, UDP, 64,
                Packets.udp(1234, 7, DATA))), Side.IPV6);
        assertEquals(target6, Packets.text(Packets.dst6(out)));
        assertTrue(Packets.checksumsOk6(out));
        byte[] back = only(clat.process(Side.IPV6, Packets.ipv6(target6, CLAT6, UDP, 60,
                Packets.udp(7, 1234, DATA))), Side.IPV4);
        assertEquals(TARGET4, Packets.text(Packets.src4(back)));
        assertTrue(Packets.checksumsOk4(back));
    }

    @Test
    void aNewPrefixTakesEffectWithTheNextPacket() {
        holder.set(holder.get().withPlat(Rfc6052Prefix.parse("2001:db8:64::/96")));
        byte[] out = only(clat.process(Side.IPV4, Packets.ipv4(CLAT4, TARGET4, UDP, 64,
                Packets.udp(1234, 7, DATA))), Side.IPV6);
        assertEquals("2001:db8:64::c633:6402", Packets.text(Packets.dst6(out)));
        assertTrue(clat.process(Side.IPV6, Packets.ipv6(TARGET6, CLAT6, UDP, 60, Packets.udp(7, 1234, DATA)))
                .isEmpty(), "the old prefix is no longer accepted");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Refused

    @Test
    void ipv4FromAnotherSourceIsDropped() {
        assertTrue(clat.process(Side.IPV4, Packets.ipv4("192.0.0.3", TARGET4, UDP, 64,
                Packets.udp(1, 7, DATA))).isEmpty());
        assertTrue(clat.process(Side.IPV4, Packets.ipv4("10.0.0.5", TARGET4, UDP, 64,
                Packets.udp(1, 7, DATA))).isEmpty());
        assertEquals(2, count(Counter.DROP_FILTERED));
    }

    @Test
    void ipv4ToTheClatSubnetOrUnusableAddressesIsDropped() {
        for (String dst : List.of(PEER4, "192.0.0.7", "127.0.0.1", "0.0.0.1", "224.0.0.1", "255.255.255.255")) {
            assertTrue(clat.process(Side.IPV4, Packets.ipv4(CLAT4, dst, UDP, 64, Packets.udp(1, 7, DATA))).isEmpty(),
                    dst);
        }
        assertEquals(6, count(Counter.DROP_FILTERED));
    }

    @Test
    void ipv6NotForTheClatAddressIsDropped() {
        assertTrue(clat.process(Side.IPV6, Packets.ipv6(TARGET6, HOST6, UDP, 60, Packets.udp(7, 1, DATA)))
                .isEmpty(), "the host's own address is not the CLAT's");
        assertEquals(1, count(Counter.DROP_NOT_POOL6));
    }

    @Test
    void ipv6FromOutsideThePlatPrefixIsDropped() {
        assertTrue(clat.process(Side.IPV6, Packets.ipv6(ROUTER6, CLAT6, ICMPV6, 64, Packets.echo(128, 1, 1, DATA)))
                .isEmpty());
        assertTrue(clat.process(Side.IPV6, Packets.ipv6("2001:db8:99::5", CLAT6, UDP, 64, Packets.udp(7, 1, DATA)))
                .isEmpty());
        assertEquals(2, count(Counter.DROP_NOT_POOL6));
    }

    @Test
    void ipv6FromThePlatPrefixClaimingTheClatSubnetIsDropped() {
        assertTrue(clat.process(Side.IPV6, Packets.ipv6("64:ff9b::c000:2", CLAT6, UDP, 60, Packets.udp(7, 1, DATA)))
                .isEmpty(), "64:ff9b::192.0.0.2 must not become a packet from the CLAT's own address");
        assertEquals(1, count(Counter.DROP_FILTERED));
    }

    // ---------------------------------------------------------------------------------------------------------
    // ICMP errors

    /** What the CLAT sent as IPv6 for a UDP datagram of the host, as a router would quote it. */
    private static byte[] sentUdp6(int hop) {
        return Packets.ipv6(CLAT6, TARGET6, UDP, hop, Packets.udp(40000, 53, DATA));
    }

    @Test
    void timeExceededFromAnIpv6RouterComesFrom192008() {
        byte[] err6 = Packets.ipv6(ROUTER6, CLAT6, ICMPV6, 64, Packets.icmpError(3, 0, 0, sentUdp6(1)));
        byte[] v4 = only(clat.process(Side.IPV6, err6), Side.IPV4);
        assertEquals("192.0.0.8", Packets.text(Packets.src4(v4)), "RFC 7600's address for routers with no IPv4 form");
        assertEquals(CLAT4, Packets.text(Packets.dst4(v4)));
        assertEquals(ICMP, Packets.proto4(v4));
        byte[] icmp = Packets.payload4(v4);
        assertEquals(11, icmp[0] & 0xFF, "ICMPv6 time exceeded (3) -> ICMPv4 time exceeded (11)");
        assertEquals(0, icmp[1]);
        assertTrue(Packets.checksumsOk4(v4), "outer header and ICMP checksum over the translated inner packet");
        byte[] inner = Arrays.copyOfRange(icmp, 8, icmp.length);
        assertEquals(4, Packets.version(inner));
        assertEquals(CLAT4, Packets.text(Packets.src4(inner)), "the quoted packet is what the host sent");
        assertEquals(TARGET4, Packets.text(Packets.dst4(inner)));
        assertEquals(UDP, Packets.proto4(inner));
        assertEquals(0, Packets.checksum(inner, 0, 20, 0), "the quoted IPv4 header has a valid checksum");
        assertEquals(40000, Packets.u16(inner, 20));
        assertEquals(53, Packets.u16(inner, 22));
        assertEquals(1, count(Counter.ICMP_ERRORS_TRANSLATED));
    }

    @Test
    void errorRelayedByTheNat64ComesFromTheIpv4Router() {
        // An IPv4 router's Time Exceeded, translated by the NAT64: source 64:ff9b::198.51.100.1.
        byte[] err6 = Packets.ipv6("64:ff9b::c633:6401", CLAT6, ICMPV6, 60, Packets.icmpError(3, 0, 0, sentUdp6(1)));
        byte[] v4 = only(clat.process(Side.IPV6, err6), Side.IPV4);
        assertEquals(ROUTER4, Packets.text(Packets.src4(v4)));
        assertTrue(Packets.checksumsOk4(v4));
    }

    @Test
    void portUnreachableFromTheTargetReachesTheHost() {
        byte[] err6 = Packets.ipv6(TARGET6, CLAT6, ICMPV6, 60, Packets.icmpError(1, 4, 0, sentUdp6(60)));
        byte[] v4 = only(clat.process(Side.IPV6, err6), Side.IPV4);
        byte[] icmp = Packets.payload4(v4);
        assertEquals(3, icmp[0], "destination unreachable");
        assertEquals(3, icmp[1], "port unreachable (ICMPv6 code 4 -> ICMPv4 code 3)");
        assertEquals(TARGET4, Packets.text(Packets.src4(v4)));
        assertTrue(Packets.checksumsOk4(v4));
    }

    @Test
    void noRouteFromAnIpv6RouterBecomesHostUnreachable() {
        byte[] err6 = Packets.ipv6(ROUTER6, CLAT6, ICMPV6, 64, Packets.icmpError(1, 0, 0, sentUdp6(63)));
        byte[] icmp = Packets.payload4(only(clat.process(Side.IPV6, err6), Side.IPV4));
        assertEquals(3, icmp[0]);
        assertEquals(1, icmp[1], "no route to destination -> host unreachable (RFC 7915 §5.2)");
    }

    @Test
    void packetTooBigBecomesFragmentationNeededWith20Less() {
        byte[] err6 = Packets.ipv6(ROUTER6, CLAT6, ICMPV6, 64, Packets.icmpError(2, 0, 1400, sentUdp6(63)));
        byte[] icmp = Packets.payload4(only(clat.process(Side.IPV6, err6), Side.IPV4));
        assertEquals(3, icmp[0]);
        assertEquals(4, icmp[1], "fragmentation needed");
        assertEquals(1380, Packets.u16(icmp, 6), "next-hop MTU = 1400 - 20");
    }

    @Test
    void errorsAboutPacketsThatAreNotOursAreDropped() {
        byte[] quoted = Packets.ipv6(HOST6, TARGET6, UDP, 1, Packets.udp(40000, 53, DATA));
        assertTrue(clat.process(Side.IPV6, Packets.ipv6(ROUTER6, HOST6, ICMPV6, 64,
                Packets.icmpError(3, 0, 0, quoted))).isEmpty(), "an error for the host's own address");
        assertTrue(clat.process(Side.IPV6, Packets.ipv6(ROUTER6, CLAT6, ICMPV6, 64,
                Packets.icmpError(3, 0, 0, quoted))).isEmpty(), "an error quoting another source");
    }

    @Test
    void portUnreachableFromTheHostLeavesFromTheClatAddress() {
        // The host refuses a datagram 198.51.100.2:53 -> 192.0.0.2:5353 and says so.
        byte[] received = Packets.ipv4(TARGET4, CLAT4, UDP, 59, Packets.udp(53, 5353, DATA));
        byte[] err4 = Packets.ipv4(CLAT4, TARGET4, ICMP, 64, Packets.icmpError(3, 3, 0, received));
        byte[] v6 = only(clat.process(Side.IPV4, err4), Side.IPV6);
        assertEquals(CLAT6, Packets.text(Packets.src6(v6)));
        assertEquals(TARGET6, Packets.text(Packets.dst6(v6)));
        byte[] icmp = Packets.payload6(v6);
        assertEquals(1, icmp[0], "destination unreachable");
        assertEquals(4, icmp[1], "port unreachable");
        assertTrue(Packets.checksumsOk6(v6));
        byte[] inner = Arrays.copyOfRange(icmp, 8, icmp.length);
        assertEquals(TARGET6, Packets.text(Packets.src6(inner)), "quoted: what the target sent, as IPv6");
        assertEquals(CLAT6, Packets.text(Packets.dst6(inner)));
    }

    @Test
    void ttlOneIsAnsweredByTheClatItselfFrom192001() {
        byte[] probe = Packets.ipv4(CLAT4, TARGET4, ICMP, 1, Packets.echo(8, 7, 1, DATA));
        byte[] v4 = only(clat.process(Side.IPV4, probe), Side.IPV4);
        assertEquals(PEER4, Packets.text(Packets.src4(v4)), "the translator's own address on the TUN");
        assertEquals(CLAT4, Packets.text(Packets.dst4(v4)));
        assertEquals(11, Packets.payload4(v4)[0]);
        assertTrue(Packets.checksumsOk4(v4));
        assertArrayEquals(addr(TARGET4), Packets.dst4(Arrays.copyOfRange(Packets.payload4(v4), 8, 36)));
    }
}
