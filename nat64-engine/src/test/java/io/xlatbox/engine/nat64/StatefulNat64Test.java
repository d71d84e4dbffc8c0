package io.xlatbox.engine.nat64;

import static io.xlatbox.engine.testutil.Pkt.hex;
import static io.xlatbox.engine.testutil.Pkt.icmp;
import static io.xlatbox.engine.testutil.Pkt.pattern;
import static io.xlatbox.engine.testutil.Pkt.tcp;
import static io.xlatbox.engine.testutil.Pkt.udp;
import static io.xlatbox.engine.testutil.Pkt.v4;
import static io.xlatbox.engine.testutil.Pkt.v6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.L4Protocol;
import io.xlatbox.engine.Side;
import io.xlatbox.engine.Translator.Output;
import io.xlatbox.engine.addr.Ipv4Address;
import io.xlatbox.engine.addr.Pool4Entry;
import io.xlatbox.engine.addr.StaticBibEntry;
import io.xlatbox.engine.packet.TcpHeader;
import io.xlatbox.engine.testutil.Harness;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** RFC 6146 stateful NAT64 scenarios through the packet-level API, with the clock moved by hand. */
class StatefulNat64Test {
    static final String X = Harness.V6_HOST;
    static final String X2 = "2001:db8::6";
    static final String Z = Harness.V4_HOST;
    static final String Z6 = Harness.V4_HOST_6;
    static final String T = Harness.POOL4;
    static final int SYN = TcpHeader.SYN;
    static final int ACK = TcpHeader.ACK;
    static final int FIN = TcpHeader.FIN;
    static final int RST = TcpHeader.RST;

    static int port(byte[] v4, boolean source) {
        int ihl = (v4[0] & 0x0F) * 4;
        return ByteBuffer.wrap(v4).getShort(ihl + (source ? 0 : 2)) & 0xFFFF;
    }

    static int srcAddr(byte[] v4) {
        return ByteBuffer.wrap(v4).getInt(12);
    }

    static int id(byte[] v4) {
        return ByteBuffer.wrap(v4).getShort(4) & 0xFFFF;
    }

    /** The TCP state of the only session, by name. */
    static String state(Harness h) {
        List<String> states = new ArrayList<>();
        h.translator.nat64().forEachSession((p, xh, xl, x, yh, yl, y, t4, t, z4, z, st, exp) -> {
            states.add(TcpState.name(st));
            return true;
        });
        assertEquals(1, states.size(), "sessions: " + states);
        return states.get(0);
    }

    static int sessions(Harness h) {
        return h.translator.nat64().sessionCount();
    }

    @Nested
    class Udp {
        final Harness h = new Harness();

        @Test
        void dynamicBibKeepsRangeAndParityAndTheReplyComesBack() {
            byte[] out = h.one(h.send6(v6(X, Z6).with(udp(40001, 53, pattern(10)))), Side.IPV4);
            int t = port(out, true);
            assertTrue(t >= 1024 && t <= 3000, "ephemeral range within pool4: " + t);
            assertEquals(1, t & 1, "parity kept");
            assertEquals(hex(v4(T, Z).ttl(63).id(id(out)).with(udp(t, 53, pattern(10)))), hex(out));
            byte[] back = h.one(h.send4(v4(Z, T).with(udp(53, t, pattern(7)))), Side.IPV6);
            assertEquals(hex(v6(Z6, X).hopLimit(63).with(udp(53, 40001, pattern(7)))), hex(back));
            assertEquals(1, h.translator.nat64().bibCount(L4Protocol.UDP) - 1); // plus the static entry
            assertEquals(1, h.translator.nat64().sessionCount(L4Protocol.UDP));
        }

        @Test
        void wellKnownSourcePortStaysWellKnown() {
            byte[] out = h.one(h.send6(v6(X, Z6).with(udp(123, 123, pattern(4)))), Side.IPV4);
            int t = port(out, true);
            assertTrue(t >= 1 && t < 1024 && (t & 1) == 1, "port " + t);
        }

        @Test
        void endpointIndependentMappingAndFiltering() {
            byte[] a = h.one(h.send6(v6(X, Z6).with(udp(40000, 53, pattern(4)))), Side.IPV4);
            byte[] b = h.one(h.send6(v6(X, "64:ff9b::203.0.113.9").with(udp(40000, 53, pattern(4)))), Side.IPV4);
            assertEquals(port(a, true), port(b, true), "same BIB entry for every destination");
            // An IPv4 host the IPv6 host never talked to gets through (endpoint-independent filtering).
            byte[] in = h.one(h.send4(v4("198.51.100.7", T).with(udp(9, port(a, true), pattern(4)))), Side.IPV6);
            assertEquals(hex(v6("64:ff9b::198.51.100.7", X).hopLimit(63).with(udp(9, 40000, pattern(4)))), hex(in));
        }

        @Test
        void addressDependentFilteringRefusesStrangers() {
            Harness adf = new Harness(Harness.defaults().addressDependentFiltering(true).build());
            byte[] a = adf.one(adf.send6(v6(X, Z6).with(udp(40000, 53, pattern(4)))), Side.IPV4);
            int t = port(a, true);
            // The same peer on another port is fine: filtering depends on the address only.
            adf.one(adf.send4(v4(Z, T).with(udp(54, t, pattern(4)))), Side.IPV6);
            byte[] stranger = v4("198.51.100.7", T).with(udp(9, t, pattern(4)));
            byte[] err = adf.one(adf.send4(stranger), Side.IPV4);
            assertEquals(hex(v4(T, "198.51.100.7").id(id(err)).with(icmp(3, 13, 0, stranger))), hex(err));
            assertEquals(1, adf.count(Counter.DROP_FILTERED));
        }

        @Test
        void noBibGivesHostUnreachable() {
            byte[] in = v4(Z, T).with(udp(53, 2999, pattern(4)));
            byte[] err = h.one(h.send4(in), Side.IPV4);
            assertEquals(hex(v4(T, Z).id(id(err)).with(icmp(3, 1, 0, in))), hex(err));
            assertEquals(1, h.count(Counter.DROP_NO_BIB));
        }

        @Test
        void sessionExpiresAfterUdpTimeoutAndTheBibGoesWithIt() {
            int t = port(h.one(h.send6(v6(X, Z6).with(udp(40000, 53, pattern(4)))), Side.IPV4), true);
            h.advance(Duration.ofSeconds(299));
            h.translator.expire();
            assertEquals(1, sessions(h));
            h.advance(Duration.ofSeconds(2));
            h.translator.expire();
            assertEquals(0, sessions(h));
            assertEquals(1, h.count(Counter.SESSIONS_EXPIRED));
            assertEquals(1, h.translator.nat64().bibCount(L4Protocol.UDP), "only the static entry is left");
            h.one(h.send4(v4(Z, T).with(udp(53, t, pattern(4)))), Side.IPV4); // Host Unreachable now
        }

        @Test
        void trafficInEitherDirectionKeepsTheSessionAlive() {
            int t = port(h.one(h.send6(v6(X, Z6).with(udp(40000, 53, pattern(4)))), Side.IPV4), true);
            for (int i = 0; i < 5; i++) {
                h.advance(Duration.ofMinutes(4));
                h.one(h.send4(v4(Z, T).with(udp(53, t, pattern(4)))), Side.IPV6);
            }
            assertEquals(1, sessions(h));
        }

        @Test
        void timeoutChangeAppliesToExistingSessions() {
            h.send6(v6(X, Z6).with(udp(40000, 53, pattern(4))));
            EngineConfig longer = h.translator.config().toBuilder().udpTimeout(Duration.ofMinutes(30)).build();
            assertEquals(0, h.translator.sessionsDroppedBy(longer));
            assertEquals(0, h.translator.apply(longer));
            h.advance(Duration.ofMinutes(10));
            h.translator.expire();
            assertEquals(1, sessions(h));
            EngineConfig shorter = longer.toBuilder().udpTimeout(Duration.ofMinutes(2)).build();
            h.translator.apply(shorter);
            h.advance(Duration.ofSeconds(1));
            h.translator.expire();
            assertEquals(0, sessions(h), "idle for 10 min > the new 2 min lifetime");
        }
    }

    @Nested
    class Pool4AndLimits {
        @Test
        void pairedAddressPooling() {
            Harness h = new Harness(Harness.defaults().pool4(List.of()).addPool4("192.0.2.2/31").build());
            Set<Integer> mine = new HashSet<>();
            for (int p = 40000; p < 40010; p++) {
                mine.add(srcAddr(h.one(h.send6(v6(X, Z6).with(udp(p, 53, pattern(4)))), Side.IPV4)));
            }
            assertEquals(1, mine.size(), "one host, one IPv4 address (RFC 4787 REQ-2)");
            Set<Integer> all = new HashSet<>();
            for (int host = 1; host <= 40; host++) {
                all.add(srcAddr(h.one(h.send6(v6("2001:db8::1:" + host, Z6).with(udp(4000, 53, pattern(4)))),
                        Side.IPV4)));
            }
            assertEquals(2, all.size(), "hosts spread over the pool");
        }

        @Test
        void exhaustedPoolGivesAddressUnreachable() {
            Harness h = new Harness(EngineConfig.builder().addPool4(Pool4Entry.parse("udp", T, 2000, 2001))
                    .ownIpv6Address("2001:db8::1").icmpErrorsPerSecond(0).build());
            h.one(h.send6(v6("2001:db8::a", Z6).with(udp(4000, 53, pattern(4)))), Side.IPV4);
            h.one(h.send6(v6("2001:db8::b", Z6).with(udp(4001, 53, pattern(4)))), Side.IPV4);
            byte[] in = v6("2001:db8::c", Z6).with(udp(4000, 53, pattern(4)));
            byte[] err = h.one(h.send6(in), Side.IPV6);
            assertEquals(hex(v6("2001:db8::1", "2001:db8::c").with(icmp(1, 3, 0, in))), hex(err));
            assertEquals(1, h.count(Counter.DROP_POOL_EXHAUSTED));
        }

        @Test
        void perHostLimitStopsOneHostButNotTheOthers() {
            Harness h = new Harness(Harness.defaults().maxSessionsPerHost(3).build());
            for (int i = 0; i < 3; i++) {
                h.one(h.send6(v6(X, Z6).with(udp(40000 + i, 53, pattern(4)))), Side.IPV4);
            }
            byte[] in = v6(X, Z6).with(udp(40010, 53, pattern(4)));
            byte[] err = h.one(h.send6(in), Side.IPV6);
            assertEquals(hex(v6("2001:db8::1", X).with(icmp(1, 1, 0, in))), hex(err));
            assertEquals(1, h.count(Counter.DROP_HOST_LIMIT));
            h.one(h.send6(v6(X2, Z6).with(udp(40000, 53, pattern(4)))), Side.IPV4);
            // Existing sessions of the limited host keep working.
            h.one(h.send6(v6(X, Z6).with(udp(40000, 53, pattern(4)))), Side.IPV4);
        }

        @Test
        void totalSessionLimit() {
            Harness h = new Harness(Harness.defaults().maxSessions(5).build());
            for (int i = 0; i < 5; i++) {
                h.one(h.send6(v6("2001:db8::1:" + (i + 1), Z6).with(udp(4000, 53, pattern(4)))), Side.IPV4);
            }
            h.one(h.send6(v6("2001:db8::9:9", Z6).with(udp(4000, 53, pattern(4)))), Side.IPV6);
            assertEquals(1, h.count(Counter.DROP_SESSION_LIMIT));
            assertEquals(5, sessions(h));
        }

        @Test
        void pool4ChangeDropsExactlyTheSessionsOnTheRemovedRange() {
            Harness h = new Harness(Harness.defaults().pool4(List.of())
                    .addPool4(Pool4Entry.parse("udp", T, 1024, 1999), Pool4Entry.parse("udp", T, 2100, 3000)).build());
            int low = 0;
            for (int i = 0; i < 40; i++) {
                byte[] out = h.one(h.send6(v6("2001:db8::2:" + (i + 1), Z6).with(udp(4000, 53, pattern(4)))),
                        Side.IPV4);
                if (port(out, true) < 2000) {
                    low++;
                }
            }
            assertTrue(low > 0 && low < 40, "both ranges in use: " + low);
            EngineConfig smaller = h.translator.config().toBuilder().pool4(List.of())
                    .addPool4(Pool4Entry.parse("udp", T, 2100, 3000)).build();
            assertEquals(low, h.translator.sessionsDroppedBy(smaller));
            assertEquals(low, h.translator.apply(smaller));
            assertEquals(40 - low, sessions(h));
            assertEquals(low, h.count(Counter.SESSIONS_REMOVED_BY_CONFIG));
        }

        @Test
        void raisingMaxSessionsGrowsTheTablesAndKeepsEverySession() {
            Harness h = new Harness(Harness.defaults().maxSessions(4).build());
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                ports.add(port(h.one(h.send6(v6(X, Z6).with(udp(40000 + i, 53, pattern(4)))), Side.IPV4), true));
            }
            h.one(h.send6(v6(X, Z6).with(tcp(2000, 80, SYN, pattern(0)))), Side.IPV6); // full: refused
            EngineConfig bigger = h.translator.config().toBuilder().maxSessions(100).build();
            assertEquals(0, h.translator.apply(bigger));
            assertEquals(100, h.translator.nat64().sessionCapacity());
            for (int i = 0; i < 4; i++) { // the same mappings, both ways
                assertEquals(ports.get(i),
                        port(h.one(h.send6(v6(X, Z6).with(udp(40000 + i, 53, pattern(4)))), Side.IPV4), true));
                h.one(h.send4(v4(Z, T).with(udp(53, ports.get(i), pattern(4)))), Side.IPV6);
            }
            for (int i = 4; i < 20; i++) {
                h.one(h.send6(v6(X, Z6).with(udp(40000 + i, 53, pattern(4)))), Side.IPV4);
            }
            assertEquals(20, sessions(h));
            h.advance(Duration.ofMinutes(6));
            h.translator.expire();
            assertEquals(0, sessions(h), "the moved sessions still expire");
        }

        @Test
        void pool6ChangeDropsEverySession() {
            Harness h = new Harness();
            h.send6(v6(X, Z6).with(udp(40000, 53, pattern(4))));
            h.send6(v6(X, Z6).with(tcp(2000, 80, SYN, pattern(0))));
            EngineConfig other = h.translator.config().toBuilder().pool6("2001:db8:64::/96").build();
            assertEquals(2, h.translator.apply(other));
            assertEquals(0, sessions(h));
            assertEquals(2, h.translator.nat64().bibCount(L4Protocol.UDP) + h.translator.nat64().bibCount(L4Protocol.TCP),
                    "static entries stay");
        }

        @Test
        void staticEntryRemovedByApply() {
            Harness h = new Harness();
            EngineConfig none = h.translator.config().toBuilder().staticBib(List.of()).build();
            h.translator.apply(none);
            assertEquals(0, h.translator.nat64().bibCount(L4Protocol.UDP));
            h.one(h.send4(v4(Z, T).with(udp(53, 2000, pattern(4)))), Side.IPV4); // Host Unreachable
        }
    }

    @Nested
    class Tcp {
        final Harness h = new Harness();

        int open6() {
            byte[] syn = h.one(h.send6(v6(X, Z6).with(tcp(40000, 80, SYN, pattern(0)))), Side.IPV4);
            assertEquals("V6 INIT", state(h));
            int t = port(syn, true);
            h.one(h.send4(v4(Z, T).with(tcp(80, t, SYN | ACK, pattern(0)))), Side.IPV6);
            assertEquals("ESTABLISHED", state(h));
            return t;
        }

        @Test
        void handshakeAndOrderlyClose() {
            int t = open6();
            h.one(h.send6(v6(X, Z6).with(tcp(40000, 80, ACK, pattern(100)))), Side.IPV4);
            h.one(h.send6(v6(X, Z6).with(tcp(40000, 80, FIN | ACK, pattern(0)))), Side.IPV4);
            assertEquals("V6 FIN RCV", state(h));
            h.one(h.send4(v4(Z, T).with(tcp(80, t, FIN | ACK, pattern(0)))), Side.IPV6);
            assertEquals("V4 FIN + V6 FIN RCV", state(h));
            h.one(h.send6(v6(X, Z6).with(tcp(40000, 80, ACK, pattern(0)))), Side.IPV4);
            h.advance(Duration.ofMinutes(4).plusSeconds(1));
            h.translator.expire();
            assertEquals(0, sessions(h));
        }

        @Test
        void closeStartedFromIpv4() {
            int t = open6();
            h.one(h.send4(v4(Z, T).with(tcp(80, t, FIN | ACK, pattern(0)))), Side.IPV6);
            assertEquals("V4 FIN RCV", state(h));
            h.one(h.send6(v6(X, Z6).with(tcp(40000, 80, FIN | ACK, pattern(0)))), Side.IPV4);
            assertEquals("V4 FIN + V6 FIN RCV", state(h));
        }

        @Test
        void resetGoesTransitoryAndTrafficRevivesIt() {
            int t = open6();
            h.one(h.send4(v4(Z, T).with(tcp(80, t, RST, pattern(0)))), Side.IPV6);
            assertEquals("TRANS", state(h));
            h.advance(Duration.ofMinutes(3));
            h.one(h.send6(v6(X, Z6).with(tcp(40000, 80, ACK, pattern(1)))), Side.IPV4);
            assertEquals("ESTABLISHED", state(h));
            h.one(h.send6(v6(X, Z6).with(tcp(40000, 80, RST, pattern(0)))), Side.IPV4);
            h.advance(Duration.ofMinutes(4).plusSeconds(1));
            h.translator.expire();
            assertEquals(0, sessions(h));
        }

        @Test
        void unansweredSynExpiresAfterTransitoryLifetime() {
            h.send6(v6(X, Z6).with(tcp(40000, 80, SYN, pattern(0))));
            h.advance(Duration.ofMinutes(3).plusSeconds(59));
            h.translator.expire();
            assertEquals(1, sessions(h));
            h.advance(Duration.ofSeconds(2));
            h.translator.expire();
            assertEquals(0, sessions(h));
        }

        @Test
        void establishedSessionLivesTwoHoursFourMinutesThenIsProbed() {
            int t = open6();
            h.advance(Duration.ofMinutes(124).minusSeconds(2));
            assertEquals(0, h.translator.expire().size());
            assertEquals("ESTABLISHED", state(h));
            h.advance(Duration.ofSeconds(3));
            List<Output> probe = h.translator.expire();
            assertEquals(1, probe.size());
            assertEquals(Side.IPV6, probe.get(0).side());
            assertEquals(hex(v6(Z6, X).hopLimit(255).with(tcp(80, 40000, ACK, pattern(0)).seq(0).ack(0).window(8192))),
                    hex(probe.get(0).bytes()));
            assertEquals("TRANS", state(h));
            // The IPv6 host answers: established again.
            h.one(h.send6(v6(X, Z6).with(tcp(40000, 80, ACK, pattern(0)))), Side.IPV4);
            assertEquals("ESTABLISHED", state(h));
            assertEquals(t, t);
        }

        @Test
        void nonSynWithoutStateIsDroppedSilently() {
            assertEquals(0, h.send6(v6(X, Z6).with(tcp(40000, 80, ACK, pattern(0)))).size());
            assertEquals(1, h.count(Counter.DROP_TCP_NOT_SYN));
            assertEquals(0, h.send4(v4(Z, T).with(tcp(80, 2999, ACK, pattern(0)))).size());
            assertEquals(1, h.count(Counter.DROP_NO_BIB));
        }

        @Test
        void ipv4SynWithoutBibIsHeldThenAnsweredWithPortUnreachable() {
            byte[] syn = v4(Z, T).with(tcp(5000, 2600, SYN, pattern(0)));
            assertEquals(0, h.send4(syn).size());
            assertEquals(1, h.count(Counter.SYNS_STORED));
            h.advance(Duration.ofSeconds(5));
            assertEquals(0, h.translator.expire().size());
            h.advance(Duration.ofSeconds(2));
            List<Output> err = h.translator.expire();
            assertEquals(1, err.size());
            assertEquals(hex(v4(T, Z).id(id(err.get(0).bytes())).with(icmp(3, 3, 0, syn))), hex(err.get(0).bytes()));
            assertEquals(1, h.count(Counter.DROP_SYN_TIMEOUT));
        }

        @Test
        void simultaneousOpen() {
            assertEquals(0, h.send4(v4(Z, T).with(tcp(5000, 2600, SYN, pattern(0)))).size());
            byte[] out = h.one(h.send6(v6(X, Z6).with(tcp(40000, 5000, SYN, pattern(0)))), Side.IPV4);
            assertEquals(2600, port(out, true), "the IPv6 side takes the address the IPv4 SYN was sent to");
            assertEquals("ESTABLISHED", state(h));
            h.advance(Duration.ofSeconds(10));
            assertEquals(0, h.translator.expire().size(), "no Port Unreachable");
        }

        @Test
        void ipv4InitiatedConnectionThroughStaticBib() {
            byte[] out = h.one(h.send4(v4(Z, T).with(tcp(5000, 2000, SYN, pattern(0)))), Side.IPV6);
            assertEquals(hex(v6(Z6, X).hopLimit(63).with(tcp(5000, 2000, SYN, pattern(0)))), hex(out));
            assertEquals("V4 INIT", state(h));
            h.one(h.send6(v6(X, Z6).with(tcp(2000, 5000, SYN | ACK, pattern(0)))), Side.IPV4);
            assertEquals("ESTABLISHED", state(h));
        }

        @Test
        void externallyInitiatedTcpCanBeRefused() {
            Harness d = new Harness(Harness.defaults().dropExternallyInitiatedTcp(true).build());
            assertEquals(0, d.send4(v4(Z, T).with(tcp(5000, 2000, SYN, pattern(0)))).size());
            assertEquals(1, d.count(Counter.DROP_FILTERED));
        }

        @Test
        void addressDependentFilteringHoldsTheSynOfAStranger() {
            Harness a = new Harness(Harness.defaults().addressDependentFiltering(true).build());
            byte[] syn = v4(Z, T).with(tcp(5000, 2000, SYN, pattern(0)));
            assertEquals(0, a.send4(syn).size());
            assertEquals("V4 INIT", state(a));
            a.advance(Duration.ofSeconds(7));
            List<Output> err = a.translator.expire();
            assertEquals(1, err.size());
            assertEquals(hex(v4(T, Z).id(id(err.get(0).bytes())).with(icmp(3, 3, 0, syn))), hex(err.get(0).bytes()));
            assertEquals(0, sessions(a));
        }
    }

    @Nested
    class IcmpQuery {
        final Harness h = new Harness();

        @Test
        void echoSessionLivesSixtySeconds() {
            byte[] out = h.one(h.send6(v6(X, Z6).with(icmp(128, 0, 0x12340001, pattern(8)))), Side.IPV4);
            int id = ByteBuffer.wrap(out).getShort(24) & 0xFFFF;
            assertTrue(id <= 3000);
            byte[] reply = h.one(h.send4(v4(Z, T).with(icmp(0, 0, id << 16 | 1, pattern(8)))), Side.IPV6);
            assertEquals(hex(v6(Z6, X).hopLimit(63).with(icmp(129, 0, 0x12340001, pattern(8)))), hex(reply));
            h.advance(Duration.ofSeconds(61));
            h.translator.expire();
            assertEquals(0, sessions(h));
        }
    }

    @Nested
    class Hairpinning {
        @Test
        void twoIpv6HostsThroughTheirPool4Addresses() {
            Harness h = new Harness();
            // X2 talks to X through X's static entry 192.0.2.2#2000 (RFC 6146 §3.8).
            List<Output> out = h.send6(v6(X2, "64:ff9b::192.0.2.2").with(udp(40000, 2000, pattern(12))));
            byte[] p = h.one(out, Side.IPV6);
            int t2 = ByteBuffer.wrap(p).getShort(40) & 0xFFFF;
            assertNotEquals(40000, t2);
            assertEquals(hex(v6("64:ff9b::192.0.2.2", X).hopLimit(63).with(udp(t2, 2000, pattern(12)))), hex(p));
            assertEquals(1, h.count(Counter.HAIRPINNED));
            // And back: X answers X2 at its pool4 transport address.
            byte[] back = h.one(h.send6(v6(X, "64:ff9b::192.0.2.2").with(udp(2000, t2, pattern(5)))), Side.IPV6);
            assertEquals(hex(v6("64:ff9b::192.0.2.2", X2).hopLimit(63).with(udp(2000, 40000, pattern(5)))), hex(back));
        }

        @Test
        void sourceInsidePool6IsDropped() {
            Harness h = new Harness();
            assertEquals(0, h.send6(v6("64:ff9b::1.2.3.4", Z6).with(udp(1, 2, pattern(4)))).size());
            assertEquals(1, h.count(Counter.DROP_HAIRPIN_LOOP));
        }
    }

    @Nested
    class Addresses {
        @Test
        void wellKnownPrefixRefusesNonGlobalAddresses() {
            Harness h = new Harness();
            assertEquals(0, h.send6(v6(X, "64:ff9b::10.1.2.3").with(udp(2000, 53, pattern(4)))).size());
            assertEquals(1, h.count(Counter.DROP_NON_GLOBAL));
            Harness open = new Harness(Harness.defaults().allowNonGlobalWithWellKnownPrefix(true).build());
            open.one(open.send6(v6(X, "64:ff9b::10.1.2.3").with(udp(2000, 53, pattern(4)))), Side.IPV4);
            Harness nsp = new Harness(Harness.defaults().pool6("2001:db8:64::/96").build());
            nsp.one(nsp.send6(v6(X, "2001:db8:64::10.1.2.3").with(udp(2000, 53, pattern(4)))), Side.IPV4);
        }

        @Test
        void destinationOutsidePool6OrPool4IsNotOurs() {
            Harness h = new Harness();
            assertEquals(0, h.send6(v6(X, "2001:db8:99::1").with(udp(2000, 53, pattern(4)))).size());
            assertEquals(1, h.count(Counter.DROP_NOT_POOL6));
            assertEquals(0, h.send4(v4(Z, "192.0.2.99").with(udp(53, 2000, pattern(4)))).size());
            assertEquals(1, h.count(Counter.DROP_NOT_POOL4));
        }

        @Test
        void ownIpv4DefaultsToFirstHostOfPool4() {
            EngineConfig c = EngineConfig.builder().addPool4("203.0.113.0/28").build();
            assertEquals(Ipv4Address.parse("203.0.113.1"), c.ownIpv4Address(), "not the network address");
            EngineConfig one = EngineConfig.builder().addPool4("203.0.113.7/32").build();
            assertEquals(Ipv4Address.parse("203.0.113.7"), one.ownIpv4Address());
            assertEquals("64:ff9b::cb00:7107", io.xlatbox.engine.addr.Ipv6Address.format(one.ownIpv6Hi(),
                    one.ownIpv6Lo()), "own IPv6 address: own IPv4 behind pool6");
        }
    }

    @Nested
    class IcmpErrorsOfSessions {
        @Test
        void fragmentationNeededFromARouterReachesTheIpv6Host() {
            Harness h = new Harness();
            h.one(h.send6(v6(X, Z6).with(tcp(2000, 80, SYN, pattern(0)))), Side.IPV4);
            byte[] inner = v4(T, Z).df().id(1).ttl(60).with(tcp(2000, 80, ACK, pattern(40)));
            byte[] fn = v4("203.0.113.1", T).with(icmp(3, 4, 1400, inner));
            byte[] ptb = h.one(h.send4(fn), Side.IPV6);
            byte[] inner6 = v6(X, Z6).hopLimit(60).with(tcp(2000, 80, ACK, pattern(40)));
            assertEquals(hex(v6("64:ff9b::203.0.113.1", X).hopLimit(63).with(icmp(2, 0, 1420, inner6))), hex(ptb));
        }

        @Test
        void portUnreachableFromTheIpv6HostReachesTheIpv4Peer() {
            Harness h = new Harness();
            h.one(h.send4(v4(Z, T).with(udp(53, 2000, pattern(4)))), Side.IPV6);
            byte[] inner = v6(Z6, X).hopLimit(63).with(udp(53, 2000, pattern(4)));
            byte[] pu = v6(X, Z6).with(icmp(1, 4, 0, inner));
            byte[] out = h.one(h.send6(pu), Side.IPV4);
            byte[] inner4 = v4(Z, T).ttl(63).id(0).with(udp(53, 2000, pattern(4)));
            assertEquals(hex(v4(T, Z).ttl(63).id(id(out)).with(icmp(3, 3, 0, inner4))), hex(out));
        }
    }

    @Test
    void staticEntriesMustNotCollide() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.xlatbox.engine.ConfigException.class,
                () -> Harness.defaults().addStaticBib(StaticBibEntry.parse("udp", "2001:db8::9", 1, T, 2000)).build());
        assertTrue(e.getMessage().contains("staticBib[2]"), e.getMessage());
    }
}
