package io.xlatbox.clat.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;

/**
 * RFC 7050 §3 parsing: the Well-Known IPv4 Addresses found at every RFC 6052 offset, both required at the same
 * offset under the same prefix, and every kind of answer that must not give a prefix.
 */
class Rfc7050Test {
    /** Where the four octets of the IPv4 address go for each prefix length (RFC 6052 Figure 1), u-octet skipped. */
    static int[] octets(int len) {
        return switch (len) {
            case 32 -> new int[] {4, 5, 6, 7};
            case 40 -> new int[] {5, 6, 7, 9};
            case 48 -> new int[] {6, 7, 9, 10};
            case 56 -> new int[] {7, 9, 10, 11};
            case 64 -> new int[] {9, 10, 11, 12};
            case 96 -> new int[] {12, 13, 14, 15};
            default -> throw new IllegalArgumentException("length " + len);
        };
    }

    /** The address that embeds {@code v4} under the first {@code len} bits of {@code prefix}; written here, not by the engine. */
    static byte[] embed(byte[] prefix, int len, int v4, byte[] suffix) {
        byte[] a = new byte[16];
        System.arraycopy(prefix, 0, a, 0, len / 8);
        int[] at = octets(len);
        for (int i = 0; i < 4; i++) {
            a[at[i]] = (byte) (v4 >>> (24 - 8 * i));
        }
        if (suffix != null) {
            for (int i = at[3] + 1; i < 16; i++) {
                if (i != 8) { // the u-octet stays zero
                    a[i] = suffix[i];
                }
            }
        }
        return a;
    }

    /** 16 bytes even for ::ffff:a.b.c.d (which InetAddress would turn into 4). */
    static byte[] bytes(String address) {
        long[] a = io.xlatbox.engine.addr.Ipv6Address.parse(address);
        return ByteBuffer.allocate(16).putLong(a[0]).putLong(a[1]).array();
    }

    static List<byte[]> list(String... addresses) {
        List<byte[]> l = new ArrayList<>();
        for (String a : addresses) {
            l.add(bytes(a));
        }
        return l;
    }

    /** Test vectors by hand, as the RFC 6052 §2.4 table does for 192.0.2.33, here for 192.0.0.170 and .171. */
    @ParameterizedTest
    @CsvSource({
        "2001:db8::/32,          2001:db8:c000:aa::,          2001:db8:c000:ab::",
        "2001:db8:100::/40,      2001:db8:1c0:0:aa::,         2001:db8:1c0:0:ab::",
        "2001:db8:122::/48,      2001:db8:122:c000:0:aa00::,  2001:db8:122:c000:0:ab00::",
        "2001:db8:122:300::/56,  2001:db8:122:3c0:0:aa::,     2001:db8:122:3c0:0:ab::",
        "2001:db8:122:344::/64,  2001:db8:122:344:c0:0:aa00:0, 2001:db8:122:344:c0:0:ab00:0",
        "64:ff9b::/96,           64:ff9b::c000:aa,            64:ff9b::c000:ab"})
    void findsThePrefixAtEveryOffset(String prefix, String a170, String a171) {
        Rfc7050.Result r = Rfc7050.findPrefixes(list(a170, a171));
        assertEquals(List.of(Rfc6052Prefix.parse(prefix)), r.prefixes(), r.notes().toString());
        // The order of the records does not matter.
        assertEquals(List.of(Rfc6052Prefix.parse(prefix)), Rfc7050.findPrefixes(list(a171, a170)).prefixes());
    }

    /** Any prefix bits at any legal length: both addresses give exactly that prefix. */
    @Test
    void propertyAnyPrefixAtAnyOffsetIsFound() {
        qt().forAll(integers().between(0, 5), longs().all(), longs().all())
                .checkAssert((i, hi, lo) -> {
                    int len = Rfc7050.LENGTHS[i];
                    byte[] p = prefixBytes(hi, lo, len);
                    Rfc7050.Result r = Rfc7050.findPrefixes(List.of(embed(p, len, Rfc7050.WKA_PRIMARY, null),
                            embed(p, len, Rfc7050.WKA_SECONDARY, null)));
                    assertEquals(1, r.prefixes().size(), r.notes().toString());
                    Rfc6052Prefix found = r.prefixes().get(0);
                    assertEquals(len, found.length());
                    assertEquals(ByteBuffer.wrap(p).getLong(0), found.hi());
                    assertEquals(ByteBuffer.wrap(p).getLong(8), found.lo());
                });
    }

    /** RFC 6052 wants the suffix zero, but a non-zero one must not confuse the search. */
    @Test
    void propertyASuffixDoesNotMoveThePrefix() {
        qt().forAll(integers().between(0, 4), longs().all(), longs().all())
                .checkAssert((i, hi, lo) -> {
                    int len = Rfc7050.LENGTHS[i];
                    byte[] p = prefixBytes(hi, lo, len);
                    byte[] suffix = ByteBuffer.allocate(16).putLong(lo).putLong(hi).array();
                    Rfc7050.Result r = Rfc7050.findPrefixes(List.of(embed(p, len, Rfc7050.WKA_PRIMARY, suffix),
                            embed(p, len, Rfc7050.WKA_SECONDARY, suffix)));
                    assertEquals(1, r.prefixes().size(), r.notes().toString());
                    assertEquals(len, r.prefixes().get(0).length());
                });
    }

    /** Random prefix bits for a length: u-octet zero, bits beyond the length zero, never a special range. */
    static byte[] prefixBytes(long hi, long lo, int len) {
        long maskHi = len >= 64 ? -1L : -1L << (64 - len);
        long maskLo = len <= 64 ? 0L : -1L << (128 - len);
        hi &= maskHi;
        lo &= maskLo & 0x00FFFFFFFFFFFFFFL;
        long top = hi >>> 48;
        if (top == 0 || (top & 0xFFC0) == 0xFE80 || (top & 0xFF00) == 0xFF00) {
            hi = (hi & 0x0000FFFFFFFFFFFFL) | 0x2001000000000000L;
        }
        return ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
    }

    @Test
    void prefixBitsThatLookLikeTheWkaAreDisambiguatedByTheSecondAddress() {
        // Pref64 2001:db8:c000:aa::/64: 192.0.0.170 also sits at the /32 offset of both records, but 192.0.0.171
        // appears only at /64 (RFC 7050 §3: that is what the secondary address is for).
        Rfc7050.Result r = Rfc7050.findPrefixes(list("2001:db8:c000:aa:c0:0:aa00:0", "2001:db8:c000:aa:c0:0:ab00:0"));
        assertEquals(List.of(Rfc6052Prefix.parse("2001:db8:c000:aa::/64")), r.prefixes());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("2001:db8::/32") && n.contains("only 192.0.0.170")),
                r.notes().toString());
    }

    @Test
    void onlyOneOfTheTwoAddressesIsRejected() {
        Rfc7050.Result r = Rfc7050.findPrefixes(list("64:ff9b::c000:aa"));
        assertTrue(r.prefixes().isEmpty());
        assertTrue(r.notes().get(0).contains("only 192.0.0.170"), r.notes().toString());
        r = Rfc7050.findPrefixes(list("64:ff9b::c000:ab"));
        assertTrue(r.prefixes().isEmpty());
        assertTrue(r.notes().get(0).contains("only 192.0.0.171"), r.notes().toString());
    }

    @Test
    void theTwoAddressesAtDifferentOffsetsAreRejected() {
        // 170 under 2001:db8:122::/96-style, 171 under a /64 of the same bits: no common prefix.
        Rfc7050.Result r = Rfc7050.findPrefixes(list("2001:db8:122:344::c000:aa", "2001:db8:122:344:c0:0:ab00:0"));
        assertTrue(r.prefixes().isEmpty(), r.prefixes().toString());
        assertEquals(2, r.notes().size(), r.notes().toString());
    }

    @Test
    void theTwoAddressesUnderDifferentPrefixesAreRejected() {
        Rfc7050.Result r = Rfc7050.findPrefixes(list("64:ff9b::c000:aa", "2001:db8:64::c000:ab"));
        assertTrue(r.prefixes().isEmpty());
    }

    @Test
    void aNonZeroUOctetEmbedsNothing() {
        // /64 layout with bits 64-71 set: RFC 6052 §2.2 forbids it, so no IPv4 address is in there.
        Rfc7050.Result r = Rfc7050.findPrefixes(list("2001:db8:122:344:ffc0:0:aa00:0", "2001:db8:122:344:ffc0:0:ab00:0"));
        assertTrue(r.prefixes().isEmpty());
        assertTrue(r.notes().get(0).contains("u-octet"), r.notes().toString());
    }

    @ParameterizedTest
    @CsvSource({
        "::ffff:192.0.0.170, ::ffff:192.0.0.171, ::/16",
        "::192.0.0.170,      ::192.0.0.171,      ::/16",
        "fe80::c000:aa,      fe80::c000:ab,      link-local",
        "ff0e::c000:aa,      ff0e::c000:ab,      multicast"})
    void prefixesNoTranslatorCanHaveAreRejected(String a, String b, String why) {
        Rfc7050.Result r = Rfc7050.findPrefixes(list(a, b));
        assertTrue(r.prefixes().isEmpty(), r.prefixes().toString());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains(why)), r.notes().toString());
    }

    @Test
    void recordsWithoutTheWkaAreIgnoredButDoNotSpoilTheRest() {
        Rfc7050.Result r = Rfc7050.findPrefixes(list("2001:db8::1", "64:ff9b::c000:aa", "64:ff9b::c000:ab"));
        assertEquals(List.of(Rfc6052Prefix.WELL_KNOWN), r.prefixes());
        assertTrue(r.notes().get(0).contains("2001:db8::1") && r.notes().get(0).contains("ignored"));
    }

    @Test
    void severalPrefixesKeepTheOrderOfTheAnswer() {
        Rfc7050.Result r = Rfc7050.findPrefixes(list("2001:db8:64::c000:aa", "2001:db8:64::c000:ab",
                "64:ff9b::c000:aa", "64:ff9b::c000:ab"));
        assertEquals(List.of(Rfc6052Prefix.parse("2001:db8:64::/96"), Rfc6052Prefix.WELL_KNOWN), r.prefixes());
    }

    @Test
    void nothingAtAll() {
        assertTrue(Rfc7050.findPrefixes(List.of()).prefixes().isEmpty());
        assertTrue(Rfc7050.findPrefixes(List.of(new byte[4])).prefixes().isEmpty());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Whole DNS responses

    private static Message response(Message q, int rcode, String... aaaa) throws Exception {
        Message m = new Message(q.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RA);
        m.getHeader().setRcode(rcode);
        m.addRecord(q.getQuestion(), Section.QUESTION);
        for (String a : aaaa) {
            m.addRecord(new AAAARecord(Rfc7050.WELL_KNOWN_NAME, DClass.IN, 60, InetAddress.getByName(a)),
                    Section.ANSWER);
        }
        return m;
    }

    @Test
    void aDns64AnswerGivesThePrefixAndTtl() throws Exception {
        Message q = Rfc7050.query(0x1234);
        Rfc7050.Result r = Rfc7050.fromResponse(q, response(q, Rcode.NOERROR, "64:ff9b::c000:aa", "64:ff9b::c000:ab"),
                "2001:db8:1::1");
        assertEquals(List.of(Rfc6052Prefix.WELL_KNOWN), r.prefixes());
        assertEquals(60, r.ttl());
    }

    @Test
    void aCnameChainIsFollowed() throws Exception {
        Message q = Rfc7050.query(7);
        Message m = response(q, Rcode.NOERROR);
        Name alias = Name.fromString("nat64.example.");
        m.addRecord(new CNAMERecord(Rfc7050.WELL_KNOWN_NAME, DClass.IN, 60, alias), Section.ANSWER);
        m.addRecord(new AAAARecord(alias, DClass.IN, 30, InetAddress.getByName("2001:db8:64::c000:aa")), Section.ANSWER);
        m.addRecord(new AAAARecord(alias, DClass.IN, 30, InetAddress.getByName("2001:db8:64::c000:ab")), Section.ANSWER);
        Rfc7050.Result r = Rfc7050.fromResponse(q, m, "r");
        assertEquals(List.of(Rfc6052Prefix.parse("2001:db8:64::/96")), r.prefixes());
        assertEquals(30, r.ttl());
    }

    @Test
    void nxdomainMeansNoDns64() throws Exception {
        Message q = Rfc7050.query(1);
        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> Rfc7050.fromResponse(q, response(q, Rcode.NXDOMAIN), "2001:db8:1::1"));
        assertTrue(e.getMessage().contains("NXDOMAIN") && e.getMessage().contains("not a DNS64"), e.getMessage());
    }

    @Test
    void nodataMeansNoSynthesis() throws Exception {
        Message q = Rfc7050.query(1);
        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> Rfc7050.fromResponse(q, response(q, Rcode.NOERROR), "2001:db8:1::1"));
        assertTrue(e.getMessage().contains("NODATA") && e.getMessage().contains("no DNS64"), e.getMessage());
    }

    @Test
    void servfailIsReported() throws Exception {
        Message q = Rfc7050.query(1);
        DiscoveryException e = assertThrows(DiscoveryException.class,
                () -> Rfc7050.fromResponse(q, response(q, Rcode.SERVFAIL), "r"));
        assertTrue(e.getMessage().contains("SERVFAIL"), e.getMessage());
    }

    @Test
    void anAnswerToAnotherQueryIsRefused() throws Exception {
        Message q = Rfc7050.query(1);
        Message other = response(Rfc7050.query(2), Rcode.NOERROR, "64:ff9b::c000:aa", "64:ff9b::c000:ab");
        DiscoveryException e = assertThrows(DiscoveryException.class, () -> Rfc7050.fromResponse(q, other, "r"));
        assertTrue(e.getMessage().contains("does not match") && e.getMessage().contains("ID"), e.getMessage());
    }

    @Test
    void recordsThatDoNotValidateAreNamedInTheError() throws Exception {
        Message q = Rfc7050.query(1);
        DiscoveryException e = assertThrows(DiscoveryException.class, () -> Rfc7050.fromResponse(q,
                response(q, Rcode.NOERROR, "64:ff9b::c000:aa", "2001:db8::c000:ab"), "r"));
        assertTrue(e.getMessage().contains("embed no valid NAT64 prefix") && e.getMessage().contains("64:ff9b::/96"),
                e.getMessage());
    }
}
