package io.xlatbox.dns64;

import io.xlatbox.dns64.Dns64Config.PrefixMapping;
import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.SpecialIpv4;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Every RFC 6147 decision, and nothing else: when to synthesize, what to exclude, which IPv4 addresses may be
 * embedded, TTLs, CNAME/DNAME chains, PTR, and how the response is assembled. It is pure: messages in, messages
 * and decisions out, no I/O and no clock. The server drives it one step at a time as upstream answers arrive:
 * {@link #plan}, then {@link #afterAaaa} and {@link #afterA} (or {@link #afterPtr}).
 *
 * <p>Messages it builds carry no OPT record: the server adds the client's EDNS on the way out.
 */
public final class Synthesizer {
    /** RFC 6147 §5.1.7: the TTL cap when the negative AAAA answer had no SOA. */
    public static final long NO_SOA_TTL = 600;
    private static final int V4_170 = 0xC00000AA; // 192.0.0.170, RFC 7050 §2.2
    private static final int V4_171 = 0xC00000AB; // 192.0.0.171
    private static final Name IP6_ARPA = Name.fromConstantString("ip6.arpa.");
    private static final Name IN_ADDR_ARPA = Name.fromConstantString("in-addr.arpa.");
    private static final Name LOCAL_HOST = Name.fromConstantString("localhost.");
    private static final Name LOCAL_ADMIN = Name.fromConstantString("nobody.invalid.");

    /** What to do with a query. */
    public enum Action {
        /** {@link Plan#answer()} is the complete response; no upstream is needed. */
        ANSWER,
        /** Forward the query and return the upstream's answer unchanged (§5.3.3, §5.5). */
        FORWARD,
        /** Query AAAA upstream, then {@link #afterAaaa} (§5.1). */
        SYNTHESIZE_AAAA,
        /** Query PTR for {@link Plan#ptrTarget()} upstream, then {@link #afterPtr} (§5.3.1). */
        SYNTHESIZE_PTR
    }

    public record Plan(Action action, Message answer, Name ptrTarget) {
        static Plan of(Action a) {
            return new Plan(a, null, null);
        }
    }

    /** What the AAAA answer means (§5.1.1 - §5.1.4). */
    public enum AaaaVerdict {
        /** Return the upstream's AAAA response unchanged: real AAAA data, or NXDOMAIN. */
        PASS,
        /** Return {@link AaaaStep#response()}: the AAAA data minus the excluded records. */
        ANSWER,
        /** No usable AAAA: query A for the same name and call {@link #afterA}. */
        QUERY_A
    }

    public record AaaaStep(AaaaVerdict verdict, Message response) {
    }

    /** A final response, whether it holds synthesized records, and whether it may be cached. */
    public record Outcome(Message response, boolean synthesized, boolean cacheable) {
    }

    private final List<PrefixMapping> prefixes;
    private final List<AddressPrefix> exclusions;
    private final boolean allowNonGlobal;

    public Synthesizer(Dns64Config config) {
        prefixes = config.prefixes();
        exclusions = config.exclusions();
        allowNonGlobal = config.allowNonGlobalWithWellKnownPrefix();
    }

    // ---------------------------------------------------------------------------------------------- planning

    /**
     * Decides how to answer {@code query}. {@code synthesis} says whether this client gets synthesis at all (the
     * synthesis ACL).
     */
    public Plan plan(Message query, boolean synthesis) {
        Record q = query.getQuestion();
        boolean cd = query.getHeader().getFlag(Flags.CD);
        if (q.getDClass() == DClass.IN) {
            // RFC 8880 §7.2: ipv4only.arpa is answered locally, upstream or not.
            Message local = Ipv4OnlyArpa.answer(query, synthesis && !cd ? prefixes : List.of());
            if (local != null) {
                return new Plan(Action.ANSWER, local, null);
            }
        }
        // §5.5: with CD=1 the client validates itself and must see the real data. §5.3.3: only class IN,
        // and only AAAA (and PTR, §5.3.1) are touched; every other query passes through unchanged.
        if (!synthesis || cd || q.getDClass() != DClass.IN) {
            return Plan.of(Action.FORWARD);
        }
        if (q.getType() == Type.AAAA) {
            return Plan.of(Action.SYNTHESIZE_AAAA);
        }
        if (q.getType() == Type.PTR) {
            return planPtr(query, q.getName());
        }
        return Plan.of(Action.FORWARD);
    }

    /** §5.3.1: a PTR query for an address under one of our prefixes. */
    private Plan planPtr(Message query, Name name) {
        if (!name.subdomain(IP6_ARPA)) {
            return Plan.of(Action.FORWARD);
        }
        int n = name.labels() - 3; // nibble labels before "ip6.arpa."
        if (n <= 0 || n > 32) {
            return Plan.of(Action.FORWARD);
        }
        long hi = 0;
        long lo = 0;
        for (int k = 0; k < n; k++) { // nibble k (0 = most significant) is label n-1-k
            byte[] label = name.getLabel(n - 1 - k);
            int v = label.length == 2 ? Character.digit(label[1], 16) : -1;
            if (v < 0) {
                return Plan.of(Action.FORWARD); // not a nibble label: not an address name
            }
            if (k < 16) {
                hi |= (long) v << (60 - 4 * k);
            } else {
                lo |= (long) v << (60 - 4 * (k - 16));
            }
        }
        for (PrefixMapping m : prefixes) {
            int need = m.prefix().length() / 4;
            if (n < need || !m.prefix().contains(hi, lo)) { // nibbles past the name are zero
                continue;
            }
            Name zone = reverseZone(m);
            if (n < 32) {
                // An empty non-terminal of the prefix's reverse space: it exists, and holds no PTR.
                return new Plan(Action.ANSWER, negative(query, Rcode.NOERROR, zone), null);
            }
            int v4 = m.prefix().extract(hi, lo);
            // RFC 6052 §2.2: the u octet (bits 64-71) is zero in every address we synthesize.
            if ((lo >>> 56) != 0 || !mappable(m, v4)) {
                return new Plan(Action.ANSWER, negative(query, Rcode.NXDOMAIN, zone), null);
            }
            return new Plan(Action.SYNTHESIZE_PTR, null, reverse4(v4));
        }
        return Plan.of(Action.FORWARD);
    }

    // ------------------------------------------------------------------------------------------ AAAA query

    /**
     * §5.1.1 - §5.1.4: what the upstream's AAAA response means. {@code aaaa} is null when the upstream did not
     * answer in time (§5.1.3: treated as empty).
     */
    public AaaaStep afterAaaa(Message query, Message aaaa) {
        if (aaaa == null) {
            return new AaaaStep(AaaaVerdict.QUERY_A, null); // §5.1.3
        }
        int rcode = aaaa.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            return new AaaaStep(AaaaVerdict.PASS, null); // §5.1.2: the name does not exist; no A query
        }
        if (rcode != Rcode.NOERROR) {
            return new AaaaStep(AaaaVerdict.QUERY_A, null); // §5.1.2: any other RCODE counts as empty
        }
        int total = 0;
        int excluded = 0;
        for (Record r : aaaa.getSection(Section.ANSWER)) {
            if (r.getType() == Type.AAAA && r.getDClass() == DClass.IN) {
                total++;
                if (excluded((AAAARecord) r)) {
                    excluded++;
                }
            }
        }
        if (total == 0 || excluded == total) {
            return new AaaaStep(AaaaVerdict.QUERY_A, null); // §5.1.1 NODATA; §5.1.4 all excluded
        }
        if (excluded == 0) {
            return new AaaaStep(AaaaVerdict.PASS, null); // §5.1.1: real AAAA data is returned as is
        }
        return new AaaaStep(AaaaVerdict.ANSWER, withoutExcluded(aaaa)); // §5.1.4: only what remains
    }

    /** §5.1.4: whether the AAAA record's address lies in the exclusion set. */
    public boolean excluded(AAAARecord r) {
        ByteBuffer b = ByteBuffer.wrap(r.getAddress().getAddress());
        long hi;
        long lo;
        if (b.capacity() == 4) { // Java turns ::ffff:a.b.c.d into an Inet4Address
            hi = 0;
            lo = 0xFFFF00000000L | (b.getInt(0) & 0xFFFFFFFFL);
        } else {
            hi = b.getLong(0);
            lo = b.getLong(8);
        }
        for (AddressPrefix p : exclusions) {
            if (p.contains6(hi, lo)) {
                return true;
            }
        }
        return false;
    }

    // --------------------------------------------------------------------------------------------- A query

    /**
     * §5.1.5 - §5.1.7 and §5.4: the response to the client's AAAA query once the A query has come back.
     * {@code aaaa} is the AAAA response (null after a timeout); {@code a} the A response (null after a timeout).
     */
    public Outcome afterA(Message query, Message aaaa, Message a) {
        if (a == null) {
            return new Outcome(response(query, Rcode.SERVFAIL), false, false); // nothing to build on
        }
        int rcodeA = a.getRcode();
        if (rcodeA != Rcode.NOERROR) {
            // §5.1.6: "If this new A RR query results in ... an error, then the ... error is used as the basis
            // for the answer returned to the querying client."
            return new Outcome(fromA(query, a, rcodeA, List.of()), false, true);
        }
        long negativeTtl = negativeTtl(aaaa);
        List<Record> synthesized = new ArrayList<>();
        List<ARecord> as = new ArrayList<>();
        for (Record r : a.getSection(Section.ANSWER)) {
            if (r.getType() == Type.A && r.getDClass() == DClass.IN) {
                as.add((ARecord) r);
            }
        }
        // §5.1.7: one AAAA per prefix per A record; TTL = min(A TTL, negative AAAA TTL or 600).
        for (PrefixMapping m : prefixes) {
            for (ARecord r : as) {
                int v4 = v4(r.getAddress());
                if (mappable(m, v4)) {
                    synthesized.add(new AAAARecord(r.getName(), DClass.IN, Math.min(r.getTTL(), negativeTtl),
                            embed(m, v4)));
                }
            }
        }
        if (synthesized.isEmpty()) {
            // §5.1.6: an empty result is the basis of the answer: the AAAA response itself when it was a real
            // NODATA (its SOA and proofs are about AAAA), else the A response without its A records.
            if (aaaa != null && aaaa.getRcode() == Rcode.NOERROR) {
                return new Outcome(withoutExcluded(aaaa), false, true);
            }
            return new Outcome(fromA(query, a, Rcode.NOERROR, List.of()), false, true);
        }
        return new Outcome(fromA(query, a, Rcode.NOERROR, synthesized), true, true);
    }

    /**
     * §5.4 (and §5.1.5, §5.3.2, §5.5): the response assembled from the A response. The answer section keeps the
     * CNAME and DNAME chain whole (with its signatures) and ends with {@code synthesized} instead of the A
     * records and their RRSIGs; authority and additional sections are copied unchanged (no synthesis in the
     * additional section); AD is never set.
     */
    private Message fromA(Message query, Message a, int rcode, List<Record> synthesized) {
        Message m = response(query, rcode);
        for (Record r : a.getSection(Section.ANSWER)) {
            boolean aData = r.getType() == Type.A
                    || (r instanceof RRSIGRecord s && (s.getTypeCovered() == Type.A || s.getTypeCovered() == Type.AAAA));
            if (!aData) {
                m.addRecord(r, Section.ANSWER);
            }
        }
        for (Record r : synthesized) {
            m.addRecord(r, Section.ANSWER);
        }
        copySection(a, m, Section.AUTHORITY);
        copySection(a, m, Section.ADDITIONAL);
        return m;
    }

    /** RFC 6147 §5.1.7 with RFC 2308 §5: min(SOA TTL, SOA MINIMUM) of the negative AAAA answer, else 600. */
    static long negativeTtl(Message aaaa) {
        if (aaaa == null || aaaa.getRcode() != Rcode.NOERROR) {
            return NO_SOA_TTL;
        }
        for (Record r : aaaa.getSection(Section.AUTHORITY)) {
            if (r instanceof SOARecord soa) {
                return Math.min(soa.getTTL(), soa.getMinimum());
            }
        }
        return NO_SOA_TTL;
    }

    // ------------------------------------------------------------------------------------------------- PTR

    /**
     * §5.3.1: the answer to a PTR query under one of our prefixes: a CNAME to the IPv4 reverse name, then what
     * the upstream said about that name ({@code ptr}, null after a timeout).
     */
    public Outcome afterPtr(Message query, Name target, Message ptr) {
        Record q = query.getQuestion();
        CNAMERecord cname = new CNAMERecord(q.getName(), DClass.IN, NO_SOA_TTL, target);
        int rcode = ptr == null ? Rcode.SERVFAIL : ptr.getRcode();
        if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
            // The upstream failed: the CNAME alone still tells the client where to look; not cached.
            Message m = response(query, Rcode.NOERROR);
            m.addRecord(cname, Section.ANSWER);
            return new Outcome(m, true, false);
        }
        Message m = response(query, rcode); // RFC 6604: the RCODE is that of the last name in the chain
        m.addRecord(cname, Section.ANSWER);
        copySection(ptr, m, Section.ANSWER);
        copySection(ptr, m, Section.AUTHORITY);
        copySection(ptr, m, Section.ADDITIONAL);
        return new Outcome(m, true, true);
    }

    // ------------------------------------------------------------------------------------- address mapping

    /**
     * Whether {@code v4} may be embedded in this prefix: it must be in the prefix's mapped ranges, and, behind the
     * Well-Known Prefix, global (RFC 6052 §3.1) unless {@code allowNonGlobalWithWellKnownPrefix}. The RFC 5737
     * documentation ranges are exempt, as in the engine (labs and test vectors), and so are 192.0.0.170 and
     * 192.0.0.171, which exist to be synthesized (RFC 7050 §2.2).
     */
    public boolean mappable(PrefixMapping m, int v4) {
        if (!m.mapsRange(v4)) {
            return false;
        }
        return !m.prefix().isWellKnown() || allowNonGlobal || !SpecialIpv4.isNonGlobal(v4)
                || SpecialIpv4.isDocumentation(v4) || v4 == V4_170 || v4 == V4_171;
    }

    /** RFC 6052 §2.2: the IPv6 address embedding {@code v4} in the prefix. */
    static Inet6Address embed(PrefixMapping m, int v4) {
        return Ipv6Address.toInet(m.prefix().embedHi(v4), m.prefix().embedLo(v4));
    }

    static int v4(java.net.InetAddress a) {
        return ((Inet4Address) a).hashCode(); // the address as an int
    }

    /** d.c.b.a.in-addr.arpa. for a.b.c.d. */
    static Name reverse4(int v4) {
        try {
            return Name.concatenate(Name.fromString((v4 & 0xFF) + "." + ((v4 >>> 8) & 0xFF) + "."
                    + ((v4 >>> 16) & 0xFF) + "." + ((v4 >>> 24) & 0xFF)), IN_ADDR_ARPA);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The ip6.arpa zone of a prefix: its length/4 nibbles. */
    static Name reverseZone(PrefixMapping m) {
        long hi = m.prefix().hi();
        long lo = m.prefix().lo();
        StringBuilder sb = new StringBuilder();
        for (int k = m.prefix().length() / 4 - 1; k >= 0; k--) {
            long v = k < 16 ? hi >>> (60 - 4 * k) : lo >>> (60 - 4 * (k - 16));
            sb.append(Character.forDigit((int) (v & 0xF), 16)).append('.');
        }
        sb.append("ip6.arpa.");
        return Name.fromConstantString(sb.toString());
    }

    // ------------------------------------------------------------------------------------------- messages

    /** An empty response to {@code query}: question copied, RD and CD as the client set them, RA, no AD. */
    static Message response(Message query, int rcode) {
        Message m = new Message(query.getHeader().getID());
        Header h = m.getHeader();
        h.setFlag(Flags.QR);
        h.setFlag(Flags.RA);
        if (query.getHeader().getFlag(Flags.RD)) {
            h.setFlag(Flags.RD);
        }
        if (query.getHeader().getFlag(Flags.CD)) {
            h.setFlag(Flags.CD);
        }
        h.setRcode(rcode);
        m.addRecord(query.getQuestion(), Section.QUESTION);
        return m;
    }

    /** A local negative answer with the SOA of one of our synthetic reverse zones (RFC 6303 style). */
    private static Message negative(Message query, int rcode, Name zone) {
        Message m = response(query, rcode);
        m.addRecord(new SOARecord(zone, DClass.IN, NO_SOA_TTL, LOCAL_HOST, LOCAL_ADMIN, 1, 3600, 1200, 604800,
                NO_SOA_TTL), Section.AUTHORITY);
        return m;
    }

    /** The AAAA response minus excluded AAAA records and their signatures (which no longer match); no AD, no OPT. */
    private Message withoutExcluded(Message aaaa) {
        Message m = new Message(aaaa.getHeader().getID());
        Header h = m.getHeader();
        Header src = aaaa.getHeader();
        for (int f : new int[] {Flags.QR, Flags.AA, Flags.RD, Flags.RA, Flags.AD, Flags.CD}) {
            if (src.getFlag(f)) {
                h.setFlag(f);
            }
        }
        h.setRcode(aaaa.getRcode());
        m.addRecord(aaaa.getQuestion(), Section.QUESTION);
        boolean stripped = false;
        for (Record r : aaaa.getSection(Section.ANSWER)) {
            if (r.getType() == Type.AAAA && r.getDClass() == DClass.IN && excluded((AAAARecord) r)) {
                stripped = true;
            }
        }
        for (Record r : aaaa.getSection(Section.ANSWER)) {
            boolean drop = r.getType() == Type.AAAA && r.getDClass() == DClass.IN && excluded((AAAARecord) r);
            boolean staleSig = stripped && r instanceof RRSIGRecord s && s.getTypeCovered() == Type.AAAA;
            if (!drop && !staleSig) {
                m.addRecord(r, Section.ANSWER);
            }
        }
        if (stripped) {
            h.unsetFlag(Flags.AD);
        }
        copySection(aaaa, m, Section.AUTHORITY);
        copySection(aaaa, m, Section.ADDITIONAL);
        return m;
    }

    private static void copySection(Message from, Message to, int section) {
        for (Record r : from.getSection(section)) {
            if (r.getType() != Type.OPT) {
                to.addRecord(r, section);
            }
        }
    }
}
