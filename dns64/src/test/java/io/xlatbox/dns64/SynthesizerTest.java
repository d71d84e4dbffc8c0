package io.xlatbox.dns64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.dns64.Dns64Config.PrefixMapping;
import io.xlatbox.dns64.Synthesizer.AaaaVerdict;
import io.xlatbox.dns64.Synthesizer.Action;
import io.xlatbox.dns64.Synthesizer.Outcome;
import io.xlatbox.engine.addr.Ipv4Address;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The RFC 6147 rules alone: messages in, messages out, no network. */
class SynthesizerTest {
    private static final Name NAME = Name.fromConstantString("www.example.");
    private static final Name TARGET = Name.fromConstantString("target.example.");
    private static final Name ZONE = Name.fromConstantString("example.");

    private static Synthesizer synth(Dns64Config.Builder b) {
        return new Synthesizer(b.upstreams("192.0.2.53").build());
    }

    private static Synthesizer wkp() {
        return synth(Dns64Config.builder());
    }

    private static Message query(Name name, int type) {
        Message q = Message.newQuery(Record.newRecord(name, type, DClass.IN));
        q.getHeader().setFlag(Flags.RD);
        return q;
    }

    private static Message response(Message q, int rcode, Record... answer) {
        Message m = Synthesizer.response(q, rcode);
        for (Record r : answer) {
            m.addRecord(r, Section.ANSWER);
        }
        return m;
    }

    private static SOARecord soa(long ttl, long minimum) {
        return new SOARecord(ZONE, DClass.IN, ttl, Name.fromConstantString("ns.example."),
                Name.fromConstantString("h.example."), 1, 3600, 600, 86400, minimum);
    }

    private static ARecord a(Name n, long ttl, String v4) throws Exception {
        return new ARecord(n, DClass.IN, ttl, InetAddress.getByName(v4));
    }

    private static List<String> aaaa(Message m) {
        return m.getSection(Section.ANSWER).stream().filter(r -> r.getType() == Type.AAAA)
                .map(r -> ((AAAARecord) r).getAddress().getHostAddress()).toList();
    }

    @Test
    void mappableFollowsRfc6052AndTheEngine() {
        Synthesizer s = wkp();
        PrefixMapping wkp = wkpMapping();
        assertTrue(s.mappable(wkp, Ipv4Address.parse("12.5.0.1")));
        assertFalse(s.mappable(wkp, Ipv4Address.parse("10.1.2.3")));
        assertFalse(s.mappable(wkp, Ipv4Address.parse("127.0.0.1")));
        assertFalse(s.mappable(wkp, Ipv4Address.parse("100.64.0.1")));
        assertFalse(s.mappable(wkp, Ipv4Address.parse("192.0.0.8")));
        assertTrue(s.mappable(wkp, Ipv4Address.parse("192.0.0.170")), "RFC 7050");
        assertTrue(s.mappable(wkp, Ipv4Address.parse("192.0.0.171")), "RFC 7050");
        assertTrue(s.mappable(wkp, Ipv4Address.parse("192.0.2.33")), "documentation ranges, as the engine");
        assertTrue(s.mappable(wkp, Ipv4Address.parse("198.51.100.1")));
        assertTrue(s.mappable(wkp, Ipv4Address.parse("203.0.113.1")));
        Synthesizer lab = synth(Dns64Config.builder().allowNonGlobalWithWellKnownPrefix(true));
        assertTrue(lab.mappable(wkp, Ipv4Address.parse("10.1.2.3")));
        Synthesizer nsp = synth(Dns64Config.builder().addPrefix("2001:db8:64::/96", "10.0.0.0/8"));
        PrefixMapping m = mapping("2001:db8:64::/96", "10.0.0.0/8");
        assertTrue(nsp.mappable(m, Ipv4Address.parse("10.1.2.3")), "non-global is fine with a network-specific prefix");
        assertFalse(nsp.mappable(m, Ipv4Address.parse("12.5.0.1")), "outside the prefix's ranges");
    }

    private static PrefixMapping wkpMapping() {
        return mapping("64:ff9b::/96", "0.0.0.0/0");
    }

    private static PrefixMapping mapping(String prefix, String... ranges) {
        return Dns64Config.builder().upstreams("192.0.2.53").addPrefix(prefix, ranges).build().prefixes().get(0);
    }

    @Test
    void embedsRfc6052TableOne() throws Exception {
        String[][] table = {
                {"2001:db8::/32", "2001:db8:c000:221::"},
                {"2001:db8:100::/40", "2001:db8:1c0:2:21::"},
                {"2001:db8:122::/48", "2001:db8:122:c000:2:2100::"},
                {"2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"},
                {"2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"},
                {"2001:db8:122:344::/96", "2001:db8:122:344::c000:221"}};
        for (String[] row : table) {
            assertEquals(InetAddress.getByName(row[1]), Synthesizer.embed(mapping(row[0], "0.0.0.0/0"),
                    Ipv4Address.parse("192.0.2.33")), row[0]);
        }
    }

    @Test
    void planRoutesQueries() {
        Synthesizer s = wkp();
        assertEquals(Action.SYNTHESIZE_AAAA, s.plan(query(NAME, Type.AAAA), true).action());
        assertEquals(Action.FORWARD, s.plan(query(NAME, Type.AAAA), false).action(), "synthesis ACL");
        assertEquals(Action.FORWARD, s.plan(query(NAME, Type.A), true).action());
        assertEquals(Action.FORWARD, s.plan(query(NAME, Type.ANY), true).action());
        Message cd = query(NAME, Type.AAAA);
        cd.getHeader().setFlag(Flags.CD);
        assertEquals(Action.FORWARD, s.plan(cd, true).action(), "§5.5");
        Message ch = Message.newQuery(Record.newRecord(NAME, Type.AAAA, DClass.CH));
        assertEquals(Action.FORWARD, s.plan(ch, true).action(), "only class IN");
        Synthesizer.Plan ptr = s.plan(query(Name.fromConstantString(
                "9.0.0.0.5.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa."), Type.PTR), true);
        assertEquals(Action.SYNTHESIZE_PTR, ptr.action());
        assertEquals("9.0.5.12.in-addr.arpa.", ptr.ptrTarget().toString());
        assertEquals(Action.ANSWER, s.plan(query(Ipv4OnlyArpa.NAME, Type.AAAA), true).action());
        assertEquals("0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa.",
                Synthesizer.reverseZone(wkpMapping()).toString());
    }

    @Test
    void aaaaVerdicts() throws Exception {
        Synthesizer s = wkp();
        Message q = query(NAME, Type.AAAA);
        assertEquals(AaaaVerdict.QUERY_A, s.afterAaaa(q, null).verdict(), "timeout §5.1.3");
        assertEquals(AaaaVerdict.PASS, s.afterAaaa(q, response(q, Rcode.NXDOMAIN)).verdict(), "§5.1.2");
        for (int rc : new int[] {Rcode.SERVFAIL, Rcode.REFUSED, Rcode.FORMERR, Rcode.NOTIMP}) {
            assertEquals(AaaaVerdict.QUERY_A, s.afterAaaa(q, response(q, rc)).verdict(), Rcode.string(rc));
        }
        assertEquals(AaaaVerdict.QUERY_A, s.afterAaaa(q, response(q, Rcode.NOERROR)).verdict(), "NODATA");
        AAAARecord real = new AAAARecord(NAME, DClass.IN, 60, InetAddress.getByName("2001:db8::1"));
        AAAARecord mapped = (AAAARecord) Record.fromString(NAME, Type.AAAA, DClass.IN, 60, "::ffff:192.0.2.1", Name.root);
        assertEquals(AaaaVerdict.PASS, s.afterAaaa(q, response(q, Rcode.NOERROR, real)).verdict());
        assertEquals(AaaaVerdict.QUERY_A, s.afterAaaa(q, response(q, Rcode.NOERROR, mapped)).verdict(), "§5.1.4");
        Message both = response(q, Rcode.NOERROR, real, mapped);
        both.getHeader().setFlag(Flags.AD);
        both.addRecord(new RRSIGRecord(NAME, DClass.IN, 60, Type.AAAA, 13, 60, Instant.now(), Instant.now(), 1, ZONE,
                new byte[8]), Section.ANSWER);
        Synthesizer.AaaaStep partial = s.afterAaaa(q, both);
        assertEquals(AaaaVerdict.ANSWER, partial.verdict());
        assertEquals(List.of("2001:db8:0:0:0:0:0:1"), aaaa(partial.response()));
        assertEquals(1, partial.response().getSection(Section.ANSWER).size(), "the stale RRSIG is gone");
        assertFalse(partial.response().getHeader().getFlag(Flags.AD));
    }

    @Test
    void synthesisTtlAndSections() throws Exception {
        Synthesizer s = wkp();
        Message q = query(NAME, Type.AAAA);
        Message nodata = response(q, Rcode.NOERROR);
        nodata.addRecord(soa(3600, 300), Section.AUTHORITY);
        Message aResp = response(query(NAME, Type.A), Rcode.NOERROR, new CNAMERecord(NAME, DClass.IN, 100, TARGET),
                a(TARGET, 7200, "12.5.0.1"), a(TARGET, 7200, "10.0.0.1"));
        aResp.addRecord(new RRSIGRecord(TARGET, DClass.IN, 7200, Type.A, 13, 7200, Instant.now(), Instant.now(), 1,
                ZONE, new byte[8]), Section.ANSWER);
        aResp.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        aResp.getHeader().setFlag(Flags.AD);
        Outcome o = s.afterA(q, nodata, aResp);
        assertTrue(o.synthesized() && o.cacheable());
        Message m = o.response();
        List<Record> answer = m.getSection(Section.ANSWER);
        assertEquals(2, answer.size(), "CNAME + one AAAA (10.0.0.1 is not global): " + m);
        assertEquals(Type.CNAME, answer.get(0).getType());
        assertEquals(TARGET, answer.get(1).getName());
        assertEquals(300, answer.get(1).getTTL(), "min(7200, min(3600, 300))");
        assertFalse(m.getHeader().getFlag(Flags.AD), "never AD on synthesis (§5.5)");
        assertNull(m.getOPT(), "the server adds the client's EDNS");
        assertEquals(600, s.afterA(q, null, aResp).response().getSection(Section.ANSWER).get(1).getTTL(),
                "no SOA: 600");
        assertEquals(600, s.afterA(q, response(q, Rcode.SERVFAIL), aResp).response()
                .getSection(Section.ANSWER).get(1).getTTL());
        Message soaLow = response(q, Rcode.NOERROR);
        soaLow.addRecord(soa(30, 300), Section.AUTHORITY);
        assertEquals(30, s.afterA(q, soaLow, aResp).response().getSection(Section.ANSWER).get(1).getTTL());
    }

    @Test
    void theAResponseIsTheBasisWhenNothingCanBeSynthesized() throws Exception {
        Synthesizer s = wkp();
        Message q = query(NAME, Type.AAAA);
        Message nodata = response(q, Rcode.NOERROR);
        nodata.addRecord(soa(3600, 300), Section.AUTHORITY);
        Outcome timeout = s.afterA(q, nodata, null);
        assertEquals(Rcode.SERVFAIL, timeout.response().getRcode());
        assertFalse(timeout.cacheable());
        assertEquals(Rcode.SERVFAIL, s.afterA(q, nodata, response(query(NAME, Type.A), Rcode.SERVFAIL)).response()
                .getRcode());
        Outcome privateOnly = s.afterA(q, nodata, response(query(NAME, Type.A), Rcode.NOERROR, a(NAME, 60, "10.0.0.1")));
        assertFalse(privateOnly.synthesized());
        assertEquals(Rcode.NOERROR, privateOnly.response().getRcode());
        assertTrue(privateOnly.response().getSection(Section.ANSWER).isEmpty());
        assertEquals(Type.SOA, privateOnly.response().getSection(Section.AUTHORITY).get(0).getType(),
                "the AAAA NODATA, SOA included, is the basis");
    }

    @Test
    void onePerPrefixPerARecord() throws Exception {
        Synthesizer s = synth(Dns64Config.builder().addPrefix("64:ff9b::/96").addPrefix("2001:db8::/32"));
        Message q = query(NAME, Type.AAAA);
        Outcome o = s.afterA(q, null, response(query(NAME, Type.A), Rcode.NOERROR, a(NAME, 60, "12.0.0.1"),
                a(NAME, 60, "12.0.0.2")));
        assertEquals(List.of("64:ff9b:0:0:0:0:c00:1", "64:ff9b:0:0:0:0:c00:2", "2001:db8:c00:1:0:0:0:0",
                "2001:db8:c00:2:0:0:0:0"), aaaa(o.response()));
    }

    @Test
    void ipv4onlyArpa() {
        Synthesizer s = synth(Dns64Config.builder().addPrefix("64:ff9b::/96").addPrefix("2001:db8::/32"));
        Message aaaa = s.plan(query(Ipv4OnlyArpa.NAME, Type.AAAA), true).answer();
        assertEquals(List.of("64:ff9b:0:0:0:0:c000:aa", "64:ff9b:0:0:0:0:c000:ab", "2001:db8:c000:aa:0:0:0:0",
                "2001:db8:c000:ab:0:0:0:0"), aaaa(aaaa));
        Message noSynthesis = s.plan(query(Ipv4OnlyArpa.NAME, Type.AAAA), false).answer();
        assertTrue(noSynthesis.getSection(Section.ANSWER).isEmpty());
        assertEquals(Rcode.NXDOMAIN, s.plan(query(Name.fromConstantString("a.ipv4only.arpa."), Type.A), true).answer()
                .getRcode());
        Message ptr = s.plan(query(Name.fromConstantString("171.0.0.192.in-addr.arpa."), Type.PTR), true).answer();
        assertEquals("ipv4only.arpa.", ptr.getSection(Section.ANSWER).get(0).rdataToString());
    }
}
