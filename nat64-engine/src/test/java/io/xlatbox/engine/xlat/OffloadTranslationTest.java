package io.xlatbox.engine.xlat;

import static io.xlatbox.engine.testutil.Harness.POOL4;
import static io.xlatbox.engine.testutil.Harness.V4_HOST;
import static io.xlatbox.engine.testutil.Harness.V4_HOST_6;
import static io.xlatbox.engine.testutil.Harness.V6_HOST;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.Offload;
import io.xlatbox.engine.Side;
import io.xlatbox.engine.testutil.Harness;
import io.xlatbox.engine.testutil.Pkt;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Translation of packets that carry a virtio-net header (TUN with IFF_VNET_HDR): GSO super-packets are translated
 * whole and their header follows them into the other family, a partial checksum stays partial with the new
 * pseudo-header, and whatever cannot be handed on that way is finished or dropped and counted. Every partial
 * checksum is completed here as the kernel would, then checked against a checksum computed from scratch.
 */
class OffloadTranslationTest {
    private static final int SYN = 0x02;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;
    private static final int FIN = 0x01;

    private Harness h;
    private int natPort;

    /** One emitted packet with the virtio-net header the translator set for it. */
    private record Emitted(Side side, byte[] bytes, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart,
                           int csumOffset) {
    }

    @BeforeEach
    void establish() {
        h = new Harness(Harness.defaults().ipv4Mtu(1500).ipv6Mtu(1500).build());
        byte[] syn = Pkt.v6(V6_HOST, V4_HOST_6).with(Pkt.tcp(40000, 80, SYN, new byte[0]).seq(100));
        byte[] out = h.one(h.send6(syn), Side.IPV4);
        natPort = ByteBuffer.wrap(out).getShort(20) & 0xFFFF;
        h.one(h.send4(Pkt.v4(V4_HOST, POOL4).with(Pkt.tcp(80, natPort, SYN | ACK, new byte[0]).seq(5000).ack(101))),
                Side.IPV6);
    }

    @Test
    void tcpSuperPacketFromIpv6StaysOneSuperPacketWithAnIpv4Header() {
        byte[] data = Pkt.pattern(3000);
        byte[] in = partial6(Pkt.v6(V6_HOST, V4_HOST_6).with(Pkt.tcp(40000, 80, ACK | PSH, data).seq(101).ack(5001)));

        List<Emitted> out = send(Side.IPV6, in, Offload.NEEDS_CSUM, Offload.GSO_TCPV6, 60, 1000, 40, 16);

        assertEquals(1, out.size());
        Emitted e = out.get(0);
        assertEquals(Side.IPV4, e.side());
        assertEquals(20 + 20 + 3000, e.bytes().length);
        assertEquals(Offload.NEEDS_CSUM, e.flags());
        assertEquals(Offload.GSO_TCPV4, e.gsoType());
        assertEquals(40, e.hdrLen(), "IPv4 and TCP headers");
        assertEquals(1000, e.gsoSize(), "segments keep their size: 20 bytes less header, more room");
        assertEquals(20, e.csumStart());
        assertEquals(16, e.csumOffset());
        assertEquals(0, e.bytes()[6] & 0x40, "RFC 7915 §5.1: DF by the size of a segment (1040), not of the whole");
        byte[] whole = completed(e);
        assertValidIpv4Tcp(whole);
        assertEquals(POOL4, Pkt.v4str(ByteBuffer.wrap(whole).getInt(12)));
        assertEquals(natPort, ByteBuffer.wrap(whole).getShort(20) & 0xFFFF);
        assertEquals(1, h.count(Counter.GSO_PACKETS));
        assertEquals(3, h.count(Counter.GSO_SEGMENTS));
    }

    @Test
    void segmentsOverThe1260ByteThresholdGetDf() {
        byte[] in = partial6(Pkt.v6(V6_HOST, V4_HOST_6)
                .with(Pkt.tcp(40000, 80, ACK, Pkt.pattern(2800)).seq(101).ack(5001)));

        Emitted e = send(Side.IPV6, in, Offload.NEEDS_CSUM, Offload.GSO_TCPV6, 60, 1400, 40, 16).get(0);

        assertTrue((e.bytes()[6] & 0x40) != 0, "1440-byte segments: DF (RFC 7915 §5.1)");
        segment(e).forEach(s -> assertTrue((s[6] & 0x40) != 0 && s.length == 1440, "segment with DF"));
    }

    @Test
    void segmentsOfTheTranslatedSuperPacketAreWhatTheKernelWouldSend() {
        byte[] data = Pkt.pattern(2500);
        byte[] in = partial6(Pkt.v6(V6_HOST, V4_HOST_6)
                .with(Pkt.tcp(40000, 80, ACK | PSH | FIN, data).seq(101).ack(5001)));
        Emitted e = send(Side.IPV6, in, Offload.NEEDS_CSUM, Offload.GSO_TCPV6, 60, 1000, 40, 16).get(0);

        List<byte[]> segments = segment(e);

        assertEquals(3, segments.size());
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        int firstId = ByteBuffer.wrap(segments.get(0)).getShort(4) & 0xFFFF;
        for (int k = 0; k < segments.size(); k++) {
            byte[] s = segments.get(k);
            ByteBuffer b = ByteBuffer.wrap(s);
            assertValidIpv4Tcp(s);
            assertEquals(k < 2 ? 1040 : 540, b.getShort(2) & 0xFFFF, "total length of segment " + k);
            assertEquals((firstId + k) & 0xFFFF, b.getShort(4) & 0xFFFF, "consecutive Identification");
            assertEquals(101 + 1000L * k, b.getInt(24) & 0xFFFFFFFFL, "sequence number of segment " + k);
            int flags = s[33] & 0xFF;
            assertEquals(k == 2 ? ACK | PSH | FIN : ACK, flags, "PSH and FIN only on the last segment");
            payload.write(s, 40, s.length - 40);
        }
        assertArrayEquals(data, payload.toByteArray());
    }

    @Test
    void tcpSuperPacketFromIpv4GetsSmallerSegmentsToFitTheIpv6Mtu() {
        byte[] data = Pkt.pattern(4000);
        byte[] in = partial4(Pkt.v4(V4_HOST, POOL4).df().with(Pkt.tcp(80, natPort, ACK, data).seq(5001).ack(101)));

        Emitted e = send(Side.IPV4, in, Offload.NEEDS_CSUM, Offload.GSO_TCPV4, 40, 1460, 20, 16).get(0);

        assertEquals(Side.IPV6, e.side());
        assertEquals(40 + 20 + 4000, e.bytes().length);
        assertEquals(Offload.GSO_TCPV6, e.gsoType());
        assertEquals(60, e.hdrLen());
        assertEquals(1440, e.gsoSize(), "40 + 20 + 1440 = the IPv6 MTU of 1500");
        assertEquals(40, e.csumStart());
        assertEquals(16, e.csumOffset());
        assertValidIpv6Tcp(completed(e));
        for (byte[] s : segment(e)) {
            assertTrue(s.length <= 1500, "segment of " + s.length + " bytes");
            assertValidIpv6Tcp(s);
        }
        assertEquals(3, h.count(Counter.GSO_SEGMENTS));
    }

    @Test
    void superPacketWhoseSegmentsExceedTheIpv4MtuGetsPacketTooBig() {
        h = new Harness(Harness.defaults().ipv4Mtu(1400).build());
        establishAgain();
        byte[] in = partial6(Pkt.v6(V6_HOST, V4_HOST_6)
                .with(Pkt.tcp(40000, 80, ACK, Pkt.pattern(4000)).seq(101).ack(5001)));

        List<Emitted> out = send(Side.IPV6, in, Offload.NEEDS_CSUM, Offload.GSO_TCPV6, 60, 1420, 40, 16);

        assertEquals(1, out.size());
        byte[] ptb = out.get(0).bytes();
        assertEquals(Side.IPV6, out.get(0).side());
        assertEquals(58, ptb[6], "ICMPv6");
        assertEquals(2, ptb[40], "Packet Too Big");
        assertEquals(1420, ByteBuffer.wrap(ptb).getInt(44), "IPv4 MTU plus the 20 bytes IPv6 adds");
        assertTrue(ptb.length <= 1280, "an ICMPv6 error fits the minimum MTU");
        assertEquals(0, out.get(0).gsoType());
    }

    @Test
    void udpSuperPacketsKeepTheirDatagramsOrAreDropped() {
        byte[] dgram = Pkt.v6(V6_HOST, V4_HOST_6).with(Pkt.udp(5353, 53, new byte[1]));
        byte[] out = h.one(h.send6(dgram), Side.IPV4);
        int udpPort = ByteBuffer.wrap(out).getShort(20) & 0xFFFF;

        byte[] fits = partial4(Pkt.v4(V4_HOST, POOL4).with(Pkt.udp(53, udpPort, Pkt.pattern(3000))));
        Emitted e = send(Side.IPV4, fits, Offload.NEEDS_CSUM, Offload.GSO_UDP_L4, 28, 1000, 20, 6).get(0);
        assertEquals(Offload.GSO_UDP_L4, e.gsoType());
        assertEquals(48, e.hdrLen());
        assertEquals(1000, e.gsoSize(), "datagram boundaries do not move");
        assertValidIpv6Udp(completed(e));
        List<byte[]> datagrams = segment(e);
        assertEquals(3, datagrams.size());
        datagrams.forEach(OffloadTranslationTest::assertValidIpv6Udp);

        byte[] tooBig = partial4(Pkt.v4(V4_HOST, POOL4).with(Pkt.udp(53, udpPort, Pkt.pattern(3000))));
        assertEquals(List.of(), send(Side.IPV4, tooBig, Offload.NEEDS_CSUM, Offload.GSO_UDP_L4, 28, 1472, 20, 6),
                "1472-byte datagrams become 1520-byte IPv6 packets; they cannot be re-cut");
        assertEquals(1, h.count(Counter.DROP_GSO_UNSUPPORTED));
    }

    @Test
    void partialChecksumThatMustBeFragmentedIsFinishedFirst() {
        // Without DF, an IPv4 packet bigger than the lowest IPv6 MTU leaves as IPv6 fragments (RFC 7915 §4);
        // the kernel will not sum across fragments, so the checksum is completed before cutting.
        byte[] dgram = Pkt.v6(V6_HOST, V4_HOST_6).with(Pkt.udp(5353, 53, new byte[1]));
        int udpPort = ByteBuffer.wrap(h.one(h.send6(dgram), Side.IPV4)).getShort(20) & 0xFFFF;
        byte[] data = Pkt.pattern(2000);
        byte[] in = partial4(Pkt.v4(V4_HOST, POOL4).with(Pkt.udp(53, udpPort, data)));

        List<Emitted> out = send(Side.IPV4, in, Offload.NEEDS_CSUM, Offload.GSO_NONE, 0, 0, 20, 6);

        assertEquals(2, out.size(), "two IPv6 fragments");
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        for (Emitted f : out) {
            assertEquals(0, f.flags(), "fragments carry whole checksums");
            assertEquals(44, f.bytes()[6], "Fragment header");
            whole.write(f.bytes(), 48, f.bytes().length - 48);
        }
        byte[] udp = whole.toByteArray();
        byte[] first = out.get(0).bytes();
        int pseudo = Pkt.pseudo(Arrays.copyOfRange(first, 8, 24), Arrays.copyOfRange(first, 24, 40), 17, udp.length);
        assertEquals(0, Pkt.checksum(udp, 0, udp.length, pseudo), "UDP checksum over the reassembled datagram");
        assertArrayEquals(data, Arrays.copyOfRange(udp, 8, udp.length));
    }

    @Test
    void checkedChecksumStaysCheckedAndWholeChecksumStaysWhole() {
        byte[] in = Pkt.v6(V6_HOST, V4_HOST_6).with(Pkt.tcp(40000, 80, ACK, Pkt.pattern(100)).seq(101).ack(5001));

        Emitted e = send(Side.IPV6, in, Offload.DATA_VALID, Offload.GSO_NONE, 0, 0, 0, 0).get(0);

        assertEquals(Offload.DATA_VALID, e.flags());
        assertEquals(0, e.gsoType());
        assertValidIpv4Tcp(e.bytes());
        assertEquals(0, h.count(Counter.GSO_PACKETS));
    }

    @Test
    void superPacketOfAFragmentIsDropped() {
        byte[] frag = Pkt.v6(V6_HOST, V4_HOST_6).fragment(0, true, 7)
                .with(Pkt.udp(5353, 53, Pkt.pattern(2000)));

        assertEquals(List.of(), send(Side.IPV6, frag, 0, Offload.GSO_UDP_L4, 56, 1000, 0, 0));
        assertEquals(1, h.count(Counter.DROP_GSO_UNSUPPORTED));
    }

    // ---------------------------------------------------------------------------------------------------------

    private void establishAgain() {
        byte[] syn = Pkt.v6(V6_HOST, V4_HOST_6).with(Pkt.tcp(40000, 80, SYN, new byte[0]).seq(100));
        natPort = ByteBuffer.wrap(h.one(h.send6(syn), Side.IPV4)).getShort(20) & 0xFFFF;
        h.send4(Pkt.v4(V4_HOST, POOL4).with(Pkt.tcp(80, natPort, SYN | ACK, new byte[0]).seq(5000).ack(101)));
    }

    private List<Emitted> send(Side from, byte[] packet, int flags, int gsoType, int hdrLen, int gsoSize,
                               int csumStart, int csumOffset) {
        Offload o = h.translator.inputOffload();
        o.flags = flags;
        o.gsoType = gsoType;
        o.hdrLen = hdrLen;
        o.gsoSize = gsoSize;
        o.csumStart = csumStart;
        o.csumOffset = csumOffset;
        ByteBuffer b = ByteBuffer.allocate(packet.length + 2 * XlatContext.HEADROOM);
        b.put(XlatContext.HEADROOM, packet);
        List<Emitted> out = new ArrayList<>();
        Offload emitted = h.translator.outputOffload();
        h.translator.process(from, b, XlatContext.HEADROOM, packet.length, (side, buf, off, len) -> {
            byte[] copy = new byte[len];
            buf.get(off, copy);
            out.add(new Emitted(side, copy, emitted.flags, emitted.gsoType, emitted.hdrLen, emitted.gsoSize,
                    emitted.csumStart, emitted.csumOffset));
        });
        assertEquals(0, h.translator.inputOffload().flags | h.translator.inputOffload().gsoType,
                "the input offload applies to one packet only");
        return out;
    }

    /** As a sender with checksum offload writes it: the field holds the folded pseudo-header sum only. */
    private static byte[] partial6(byte[] p) {
        int l4 = p.length - 40;
        int field = 40 + (p[6] == 6 ? 16 : 6);
        int seed = Pkt.pseudo(Arrays.copyOfRange(p, 8, 24), Arrays.copyOfRange(p, 24, 40), p[6], l4);
        ByteBuffer.wrap(p).putShort(field, (short) seed);
        return p;
    }

    private static byte[] partial4(byte[] p) {
        int l4 = p.length - 20;
        int field = 20 + (p[9] == 6 ? 16 : 6);
        int seed = Pkt.pseudo(Arrays.copyOfRange(p, 12, 16), Arrays.copyOfRange(p, 16, 20), p[9], l4);
        ByteBuffer.wrap(p).putShort(field, (short) seed);
        return p;
    }

    /** What the kernel does with NEEDS_CSUM: sums from csum_start to the end, stores the complement. */
    private static byte[] completed(Emitted e) {
        byte[] p = e.bytes().clone();
        if ((e.flags() & Offload.NEEDS_CSUM) != 0) {
            int c = Pkt.checksum(p, e.csumStart(), p.length - e.csumStart(), 0);
            ByteBuffer.wrap(p).putShort(e.csumStart() + e.csumOffset(), (short) c);
        }
        return p;
    }

    private List<byte[]> segment(Emitted e) {
        Offload o = new Offload();
        o.flags = e.flags();
        o.gsoType = e.gsoType();
        o.hdrLen = e.hdrLen();
        o.gsoSize = e.gsoSize();
        o.csumStart = e.csumStart();
        o.csumOffset = e.csumOffset();
        List<byte[]> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(e.bytes().clone());
        assertTrue(new Segmenter(1500).segment(b, 0, e.bytes().length, o, (buf, off, len) -> {
            byte[] s = new byte[len];
            buf.get(off, s);
            out.add(s);
        }));
        return out;
    }

    private static void assertValidIpv4Tcp(byte[] p) {
        assertEquals(0, Pkt.checksum(p, 0, 20, 0), "IPv4 header checksum");
        assertEquals(p.length, ByteBuffer.wrap(p).getShort(2) & 0xFFFF, "IPv4 total length");
        int pseudo = Pkt.pseudo(Arrays.copyOfRange(p, 12, 16), Arrays.copyOfRange(p, 16, 20), 6, p.length - 20);
        assertEquals(0, Pkt.checksum(p, 20, p.length - 20, pseudo), "TCP checksum");
    }

    private static void assertValidIpv6Tcp(byte[] p) {
        assertValid6(p, 6);
    }

    private static void assertValidIpv6Udp(byte[] p) {
        assertValid6(p, 17);
        assertEquals(p.length - 40, ByteBuffer.wrap(p).getShort(44) & 0xFFFF, "UDP length");
    }

    private static void assertValid6(byte[] p, int proto) {
        assertEquals(proto, p[6]);
        assertEquals(p.length - 40, ByteBuffer.wrap(p).getShort(4) & 0xFFFF, "IPv6 payload length");
        int pseudo = Pkt.pseudo(Arrays.copyOfRange(p, 8, 24), Arrays.copyOfRange(p, 24, 40), proto, p.length - 40);
        assertEquals(0, Pkt.checksum(p, 40, p.length - 40, pseudo), "transport checksum");
    }
}
