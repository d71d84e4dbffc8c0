package io.xlatbox.dns64;

import io.xlatbox.dns64.Dns64Config.PrefixMapping;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The special-use name ipv4only.arpa (RFC 7050 §2.2, RFC 8880 §7.2), answered locally so that prefix discovery
 * works even when no upstream does: A is 192.0.0.170 and 192.0.0.171; AAAA is those synthesized with each prefix
 * (when the client gets synthesis); the reverse names 170.0.0.192.in-addr.arpa and 171.0.0.192.in-addr.arpa point
 * back to ipv4only.arpa; other types get NODATA and names below get NXDOMAIN, with the SOA of the zone that
 * RFC 8880 gives.
 */
public final class Ipv4OnlyArpa {
    public static final Name NAME = Name.fromConstantString("ipv4only.arpa.");
    static final Name REVERSE_170 = Name.fromConstantString("170.0.0.192.in-addr.arpa.");
    static final Name REVERSE_171 = Name.fromConstantString("171.0.0.192.in-addr.arpa.");
    /** The zone's TTL (RFC 8880 §7.2: 24 hours). */
    static final long TTL = 86400;
    /** The zone's negative caching TTL (SOA MINIMUM, 1 minute): also the TTL of the synthesized AAAA records. */
    static final long NEGATIVE_TTL = 60;
    private static final Name NS = Name.fromConstantString("nameserver.home.arpa.");
    private static final Name ADMIN = Name.fromConstantString("hostmaster.home.arpa.");
    private static final InetAddress A170 = v4(170);
    private static final InetAddress A171 = v4(171);

    private Ipv4OnlyArpa() {
    }

    /** True for ipv4only.arpa, the two reverse names, and anything below them. */
    public static boolean covers(Name name) {
        return name.subdomain(NAME) || name.subdomain(REVERSE_170) || name.subdomain(REVERSE_171);
    }

    /**
     * The local answer to {@code query}, or null when its name is not ours. {@code prefixes} is empty when the
     * client gets no synthesis (then AAAA is NODATA).
     */
    static Message answer(Message query, List<PrefixMapping> prefixes) {
        Record q = query.getQuestion();
        Name name = q.getName();
        int type = q.getType();
        if (name.subdomain(NAME)) {
            if (!name.equals(NAME)) {
                return negative(query, NAME, Rcode.NXDOMAIN);
            }
            Message m = Synthesizer.response(query, Rcode.NOERROR);
            if (type == Type.A || type == Type.ANY) {
                m.addRecord(new ARecord(NAME, DClass.IN, TTL, A170), Section.ANSWER);
                m.addRecord(new ARecord(NAME, DClass.IN, TTL, A171), Section.ANSWER);
            }
            if (type == Type.AAAA || type == Type.ANY) {
                // RFC 7050 §3: one AAAA per prefix per address; the TTL follows RFC 6147 §5.1.7 (min of the A
                // TTL and the zone's negative TTL), short enough for clients to notice a new prefix soon.
                for (PrefixMapping p : prefixes) {
                    m.addRecord(new AAAARecord(NAME, DClass.IN, NEGATIVE_TTL, Synthesizer.embed(p, 0xC00000AA)),
                            Section.ANSWER);
                    m.addRecord(new AAAARecord(NAME, DClass.IN, NEGATIVE_TTL, Synthesizer.embed(p, 0xC00000AB)),
                            Section.ANSWER);
                }
            }
            if (type == Type.SOA) {
                m.addRecord(soa(NAME, TTL), Section.ANSWER);
            } else if (type == Type.NS) {
                m.addRecord(new NSRecord(NAME, DClass.IN, TTL, NS), Section.ANSWER);
            }
            if (m.getSection(Section.ANSWER).isEmpty()) {
                return negative(query, NAME, Rcode.NOERROR);
            }
            return m;
        }
        for (Name rev : new Name[] {REVERSE_170, REVERSE_171}) {
            if (name.subdomain(rev)) {
                if (!name.equals(rev)) {
                    return negative(query, rev, Rcode.NXDOMAIN);
                }
                if (type != Type.PTR && type != Type.ANY) {
                    return negative(query, rev, Rcode.NOERROR);
                }
                Message m = Synthesizer.response(query, Rcode.NOERROR);
                m.addRecord(new PTRRecord(rev, DClass.IN, TTL, NAME), Section.ANSWER);
                return m;
            }
        }
        return null;
    }

    /** NXDOMAIN or NODATA with the SOA in the authority section, its TTL the negative TTL (RFC 2308 §3). */
    private static Message negative(Message query, Name owner, int rcode) {
        Message m = Synthesizer.response(query, rcode);
        m.addRecord(soa(owner, NEGATIVE_TTL), Section.AUTHORITY);
        return m;
    }

    /** RFC 8880 §7.2's zone: SOA nameserver.home.arpa. hostmaster.home.arpa. 1 7200 3600 86400 60. */
    private static SOARecord soa(Name owner, long ttl) {
        return new SOARecord(owner, DClass.IN, ttl, NS, ADMIN, 1, 7200, 3600, 86400, NEGATIVE_TTL);
    }

    private static InetAddress v4(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) 192, 0, 0, (byte) last});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
