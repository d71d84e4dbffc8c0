package io.xlatbox.clat.discovery;

import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * RFC 7050 §3: the Pref64::/n is found by asking for the AAAA records of the Well-Known Name ipv4only.arpa through
 * the network's DNS64, and looking in each answer for the Well-Known IPv4 Addresses 192.0.0.170 and 192.0.0.171 at
 * every offset RFC 6052 allows (/32, /40, /48, /56, /64, /96, skipping the u-octet, bits 64 to 71).
 *
 * <p>A prefix is accepted only when both addresses appear under it at the same offset. That is why RFC 7050 has
 * two of them: 192.0.0.170 may also happen to sit inside the prefix bits at another offset, and the secondary
 * address settles which offset is real. Records that embed neither address are ignored (and named); a prefix with
 * one of the two, an IPv4-embedded address whose u-octet is not zero, and prefixes no translator can have
 * (IPv4-mapped or -compatible ::/16, link-local, multicast) are rejected, with the reason. All of it is pure:
 * no I/O here.
 */
public final class Rfc7050 {
    /** The Well-Known Name (RFC 7050 §2.2, RFC 8880). */
    public static final Name WELL_KNOWN_NAME = Name.fromConstantString("ipv4only.arpa.");
    /** 192.0.0.170, the primary Well-Known IPv4 Address. */
    public static final int WKA_PRIMARY = 0xC00000AA;
    /** 192.0.0.171, the secondary one. */
    public static final int WKA_SECONDARY = 0xC00000AB;
    /** The RFC 6052 prefix lengths, shortest first. */
    public static final int[] LENGTHS = {32, 40, 48, 56, 64, 96};

    private Rfc7050() {
    }

    /**
     * What the AAAA records say.
     *
     * @param prefixes the valid prefixes, in the order of the records (the CLAT uses the first)
     * @param notes    why each other record or candidate was ignored or rejected
     * @param ttl      the smallest TTL of the records a prefix came from, in seconds (-1 when unknown)
     */
    public record Result(List<Rfc6052Prefix> prefixes, List<String> notes, long ttl) {
    }

    /** Finds the prefixes in a list of AAAA addresses (16 bytes each); see the class comment. */
    public static Result findPrefixes(List<byte[]> addresses) {
        Map<Rfc6052Prefix, int[]> found = new LinkedHashMap<>(); // prefix -> {has170, has171}
        List<String> notes = new ArrayList<>();
        for (byte[] a : addresses) {
            if (a == null || a.length != 16) {
                notes.add("ignored a record that is not an IPv6 address");
                continue;
            }
            ByteBuffer b = ByteBuffer.wrap(a);
            long hi = b.getLong(0);
            long lo = b.getLong(8);
            String text = Ipv6Address.format(hi, lo);
            if (a[8] != 0) {
                notes.add(text + ": bits 64-71 (the RFC 6052 u-octet) are not zero, so it embeds no IPv4 address");
                continue;
            }
            boolean any = false;
            for (int len : LENGTHS) {
                Rfc6052Prefix p;
                try {
                    p = prefixOf(hi, lo, len);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                int v4 = p.extract(hi, lo);
                if (v4 != WKA_PRIMARY && v4 != WKA_SECONDARY) {
                    continue;
                }
                any = true;
                int[] has = found.computeIfAbsent(p, k -> new int[2]);
                has[v4 == WKA_PRIMARY ? 0 : 1] = 1;
            }
            if (!any) {
                notes.add(text + ": neither 192.0.0.170 nor 192.0.0.171 at any RFC 6052 offset (ignored)");
            }
        }
        List<Rfc6052Prefix> prefixes = new ArrayList<>();
        for (Map.Entry<Rfc6052Prefix, int[]> e : found.entrySet()) {
            Rfc6052Prefix p = e.getKey();
            int[] has = e.getValue();
            if (has[0] == 0 || has[1] == 0) {
                notes.add("rejected " + p + ": only " + (has[0] == 1 ? "192.0.0.170" : "192.0.0.171")
                        + " appears under it, not both Well-Known IPv4 Addresses at the same offset (RFC 7050 §3)");
                continue;
            }
            String special = unusable(p);
            if (special != null) {
                notes.add("rejected " + p + ": " + special);
                continue;
            }
            prefixes.add(p);
        }
        return new Result(List.copyOf(prefixes), List.copyOf(notes), -1);
    }

    /** The prefix of length {@code len} of an address (bits beyond it cleared). */
    static Rfc6052Prefix prefixOf(long hi, long lo, int len) {
        long maskHi = len >= 64 ? -1L : -1L << (64 - len);
        long maskLo = len <= 64 ? 0L : -1L << (128 - len);
        return new Rfc6052Prefix(hi & maskHi, lo & maskLo, len);
    }

    /** Why no translator can use this prefix, or null. */
    static String unusable(Rfc6052Prefix p) {
        long top16 = p.hi() >>> 48;
        if (top16 == 0) {
            return "inside ::/16 (IPv4-mapped, IPv4-compatible or unspecified space), not a translation prefix";
        }
        if ((top16 & 0xFFC0) == 0xFE80) {
            return "link-local, not a translation prefix";
        }
        if ((top16 & 0xFF00) == 0xFF00) {
            return "multicast, not a translation prefix";
        }
        return null;
    }

    /** The query: AAAA ipv4only.arpa IN, recursion desired, with {@code id}. */
    public static Message query(int id) {
        Message m = Message.newQuery(Record.newRecord(WELL_KNOWN_NAME, Type.AAAA, DClass.IN));
        m.getHeader().setID(id & 0xFFFF);
        return m;
    }

    /**
     * Checks that {@code response} answers {@code query} and finds the prefixes in it.
     *
     * @throws DiscoveryException saying what the resolver answered instead (NXDOMAIN, NODATA, an RCODE, records
     *                            that embed no valid prefix, or an answer to another question)
     */
    public static Result fromResponse(Message query, Message response, String resolver) throws DiscoveryException {
        String why = DnsAnswers.mismatch(query, response);
        if (why != null) {
            throw new DiscoveryException(resolver + " sent an answer that does not match the query: " + why);
        }
        int rcode = response.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            throw new DiscoveryException(resolver + " answered NXDOMAIN for ipv4only.arpa: it is not a DNS64 "
                    + "(the name exists, RFC 8880), or it is broken");
        }
        if (rcode != Rcode.NOERROR) {
            throw new DiscoveryException(resolver + " answered " + Rcode.string(rcode) + " for AAAA ipv4only.arpa");
        }
        List<byte[]> addresses = new ArrayList<>();
        long ttl = Long.MAX_VALUE;
        Name owner = WELL_KNOWN_NAME;
        List<Record> answers = response.getSection(Section.ANSWER);
        // Follow a CNAME chain from the question, if any (a DNS64 may sit behind one).
        for (int hops = 0; hops < 8; hops++) {
            boolean moved = false;
            for (Record r : answers) {
                if (r instanceof CNAMERecord c && c.getName().equals(owner)) {
                    owner = c.getTarget();
                    moved = true;
                    break;
                }
            }
            if (!moved) {
                break;
            }
        }
        for (Record r : answers) {
            if (r instanceof AAAARecord a && (a.getName().equals(WELL_KNOWN_NAME) || a.getName().equals(owner))) {
                addresses.add(a.rdataToWireCanonical()); // 16 octets, even for ::ffff:a.b.c.d
                ttl = Math.min(ttl, a.getTTL());
            }
        }
        if (addresses.isEmpty()) {
            throw new DiscoveryException(resolver + " has no AAAA records for ipv4only.arpa (NODATA): it does not "
                    + "synthesize, so there is no DNS64 here (or not for this client)");
        }
        Result r = findPrefixes(addresses);
        if (r.prefixes().isEmpty()) {
            throw new DiscoveryException(resolver + " answered AAAA ipv4only.arpa with " + describe(addresses)
                    + ", which embed no valid NAT64 prefix: " + String.join("; ", r.notes()));
        }
        return new Result(r.prefixes(), r.notes(), ttl == Long.MAX_VALUE ? -1 : ttl);
    }

    static String describe(List<byte[]> addresses) {
        List<String> s = new ArrayList<>();
        for (byte[] a : addresses) {
            ByteBuffer b = ByteBuffer.wrap(a);
            s.add(a.length == 16 ? Ipv6Address.format(b.getLong(0), b.getLong(8)) : "?");
        }
        return String.join(", ", s);
    }
}
