package io.xlatbox.dns64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;
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
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The wire layer: query parsing, cache keys, and how a stored answer is rendered for one client. */
class WireTest {
    private static final long SEC = 1_000_000_000L;
    private static final Name NAME = Name.fromConstantString("Big.Example.");

    private static Message query(String name, int type) {
        Message q = Message.newQuery(Record.newRecord(Name.fromConstantString(name), type, DClass.IN));
        q.getHeader().setFlag(Flags.RD);
        return q;
    }

    private static int parse(WireQuery wq, byte[] b) {
        return wq.parse(b, b.length);
    }

    @Test
    void parsesQueriesAndBuildsCaseInsensitiveKeys() {
        WireQuery wq = new WireQuery();
        Message q = query("WWW.Example.", Type.AAAA);
        q.addRecord(new OPTRecord(4096, 0, 0, 0x8000), Section.ADDITIONAL);
        assertEquals(WireQuery.OK, parse(wq, q.toWire()));
        assertTrue(wq.edns && wq.dnssecOk);
        assertEquals(4096, wq.udpSize);
        assertEquals(1232, wq.udpLimit(1232));
        wq.finishKey(true);
        CacheKey k1 = wq.key.copy();
        WireQuery other = new WireQuery();
        Message lower = query("www.example.", Type.AAAA);
        lower.addRecord(new OPTRecord(512, 0, 0, 0x8000), Section.ADDITIONAL);
        parse(other, lower.toWire());
        other.finishKey(true);
        assertEquals(k1, other.key);
        other.finishKey(false);
        assertFalse(k1.equals(other.key), "synthesis is part of the key");
        parse(other, query("www.example.", Type.AAAA).toWire());
        other.finishKey(true);
        assertFalse(k1.equals(other.key), "DO is part of the key");
        assertEquals(512, other.udpLimit(1232), "no EDNS: 512");
    }

    @Test
    void rejectsWhatIsNotAQuery() {
        WireQuery wq = new WireQuery();
        byte[] ok = query("a.example.", Type.A).toWire();
        assertEquals(WireQuery.DROP_SHORT, wq.parse(ok, 11));
        byte[] resp = ok.clone();
        resp[2] |= (byte) 0x80;
        assertEquals(WireQuery.DROP_RESPONSE, parse(wq, resp));
        assertEquals(WireQuery.FORMERR, wq.parse(ok, 14));
        byte[] pointer = ok.clone();
        pointer[12] = (byte) 0xC0;
        assertEquals(WireQuery.FORMERR, parse(wq, pointer), "no compression in the question");
        Message twoOpt = query("a.example.", Type.A);
        byte[] w = twoOpt.toWire();
        byte[] opt = {0, 0, 41, 4, (byte) 0xD0, 0, 0, 0, 0, 0, 0};
        byte[] two = new byte[w.length + 22];
        System.arraycopy(w, 0, two, 0, w.length);
        System.arraycopy(opt, 0, two, w.length, 11);
        System.arraycopy(opt, 0, two, w.length + 11, 11);
        two[11] = 2;
        assertEquals(WireQuery.FORMERR, parse(wq, two), "two OPT records (RFC 6891 §6.1.1)");
        byte[] v1 = new byte[w.length + 11];
        System.arraycopy(w, 0, v1, 0, w.length);
        System.arraycopy(opt, 0, v1, w.length, 11);
        v1[11] = 1;
        v1[w.length + 6] = 1; // version 1
        assertEquals(WireQuery.BADVERS, parse(wq, v1));
        ByteBuffer out = ByteBuffer.allocate(600);
        wq.writeError(out, 16, 1232);
        byte[] r = new byte[out.remaining()];
        out.get(r);
        Message badvers = parseMessage(r);
        assertEquals(Rcode.BADVERS, badvers.getRcode());
    }

    private static Message parseMessage(byte[] b) {
        try {
            return new Message(b);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Message answer(int count) throws Exception {
        Message m = query("big.example.", Type.AAAA);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.AD);
        Name target = Name.fromConstantString("target.example.");
        m.addRecord(new CNAMERecord(Name.fromConstantString("big.example."), DClass.IN, 100, target), Section.ANSWER);
        for (int i = 1; i <= count; i++) {
            m.addRecord(new AAAARecord(target, DClass.IN, 300, InetAddress.getByName("2001:db8::" + i)), Section.ANSWER);
        }
        m.addRecord(new ARecord(target, DClass.IN, 300, InetAddress.getByName("192.0.2.1")), Section.ADDITIONAL);
        return m;
    }

    private static Message render(WireAnswer a, Message q, int limit, long now) {
        ByteBuffer out = ByteBuffer.allocate(65535);
        byte[] qw = q.toWire();
        WireQuery wq = new WireQuery();
        parse(wq, qw);
        a.render(out, qw, wq.id, wq.flags, wq.edns, wq.dnssecOk, limit, 1232, now);
        byte[] b = new byte[out.remaining()];
        out.get(b);
        return parseMessage(b);
    }

    @Test
    void rendersIdCaseTtlAndEdns() throws Exception {
        byte[] w = answer(2).toWire();
        WireAnswer a = WireAnswer.of(w, w.length, 0, 86400, true);
        assertNotNull(a);
        assertEquals(100 * SEC, a.expiresNanos, "the smallest TTL");
        Message q = query("BIG.example.", Type.AAAA);
        q.getHeader().setID(777);
        q.addRecord(new OPTRecord(1232, 0, 0, 0x8000), Section.ADDITIONAL);
        Message r = render(a, q, 1232, 42 * SEC + 1);
        assertEquals(777, r.getHeader().getID());
        assertEquals("BIG.example.", r.getQuestion().getName().toString());
        assertEquals(100 - 42, r.getSection(Section.ANSWER).get(0).getTTL());
        assertEquals(300 - 42, r.getSection(Section.ANSWER).get(1).getTTL());
        assertTrue(r.getHeader().getFlag(Flags.AD), "DO set: AD shown (RFC 6840 §5.8)");
        assertTrue(r.getHeader().getFlag(Flags.RA) && r.getHeader().getFlag(Flags.RD));
        assertNotNull(r.getOPT());
        Message plain = render(a, query("big.example.", Type.AAAA), 1232, 0);
        assertNull(plain.getOPT());
        assertFalse(plain.getHeader().getFlag(Flags.AD), "AD only for clients that ask with DO or AD");
        assertTrue(a.fresh(99 * SEC));
        assertFalse(a.fresh(100 * SEC));
    }

    @Test
    void truncatesAtRrsetBoundaries() throws Exception {
        byte[] w = answer(30).toWire();
        WireAnswer a = WireAnswer.of(w, w.length, 0, 86400, true);
        Message r = render(a, query("big.example.", Type.AAAA), 512, 0);
        assertTrue(r.getHeader().getFlag(Flags.TC));
        List<Record> answer = r.getSection(Section.ANSWER);
        assertEquals(1, answer.size(), "the CNAME fits, the AAAA RRset does not: none of it is sent");
        assertEquals(Type.CNAME, answer.get(0).getType());
        // only the additional section does not fit: dropped, without TC (RFC 2181 §9)
        byte[] w2 = answer(2).toWire();
        WireAnswer a2 = WireAnswer.of(w2, w2.length, 0, 86400, true);
        int full = w2.length;
        Message r2 = render(a2, query("big.example.", Type.AAAA), full - 5, 0);
        assertFalse(r2.getHeader().getFlag(Flags.TC));
        assertEquals(3, r2.getSection(Section.ANSWER).size());
        assertTrue(r2.getSection(Section.ADDITIONAL).isEmpty());
    }

    @Test
    void cachingRules() throws Exception {
        Message q = query("n.example.", Type.AAAA);
        Message nx = Synthesizer.response(q, Rcode.NXDOMAIN);
        nx.addRecord(new SOARecord(Name.fromConstantString("example."), DClass.IN, 3600, Name.root, Name.root, 1, 1, 1,
                1, 120), Section.AUTHORITY);
        byte[] w = nx.toWire();
        WireAnswer a = WireAnswer.of(w, w.length, 0, 86400, true);
        assertTrue(a.cacheable);
        assertEquals(120 * SEC, a.expiresNanos, "RFC 2308: min(SOA TTL, MINIMUM)");
        byte[] nosoa = Synthesizer.response(q, Rcode.NOERROR).toWire();
        assertFalse(WireAnswer.of(nosoa, nosoa.length, 0, 86400, true).cacheable, "no SOA: not cached");
        byte[] sf = Synthesizer.response(q, Rcode.SERVFAIL).toWire();
        assertFalse(WireAnswer.of(sf, sf.length, 0, 86400, true).cacheable);
        byte[] big = answer(1).toWire();
        assertEquals(10 * SEC, WireAnswer.of(big, big.length, 0, 10, true).expiresNanos, "capped");
        // an OPT record that is not last: the caller re-encodes
        Message optFirst = answer(1);
        optFirst.removeAllRecords(Section.ADDITIONAL);
        optFirst.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        optFirst.addRecord(new ARecord(NAME, DClass.IN, 300, InetAddress.getByName("192.0.2.1")), Section.ADDITIONAL);
        byte[] of = optFirst.toWire();
        assertNull(WireAnswer.of(of, of.length, 0, 86400, true));
    }

    @Test
    void cacheEvictsUnusedEntriesFirstAndExpires() throws Exception {
        long t0 = System.nanoTime(); // the cache evicts by the real clock
        ResponseCache c = new ResponseCache(3, 1 << 20);
        byte[] w = answer(1).toWire();
        CacheKey[] keys = new CacheKey[4];
        for (int i = 0; i < 4; i++) {
            keys[i] = new CacheKey(new byte[] {(byte) i}, 1, i * 7919);
        }
        c.put(keys[0], WireAnswer.of(w, w.length, t0, 86400, true));
        c.put(keys[1], WireAnswer.of(w, w.length, t0, 86400, true));
        c.put(keys[2], WireAnswer.of(w, w.length, t0, 86400, true));
        assertNotNull(c.get(keys[0], t0 + 1));
        c.put(keys[3], WireAnswer.of(w, w.length, t0, 86400, true));
        assertEquals(3, c.size());
        assertNotNull(c.get(keys[0], t0 + 1), "CLOCK keeps the entry that was used");
        assertNotNull(c.get(keys[3], t0 + 1));
        assertTrue(c.get(keys[1], t0 + 1) == null ^ c.get(keys[2], t0 + 1) == null, "one unused entry went");
        assertNull(c.get(keys[0], t0 + 100 * SEC), "expired");
        ResponseCache small = new ResponseCache(1000, 20_000); // 4 segments of 5000 bytes
        for (int i = 0; i < 200; i++) {
            small.put(new CacheKey(new byte[] {(byte) i, (byte) (i >> 8)}, 2, i * 31), WireAnswer.of(w, w.length, t0,
                    86400, true));
        }
        assertTrue(small.bytes() <= 20_000, "bounded in bytes: " + small.bytes());
        assertTrue(small.size() < 200 && small.size() > 10, "size " + small.size());
    }
}
