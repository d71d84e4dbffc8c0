package io.xlatbox.dns64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.dns64.testutil.Dig;
import io.xlatbox.dns64.testutil.DnsClient;
import io.xlatbox.dns64.testutil.TestUpstream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The DNS64 against a real upstream on loopback ({@link TestUpstream}, an authoritative server with quirks), asked
 * with the real dig and with a Java client. Each test starts its own server on ephemeral ports.
 */
class Dns64ServerTest {
    private static TestUpstream upstream;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private Dns64Server server;
    private int port;

    @BeforeAll
    static void startUpstream() throws IOException {
        upstream = TestUpstream.start();
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    @BeforeEach
    void requireDig() {
        Dig.require();
        upstream.clearSeen();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private Dns64Config.Builder base() {
        return Dns64Config.builder().listen("127.0.0.1:0").upstreams("127.0.0.1:" + upstream.port())
                .upstreamTimeout(Duration.ofMillis(400)).udpThreads(2);
    }

    private Dns64Server start(UnaryOperator<Dns64Config.Builder> f) throws IOException {
        server = Dns64Server.start(f.apply(base()).build());
        port = server.boundPorts().get(0);
        return server;
    }

    private Dns64Server start() throws IOException {
        return start(b -> b);
    }

    private Dig.Result dig(String... args) {
        return Dig.query(port, args);
    }

    private static Set<InetAddress> addresses(List<String> texts) {
        return texts.stream().map(t -> {
            try {
                return InetAddress.getByName(t);
            } catch (IOException e) {
                throw new IllegalArgumentException(t, e);
            }
        }).collect(Collectors.toSet());
    }

    private static void assertAaaa(Dig.Result r, String... expected) {
        assertEquals("NOERROR", r.status(), r.raw());
        assertEquals(addresses(List.of(expected)), addresses(r.data("AAAA")), r.raw());
    }

    private long counter(Dns64Counter c) {
        return server.counters().get(c);
    }

    // ------------------------------------------------------------------------------- when to synthesize (§5.1)

    @Test
    void synthesizesForANameWithOnlyARecords() throws IOException {
        start();
        Dig.Result r = dig("a1.test", "AAAA");
        assertAaaa(r, "64:ff9b::c000:221");
        assertTrue(r.has("qr") && r.has("rd") && r.has("ra"), r.raw());
        assertFalse(r.has("aa") || r.has("ad"), r.raw());
        assertEquals(300, r.answer().get(0).ttl(), "min(A TTL 3600, negative AAAA TTL min(3600, 300))");
        assertEquals(1, upstream.count("a1.test", Type.AAAA));
        assertEquals(1, upstream.count("a1.test", Type.A));
        assertEquals(1, counter(Dns64Counter.SYNTHESIZED));
    }

    @Test
    void realAaaaRecordsAreReturnedAsTheyAre() throws IOException {
        start();
        Dig.Result r = dig("dual.test", "AAAA");
        assertAaaa(r, "2001:db8:1::1");
        assertEquals(3600, r.answer().get(0).ttl());
        assertEquals(0, upstream.count("dual.test", Type.A), "no A query when AAAA data exists (§5.1.1)");
    }

    @Test
    void nxdomainStaysNxdomainWithoutAnAQuery() throws IOException {
        start();
        Dig.Result r = dig("nowhere.test", "AAAA");
        assertEquals("NXDOMAIN", r.status(), r.raw());
        assertEquals("SOA", r.authority().get(0).type());
        assertEquals(0, upstream.count("nowhere.test", Type.A), "§5.1.2");
    }

    @Test
    void nodataWhenThereIsNoAEither() throws IOException {
        start();
        Dig.Result r = dig("txt.test", "AAAA");
        assertEquals("NOERROR", r.status());
        assertTrue(r.answer().isEmpty(), r.raw());
        assertEquals("SOA", r.authority().get(0).type());
    }

    @Test
    void errorsAndTimeoutsOnTheAaaaQueryCountAsEmpty() throws IOException {
        start();
        assertAaaa(dig("sf.quirk.test", "AAAA"), "64:ff9b::c04:1");   // SERVFAIL (§5.1.2)
        assertAaaa(dig("rf.quirk.test", "AAAA"), "64:ff9b::c04:3");   // REFUSED
        long t0 = System.nanoTime();
        assertAaaa(dig("to.quirk.test", "AAAA"), "64:ff9b::c04:4");   // no answer at all (§5.1.3)
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 350 && ms < 2500, "answered after the upstream timeout, well before a stub's: " + ms);
        assertEquals("NXDOMAIN", dig("nx.quirk.test", "AAAA").status(), "a broken NXDOMAIN is still NXDOMAIN");
        assertTrue(counter(Dns64Counter.UPSTREAM_TIMEOUTS) >= 1);
    }

    @Test
    void theAResponseIsTheBasisWhenItFails() throws IOException {
        start();
        assertEquals("SERVFAIL", dig("asf.quirk.test", "AAAA").status());      // §5.1.6: the error is the basis
        assertEquals("NXDOMAIN", dig("anx.quirk.test", "AAAA").status());
        assertEquals("SERVFAIL", dig("alldrop.quirk.test", "AAAA").status());  // both timed out
    }

    @Test
    void otherTypesAndClassesPassThroughUnchanged() throws IOException {
        start();
        for (String[] q : new String[][] {{"a1.test", "A"}, {"mx.test", "MX"}, {"txt.test", "TXT"}, {"dual.test", "ANY"},
                {"-c", "CH", "version.bind", "TXT"}, {"nowhere.test", "A"}}) {
            Dig.Result via = dig(q);
            Dig.Result direct = Dig.query(upstream.port(), q);
            assertEquals(direct.status(), via.status(), String.join(" ", q));
            assertEquals(strip(direct.answer()), strip(via.answer()), String.join(" ", q));
            assertEquals(strip(direct.authority()), strip(via.authority()), String.join(" ", q));
            assertEquals(strip(direct.additional()), strip(via.additional()), String.join(" ", q));
        }
        Dig.Result mx = dig("mx.test", "MX");
        assertEquals(List.of("A"), mx.additional().stream().map(Dig.Rr::type).toList(),
                "no synthesis in the additional section (§5.3.2)");
        assertEquals(0, counter(Dns64Counter.SYNTHESIZED));
    }

    private static Set<String> strip(List<Dig.Rr> rrs) {
        return rrs.stream().map(r -> r.name().toLowerCase() + " " + r.dclass() + " " + r.type() + " " + r.data())
                .collect(Collectors.toSet());
    }

    // ---------------------------------------------------------------------------------- exclusions (§5.1.4)

    @Test
    void excludedAaaaRecordsAreTreatedAsAbsent() throws IOException {
        start();
        Dig.Result mapped = dig("mapped.test", "AAAA");
        assertAaaa(mapped, "64:ff9b::c05:1");
        assertEquals(600, mapped.answer().get(0).ttl(), "no SOA in a positive AAAA answer: 600 (§5.1.7)");
        assertAaaa(dig("mixed.test", "AAAA"), "2001:db8:5::2"); // partial exclusion: only what remains
        Dig.Result only = dig("mappedonly.test", "AAAA");
        assertEquals("NOERROR", only.status());
        assertTrue(only.data("AAAA").isEmpty(), only.raw());
        assertTrue(counter(Dns64Counter.EXCLUDED_AAAA) >= 1);
    }

    @Test
    void exclusionsAreConfigurable() throws IOException {
        start(b -> b.exclusions(List.of("::ffff:0:0/96", "2001:db8:1::/48")));
        assertAaaa(dig("dual.test", "AAAA"), "64:ff9b::c00:1");
        start(b -> b.exclusions(List.of()));
        assertAaaa(dig("mapped.test", "AAAA"), "::ffff:12.5.0.1");
    }

    // ----------------------------------------------------------------------------- which IPv4 may be mapped

    @Test
    void nonGlobalAddressesAreNotSynthesizedBehindTheWellKnownPrefix() throws IOException {
        start();
        for (String name : List.of("priv.test", "loop.test", "cgn.test")) {
            Dig.Result r = dig(name, "AAAA");
            assertEquals("NOERROR", r.status(), name);
            assertTrue(r.answer().isEmpty(), r.raw());
            assertEquals("SOA", r.authority().get(0).type(), "the AAAA NODATA is the basis: " + r.raw());
        }
        assertAaaa(dig("privmix.test", "AAAA"), "64:ff9b::c05:5");
        assertAaaa(dig("only170.test", "AAAA"), "64:ff9b::c000:aa"); // RFC 7050's address is exempt
        assertAaaa(dig("a1.test", "AAAA"), "64:ff9b::c000:221");     // documentation ranges too, as in the engine
    }

    @Test
    void nonGlobalAddressesWithTheSwitchOrANetworkSpecificPrefix() throws IOException {
        start(b -> b.allowNonGlobalWithWellKnownPrefix(true));
        assertAaaa(dig("priv.test", "AAAA"), "64:ff9b::a01:203");
        server.stop();
        start(b -> b.prefixes("2001:db8:64::/96"));
        assertAaaa(dig("priv.test", "AAAA"), "2001:db8:64::a01:203");
    }

    @Test
    void severalPrefixesEachWithItsOwnRanges() throws IOException {
        start(b -> b.addPrefix("64:ff9b::/96").addPrefix("2001:db8:64::/96", "12.1.0.0/16"));
        assertAaaa(dig("two.test", "AAAA"), "64:ff9b::c01:1", "64:ff9b::c01:2", "2001:db8:64::c01:1",
                "2001:db8:64::c01:2");
        assertAaaa(dig("global.test", "AAAA"), "64:ff9b::c05:9");
        assertAaaa(dig("ipv4only.arpa", "AAAA"), "64:ff9b::c000:aa", "64:ff9b::c000:ab", "2001:db8:64::c000:aa",
                "2001:db8:64::c000:ab");
        // PTR under the second prefix for an address outside its ranges: never synthesized, so NXDOMAIN
        assertEquals("NXDOMAIN", dig("-x", "2001:db8:64::c05:9").status());
    }

    /** RFC 6052 §2.4 Table 1, through synthesis and back through PTR, for every prefix length. */
    @Test
    void rfc6052TableOneForEveryPrefixLength() throws IOException {
        String[][] table = {
                {"2001:db8::/32", "2001:db8:c000:221::"},
                {"2001:db8:100::/40", "2001:db8:1c0:2:21::"},
                {"2001:db8:122::/48", "2001:db8:122:c000:2:2100::"},
                {"2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"},
                {"2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"},
                {"2001:db8:122:344::/96", "2001:db8:122:344::c000:221"}};
        start(b -> b.prefixes(table[0][0]));
        for (String[] row : table) {
            server.apply(server.config().toBuilder().prefixes(row[0]).build());
            assertAaaa(dig("a1.test", "AAAA"), row[1]);
            Dig.Result ptr = dig("-x", row[1]);
            assertEquals("NOERROR", ptr.status(), ptr.raw());
            assertEquals(List.of("33.2.0.192.in-addr.arpa."), ptr.data("CNAME"), ptr.raw());
            assertEquals(List.of("a1.test."), ptr.data("PTR"), ptr.raw());
        }
    }

    // ----------------------------------------------------------------------------------------- TTL (§5.1.7)

    @Test
    void ttlIsTheMinimumOfTheATtlAndTheNegativeAaaaTtl() throws IOException {
        start();
        assertEquals(60, dig("ttllow.test", "AAAA").answer().get(0).ttl());
        assertEquals(300, dig("ttlhigh.test", "AAAA").answer().get(0).ttl());
        assertEquals(0, dig("ttlzero.test", "AAAA").answer().get(0).ttl());
        assertEquals(600, dig("nosoa.quirk.test", "AAAA").answer().get(0).ttl(), "no SOA: 600");
        assertEquals(300, dig("sf.quirk.test", "AAAA").answer().get(0).ttl(), "A TTL 300 under the 600 cap");
    }

    // -------------------------------------------------------------------------------------- chains (§5.1.5)

    @Test
    void cnameAndDnameChainsAreReturnedWholeWithSynthesisAtTheEnd() throws IOException {
        start();
        Dig.Result c1 = dig("c1.test", "AAAA");
        assertEquals(List.of("CNAME", "AAAA"), c1.answer().stream().map(Dig.Rr::type).toList(), c1.raw());
        assertEquals("a1.test.", c1.answer().get(1).name());
        assertAaaa(c1, "64:ff9b::c000:221");
        Dig.Result cc = dig("cc.test", "AAAA");
        assertEquals(List.of("CNAME", "CNAME", "AAAA"), cc.answer().stream().map(Dig.Rr::type).toList(), cc.raw());
        Dig.Result cnx = dig("cnx.test", "AAAA");
        assertEquals("NXDOMAIN", cnx.status());
        assertEquals(List.of("nowhere.test."), cnx.data("CNAME"));
        Dig.Result cnodata = dig("cnodata.test", "AAAA");
        assertEquals("NOERROR", cnodata.status());
        assertEquals(List.of("txt.test."), cnodata.data("CNAME"));
        assertTrue(cnodata.data("AAAA").isEmpty());
        assertAaaa(dig("cdual.test", "AAAA"), "2001:db8:1::1");
        Dig.Result dn = dig("x.dn.test", "AAAA");
        assertEquals(List.of("DNAME", "CNAME", "AAAA"), dn.answer().stream().map(Dig.Rr::type).toList(), dn.raw());
        assertAaaa(dn, "64:ff9b::c05:201");
    }

    // ---------------------------------------------------------------------------------------- PTR (§5.3.1)

    @Test
    void ptrUnderThePrefixGetsACnameToTheIpv4Name() throws IOException {
        start();
        Dig.Result r = dig("-x", "64:ff9b::c05:9");
        assertEquals("NOERROR", r.status(), r.raw());
        assertEquals(List.of("9.0.5.12.in-addr.arpa."), r.data("CNAME"));
        assertEquals(List.of("global.test."), r.data("PTR"));
        assertFalse(r.has("ad"));
        Dig.Result nx = dig("-x", "64:ff9b::c05:8");
        assertEquals("NXDOMAIN", nx.status(), nx.raw());
        assertEquals(List.of("8.0.5.12.in-addr.arpa."), nx.data("CNAME"));
        Dig.Result local = dig("-x", "64:ff9b::a01:203"); // never synthesized (non-global): local NXDOMAIN
        assertEquals("NXDOMAIN", local.status());
        // inside the prefix's reverse zone but not a full address: an empty non-terminal, answered locally
        Dig.Result partial = dig("5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa", "PTR");
        assertEquals("NOERROR", partial.status(), partial.raw());
        assertTrue(partial.answer().isEmpty());
        assertEquals("SOA", partial.authority().get(0).type());
        // above the prefix's reverse zone: not ours, forwarded
        assertEquals("REFUSED", dig("b.9.f.f.4.6.0.0.ip6.arpa", "PTR").status());
        Dig.Result outside = dig("-x", "2001:db8::1"); // not under a prefix: forwarded (the upstream refuses)
        assertEquals("REFUSED", outside.status(), outside.raw());
        assertEquals(1, upstream.count("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", Type.PTR));
        assertEquals(2, counter(Dns64Counter.SYNTHESIZED_PTR));
    }

    // ------------------------------------------------------------------------ ipv4only.arpa (RFC 7050/8880)

    @Test
    void ipv4onlyArpaIsAnsweredLocallyEvenWithTheUpstreamDown() throws IOException {
        DatagramSocket hole = TestUpstream.blackHole();
        toClose.add(hole);
        start(b -> b.upstreams("127.0.0.1:" + hole.getLocalPort()));
        Dig.Result a = dig("ipv4only.arpa", "A");
        assertEquals(Set.of("192.0.0.170", "192.0.0.171"), new HashSet<>(a.data("A")));
        assertAaaa(dig("ipv4only.arpa", "AAAA"), "64:ff9b::c000:aa", "64:ff9b::c000:ab");
        assertEquals(List.of("ipv4only.arpa."), dig("-x", "192.0.0.170").data("PTR"));
        assertEquals(List.of("ipv4only.arpa."), dig("-x", "192.0.0.171").data("PTR"));
        Dig.Result mx = dig("ipv4only.arpa", "MX");
        assertEquals("NOERROR", mx.status());
        assertTrue(mx.answer().isEmpty());
        assertEquals("SOA", mx.authority().get(0).type());
        assertTrue(mx.authority().get(0).data().startsWith("nameserver.home.arpa. hostmaster.home.arpa."), mx.raw());
        assertEquals("NXDOMAIN", dig("www.ipv4only.arpa", "A").status());
        assertEquals("SERVFAIL", dig("a1.test", "A").status(), "everything else needs the upstream");
        assertEquals(6, counter(Dns64Counter.LOCAL_ANSWERS));
    }

    // ------------------------------------------------------------------------------------ DNSSEC bits (§5.5)

    @Test
    void checkingDisabledMeansNoSynthesis() throws IOException {
        start();
        Dig.Result r = dig("+cdflag", "a1.test", "AAAA");
        assertEquals("NOERROR", r.status());
        assertTrue(r.answer().isEmpty(), r.raw());
        assertTrue(r.has("cd"), r.raw());
        assertEquals(1, upstream.seen().stream().filter(s -> s.type() == Type.AAAA && (s.flags() & 0x10) != 0).count(),
                "CD is passed on");
    }

    @Test
    void synthesizedAnswersHaveNoAdAndNoSignatures() throws IOException {
        start();
        Dig.Result passthrough = dig("+dnssec", "+adflag", "signed.test", "A");
        assertTrue(passthrough.has("ad"), "AD from the upstream passes through: " + passthrough.raw());
        assertEquals(1, passthrough.data("RRSIG").size(), passthrough.raw());
        Dig.Result synth = dig("+dnssec", "+adflag", "signed.test", "AAAA");
        assertAaaa(synth, "64:ff9b::c05:301");
        assertFalse(synth.has("ad"), synth.raw());
        assertTrue(synth.data("RRSIG").isEmpty(), synth.raw());
        assertTrue(synth.ednsFlags().contains("do"), synth.raw());
        Dig.Result chain = dig("+dnssec", "csigned.test", "AAAA");
        assertEquals(List.of("CNAME", "RRSIG", "AAAA"), chain.answer().stream().map(Dig.Rr::type).toList(), chain.raw());
        assertTrue(chain.data("RRSIG").get(0).startsWith("CNAME "), chain.raw());
        Dig.Result partial = dig("+dnssec", "+adflag", "sigdual.test", "AAAA");
        assertAaaa(partial, "2001:db8:3::2");
        assertTrue(partial.data("RRSIG").isEmpty(), "a signature over a changed RRset goes: " + partial.raw());
        assertFalse(partial.has("ad"), partial.raw());
        assertTrue(upstream.seen().stream().filter(s -> s.name().toString().equals("signed.test."))
                .allMatch(TestUpstream.Seen::dnssecOk), "DO is passed on");
    }

    // ---------------------------------------------------------------------------------------------- ACLs

    @Test
    void clientsOutsideTheAclAreRefused() throws IOException {
        start(b -> b.clientAcl(List.of("10.0.0.0/8", "fc00::/7")));
        Dig.Result r = dig("a1.test", "AAAA");
        assertEquals("REFUSED", r.status(), r.raw());
        assertEquals(0, upstream.seen().size());
        assertEquals(1, counter(Dns64Counter.RESPONSES_REFUSED));
    }

    @Test
    void onlyTheSynthesisAclGetsSynthesis() throws IOException {
        start(b -> b.synthesisAcl(List.of("10.0.0.0/8")));
        Dig.Result r = dig("a1.test", "AAAA");
        assertEquals("NOERROR", r.status());
        assertTrue(r.answer().isEmpty(), r.raw());
        assertEquals(List.of("192.0.2.33"), dig("a1.test", "A").data("A"));
        assertEquals(0, counter(Dns64Counter.SYNTHESIZED));
    }

    // ---------------------------------------------------------------------------------------- transport

    @Test
    void udpTruncationKeepsWholeRrsetsAndTcpGetsEverything() throws IOException {
        start();
        Dig.Result full = dig("big.test", "AAAA");
        assertEquals(24, full.data("AAAA").size(), full.raw());
        assertFalse(full.has("tc"));
        Dig.Result tc = dig("+noedns", "+ignore", "big.test", "AAAA");
        assertTrue(tc.has("tc"), tc.raw());
        assertTrue(tc.answer().isEmpty(), "never half an RRset: " + tc.raw());
        Dig.Result small = dig("+bufsize=512", "+ignore", "big.test", "AAAA");
        assertTrue(small.has("tc"), small.raw());
        Dig.Result retried = dig("+noedns", "big.test", "AAAA"); // dig retries over TCP
        assertEquals(24, retried.data("AAAA").size(), retried.raw());
        Dig.Result tcp = dig("+tcp", "big.test", "AAAA");
        assertEquals(24, tcp.data("AAAA").size(), tcp.raw());
        assertTrue(counter(Dns64Counter.TRUNCATED) >= 2);
        assertTrue(counter(Dns64Counter.QUERIES_TCP) >= 2);
    }

    @Test
    void truncatedUpstreamAnswersAreAskedAgainOverTcp() throws IOException {
        start();
        Dig.Result r = dig("+tcp", "huge.test", "AAAA");
        assertEquals(100, r.data("AAAA").size(), r.raw());
        assertTrue(upstream.seen().stream().anyMatch(s -> s.tcp() && s.type() == Type.A), "TCP retry upstream");
        assertTrue(counter(Dns64Counter.UPSTREAM_TCP_QUERIES) >= 1);
    }

    @Test
    void ednsBufferSizeIsCappedAndOtherVersionsGetBadvers() throws IOException {
        start();
        Dig.Result big = dig("+bufsize=4096", "a1.test", "AAAA");
        assertEquals(1232, big.ednsUdp(), big.raw());
        Dig.Result none = dig("+noedns", "a1.test", "AAAA");
        assertFalse(none.edns(), none.raw());
        Dig.Result cookie = dig("+cookie", "a1.test", "AAAA"); // an option we do not know is ignored
        assertAaaa(cookie, "64:ff9b::c000:221");
        Message q = DnsClient.query("a1.test", Type.AAAA);
        q.addRecord(new org.xbill.DNS.OPTRecord(1232, 0, 1, 0), Section.ADDITIONAL);
        Message r = DnsClient.udp(port, q);
        assertEquals(Rcode.BADVERS, r.getRcode(), r.toString());
        assertEquals(0, r.getOPT().getVersion());
    }

    @Test
    void upstreamQueriesUseRandomIdsAndPorts() throws IOException {
        start();
        for (int i = 0; i < 200; i++) {
            assertEquals(Rcode.NOERROR, DnsClient.udp(port, DnsClient.query("r" + i + ".w.test", Type.A)).getRcode());
        }
        List<TestUpstream.Seen> seen = upstream.seen();
        assertEquals(200, seen.size());
        Set<Integer> ports = seen.stream().map(TestUpstream.Seen::sourcePort).collect(Collectors.toSet());
        Set<Integer> ids = seen.stream().map(TestUpstream.Seen::id).collect(Collectors.toSet());
        assertTrue(ports.size() >= 16, "source ports: " + ports.size());
        assertTrue(ids.size() >= 190, "IDs: " + ids.size());
    }

    @Test
    void spoofedAnswersAreRejected() throws IOException {
        start();
        assertAaaa(dig("spoof.quirk.test", "AAAA"), "64:ff9b::c04:a");
        assertTrue(counter(Dns64Counter.UPSTREAM_REJECTED) >= 3, "wrong port, wrong ID, wrong question");
    }

    @Test
    void failsOverToTheNextUpstream() throws IOException {
        DatagramSocket hole = TestUpstream.blackHole();
        toClose.add(hole);
        start(b -> b.upstreams("127.0.0.1:" + hole.getLocalPort(), "127.0.0.1:" + upstream.port()));
        assertAaaa(dig("+time=5", "a1.test", "AAAA"), "64:ff9b::c000:221");
        assertTrue(counter(Dns64Counter.UPSTREAM_FAILOVERS) >= 1);
        assertTrue(counter(Dns64Counter.UPSTREAM_TIMEOUTS) >= 1);
        // after a few failures the dead one is skipped
        for (int i = 0; i < 3; i++) {
            dig("+time=5", "f" + i + ".w.test", "AAAA");
        }
        long before = counter(Dns64Counter.UPSTREAM_TIMEOUTS);
        assertAaaa(dig("global.test", "AAAA"), "64:ff9b::c05:9");
        assertEquals(before, counter(Dns64Counter.UPSTREAM_TIMEOUTS), "no timeout once the dead upstream is skipped");
    }

    @Test
    void tcpConnectionsCarrySeveralPipelinedQueries() throws IOException {
        start();
        String[] names = {"a1.test", "two.test", "nowhere.test", "a1.test", "c1.test"};
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            for (int i = 0; i < names.length; i++) {
                Message q = DnsClient.query(names[i], Type.AAAA);
                q.getHeader().setID(1000 + i);
                byte[] w = q.toWire();
                out.writeShort(w.length);
                out.write(w);
            }
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            Set<Integer> ids = new HashSet<>();
            for (int i = 0; i < names.length; i++) {
                byte[] b = new byte[in.readUnsignedShort()];
                in.readFully(b);
                Message r = new Message(b);
                ids.add(r.getHeader().getID());
                int k = r.getHeader().getID() - 1000;
                assertEquals(names[k] + ".", r.getQuestion().getName().toString());
            }
            assertEquals(Set.of(1000, 1001, 1002, 1003, 1004), ids);
        }
        assertEquals(names.length, counter(Dns64Counter.QUERIES_TCP));
    }

    // --------------------------------------------------------------------------------------------- cache

    @Test
    void cacheHitsNeedNoUpstreamAndKeepCaseIdAndTtl() throws Exception {
        start();
        Message first = DnsClient.udp(port, DnsClient.query("ttlhigh.test", Type.AAAA));
        assertEquals(300, first.getSection(Section.ANSWER).get(0).getTTL());
        Thread.sleep(1100);
        Message q = DnsClient.query("TtlHigh.TEST", Type.AAAA);
        q.getHeader().setID(4242);
        Message second = DnsClient.udp(port, q);
        assertEquals(4242, second.getHeader().getID());
        assertEquals("TtlHigh.TEST.", second.getQuestion().getName().toString(), "the client's case (RFC 4343)");
        long ttl = second.getSection(Section.ANSWER).get(0).getTTL();
        assertTrue(ttl <= 299 && ttl >= 290, "TTL decremented: " + ttl);
        assertEquals(1, upstream.count("ttlhigh.test", Type.AAAA));
        assertEquals(1, counter(Dns64Counter.CACHE_HITS));
        // negative answers are cached too; TTL 0 is not cached
        dig("nowhere.test", "AAAA");
        dig("nowhere.test", "AAAA");
        assertEquals(1, upstream.count("nowhere.test", Type.AAAA));
        dig("ttlzero.test", "AAAA");
        dig("ttlzero.test", "AAAA");
        assertEquals(2, upstream.count("ttlzero.test", Type.A));
        // the EDNS and DO variants are answered from the right entries
        assertTrue(dig("+noedns", "a1.test", "AAAA").answer().size() == 1);
        assertTrue(dig("+dnssec", "a1.test", "AAAA").answer().size() == 1);
        assertTrue(dig("a1.test", "AAAA").edns());
        assertEquals(2, upstream.count("a1.test", Type.AAAA), "one for DO=0, one for DO=1");
    }

    @Test
    void identicalQueriesInFlightShareOneUpstreamQuery() throws Exception {
        start();
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<Message>> answers = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int id = 500 + i;
                answers.add(pool.submit(() -> {
                    Message q = DnsClient.query("slow.quirk.test", Type.AAAA);
                    q.getHeader().setID(id);
                    return DnsClient.udp(port, q);
                }));
            }
            for (int i = 0; i < 10; i++) {
                Message r = answers.get(i).get();
                assertEquals(500 + i, r.getHeader().getID());
                assertEquals(InetAddress.getByName("64:ff9b::c04:9"),
                        ((org.xbill.DNS.AAAARecord) r.getSection(Section.ANSWER).get(0)).getAddress());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, upstream.count("slow.quirk.test", Type.AAAA));
        // each of the other nine joined the resolution in flight, or (on a slow machine) came after it: cached
        assertEquals(9, counter(Dns64Counter.COALESCED) + counter(Dns64Counter.CACHE_HITS));
        assertTrue(counter(Dns64Counter.COALESCED) >= 1);
    }

    @Test
    void inFlightQueriesAreBoundedAndDropsCounted() throws Exception {
        TestUpstream silent = TestUpstream.start();
        toClose.add(silent);
        silent.silent = true;
        start(b -> b.upstreams("127.0.0.1:" + silent.port()).maxInFlight(3).upstreamTimeout(Duration.ofMillis(1000)));
        try (DatagramSocket s = new DatagramSocket()) {
            for (int i = 0; i < 40; i++) {
                byte[] w = DnsClient.query("n" + i + ".w.test", Type.AAAA).toWire();
                s.send(new java.net.DatagramPacket(w, w.length, new java.net.InetSocketAddress("127.0.0.1", port)));
            }
            long deadline = System.nanoTime() + 3_000_000_000L;
            while (counter(Dns64Counter.QUERIES_UDP) < 40 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
        assertTrue(server.inFlight() <= 3);
        assertEquals(37, counter(Dns64Counter.DROP_OVERLOAD));
        Thread.sleep(2300); // AAAA then A time out: SERVFAIL for the three
        assertEquals(0, server.inFlight());
        assertEquals(3, counter(Dns64Counter.RESPONSES_SERVFAIL));
    }

    // ------------------------------------------------------------------------------------------ bad input

    @Test
    void malformedQueriesGetFormerrOrAreDroppedAndCounted() throws IOException {
        start();
        assertNull(DnsClient.udpRaw(port, new byte[] {1, 2, 3, 4, 5}, 300), "too short: dropped");
        byte[] response = DnsClient.query("a1.test", Type.AAAA).toWire();
        response[2] |= (byte) 0x80;
        assertNull(DnsClient.udpRaw(port, response, 300), "QR=1: dropped");
        byte[] cut = DnsClient.query("a1.test", Type.AAAA).toWire();
        byte[] broken = java.util.Arrays.copyOf(cut, 16);
        Message formerr = new Message(DnsClient.udpRaw(port, broken, 2000));
        assertEquals(Rcode.FORMERR, formerr.getRcode());
        assertEquals(Wire.u16(cut, 0), formerr.getHeader().getID());
        byte[] two = DnsClient.query("a1.test", Type.AAAA).toWire();
        two[5] = 2;
        assertEquals(Rcode.FORMERR, new Message(DnsClient.udpRaw(port, two, 2000)).getRcode());
        Message status = DnsClient.query("a1.test", Type.AAAA);
        status.getHeader().setOpcode(2);
        assertEquals(Rcode.NOTIMP, new Message(DnsClient.udpRaw(port, status.toWire(), 2000)).getRcode());
        assertEquals(Rcode.NOTIMP, DnsClient.udp(port, DnsClient.query("test", Type.AXFR)).getRcode());
        assertEquals(1, counter(Dns64Counter.DROP_MALFORMED));
        assertEquals(1, counter(Dns64Counter.DROP_RESPONSE));
        assertEquals(2, counter(Dns64Counter.RESPONSES_FORMERR));
        assertEquals(2, counter(Dns64Counter.RESPONSES_NOTIMP));
        assertAaaa(dig("a1.test", "AAAA"), "64:ff9b::c000:221");
        // TCP: a frame too short to be a message closes that connection only
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(2000);
            s.getOutputStream().write(new byte[] {0, 3, 1, 2, 3});
            assertEquals(-1, s.getInputStream().read());
        }
        assertEquals("NOERROR", dig("+tcp", "a1.test", "AAAA").status());
    }

    // ------------------------------------------------------------------------------------------ live config

    @Test
    void applySwapsTheConfigurationLive() throws Exception {
        start();
        assertAaaa(dig("a1.test", "AAAA"), "64:ff9b::c000:221");
        // a new prefix: the cache is cleared, the listener keeps its port
        server.apply(server.config().toBuilder().prefixes("2001:db8:64::/96").build());
        assertEquals(port, server.boundPorts().get(0));
        assertAaaa(dig("a1.test", "AAAA"), "2001:db8:64::c000:221");
        // a second listener: the first is untouched
        server.apply(server.config().toBuilder().listen("127.0.0.1:0", "127.0.0.1:0").build());
        List<Integer> ports = server.boundPorts();
        assertEquals(port, ports.get(0));
        int second = ports.get(1);
        assertAaaa(Dig.query(second, "a1.test", "AAAA"), "2001:db8:64::c000:221");
        assertEquals("NOERROR", Dig.query(second, "+tcp", "a1.test", "AAAA").status());
        // back to one: the second one is closed
        server.apply(server.config().toBuilder().listen("127.0.0.1:0").build());
        assertEquals(List.of(port), server.boundPorts());
        assertNull(DnsClient.udpRaw(second, DnsClient.query("a1.test", Type.AAAA).toWire(), 300));
        assertAaaa(dig("a1.test", "AAAA"), "2001:db8:64::c000:221");
        // unchanged synthesis settings keep the cache
        long cached = server.cacheEntries();
        assertTrue(cached > 0);
        server.apply(server.config().toBuilder().upstreamTimeout(Duration.ofMillis(500)).build());
        assertEquals(cached, server.cacheEntries());
        // an address that cannot be bound: the old configuration stays
        try (DatagramSocket taken = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            Dns64Config bad = server.config().toBuilder().listen("127.0.0.1:0", "127.0.0.1:" + taken.getLocalPort())
                    .build();
            assertThrowsIo(() -> server.apply(bad));
        }
        assertEquals(List.of(port), server.boundPorts());
        assertAaaa(dig("a1.test", "AAAA"), "2001:db8:64::c000:221");
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static void assertThrowsIo(IoAction a) {
        try {
            a.run();
        } catch (IOException e) {
            return;
        }
        throw new AssertionError("expected an IOException");
    }

    @Test
    void countersCoverQueriesAnswersAndRcodes() throws IOException {
        start();
        dig("a1.test", "AAAA");
        dig("a1.test", "AAAA");
        dig("+tcp", "nowhere.test", "AAAA");
        var snap = server.counters().snapshot();
        assertEquals(2, snap.get(Dns64Counter.QUERIES_UDP));
        assertEquals(1, snap.get(Dns64Counter.QUERIES_TCP));
        assertEquals(1, snap.get(Dns64Counter.SYNTHESIZED));
        assertEquals(1, snap.get(Dns64Counter.CACHE_HITS));
        assertEquals(2, snap.get(Dns64Counter.CACHE_MISSES));
        assertEquals(2, snap.get(Dns64Counter.RESPONSES_NOERROR));
        assertEquals(1, snap.get(Dns64Counter.RESPONSES_NXDOMAIN));
        assertEquals(3, snap.get(Dns64Counter.UPSTREAM_QUERIES));
        assertEquals(Dns64Counter.values().length, snap.size());
    }

    @Test
    void listensOnIpv6Too() throws IOException {
        boolean v6;
        try (DatagramSocket probe = new DatagramSocket(new java.net.InetSocketAddress("::1", 0))) {
            v6 = probe.isBound();
        } catch (IOException e) {
            v6 = false;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(v6, "no IPv6 loopback on this machine");
        start(b -> b.listen("127.0.0.1:0", "[::1]:0"));
        int v6port = server.boundPorts().get(1);
        assertAaaa(Dig.queryAt("::1", v6port, "a1.test", "AAAA"), "64:ff9b::c000:221");
        assertEquals("NOERROR", Dig.queryAt("::1", v6port, "+tcp", "ipv4only.arpa", "AAAA").status());
        server.apply(server.config().toBuilder().clientAcl(List.of("127.0.0.0/8")).build());
        assertEquals("REFUSED", Dig.queryAt("::1", v6port, "a1.test", "AAAA").status(), "::1 is not in that ACL");
        assertEquals("NOERROR", dig("a1.test", "AAAA").status());
    }

    @Test
    void javaClientOverUdpAndTcpAgree() throws IOException {
        start();
        Message udp = DnsClient.udp(port, DnsClient.withEdns(DnsClient.query("c1.test", Type.AAAA), 1232, false));
        Message tcp = DnsClient.tcp(port, DnsClient.query("c1.test", Type.AAAA));
        for (Message m : List.of(udp, tcp)) {
            assertTrue(m.getHeader().getFlag(Flags.QR) && m.getHeader().getFlag(Flags.RA));
            List<Record> answer = m.getSection(Section.ANSWER);
            assertEquals(Type.CNAME, answer.get(0).getType());
            assertEquals(Type.AAAA, answer.get(1).getType());
        }
        assertNotNull(udp.getOPT());
        assertNull(tcp.getOPT());
    }
}
