package io.xlatbox.engine.addr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class Rfc6052PrefixTest {
    /** RFC 6052 §2.4, Table 1: 192.0.2.33 under each prefix length, and Table 2's Well-Known Prefix. */
    @ParameterizedTest
    @CsvSource({
        "2001:db8::/32,           2001:db8:c000:221::",
        "2001:db8:100::/40,       2001:db8:1c0:2:21::",
        "2001:db8:122::/48,       2001:db8:122:c000:2:2100::",
        "2001:db8:122:300::/56,   2001:db8:122:3c0:0:221::",
        "2001:db8:122:344::/64,   2001:db8:122:344:c0:2:2100:0",
        "2001:db8:122:344::/96,   2001:db8:122:344::192.0.2.33",
        "64:ff9b::/96,            64:ff9b::192.0.2.33",
    })
    void table1(String prefix, String expected) {
        Rfc6052Prefix p = Rfc6052Prefix.parse(prefix);
        int v4 = Ipv4Address.parse("192.0.2.33");
        long[] e = Ipv6Address.parse(expected);
        assertEquals(Ipv6Address.format(e[0], e[1]), Ipv6Address.format(p.embedHi(v4), p.embedLo(v4)));
        assertTrue(p.contains(e[0], e[1]));
        assertEquals(v4, p.extract(e[0], e[1]));
    }

    @Test
    void roundTripEveryLength() {
        for (String s : new String[] {"2001:db8::/32", "2001:db8:100::/40", "2001:db8:122::/48",
            "2001:db8:122:300::/56", "2001:db8:122:344::/64", "2001:db8:122:344::/96"}) {
            Rfc6052Prefix p = Rfc6052Prefix.parse(s);
            for (int v4 : new int[] {0, -1, 0x01020304, 0xC0000221, 0x7F000001}) {
                assertEquals(v4, p.extract(p.embedHi(v4), p.embedLo(v4)), s);
                assertTrue(p.contains(p.embedHi(v4), p.embedLo(v4)));
                assertEquals(0, p.embedLo(v4) >>> 56, "u octet must stay zero for " + s);
            }
        }
    }

    @Test
    void illegalLengthIsRejectedWithAClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rfc6052Prefix.parse("2001:db8::/33"));
        assertTrue(e.getMessage().contains("/32, /40, /48, /56, /64 or /96"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Rfc6052Prefix.parse("2001:db8::/128"));
        assertThrows(IllegalArgumentException.class, () -> Rfc6052Prefix.parse("2001:db8::"));
    }

    @Test
    void uOctetMustBeZero() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rfc6052Prefix.parse("2001:db8:0:0:100::/96"));
        assertTrue(e.getMessage().contains("'u' octet"), e.getMessage());
    }

    @Test
    void hostBitsAreRejectedWithASuggestion() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rfc6052Prefix.parse("2001:db8::1/32"));
        assertTrue(e.getMessage().contains("did you mean 2001:db8::/32"), e.getMessage());
    }

    @Test
    void wellKnown() {
        assertTrue(Rfc6052Prefix.parse("64:ff9b::/96").isWellKnown());
        assertFalse(Rfc6052Prefix.parse("64:ff9b:1::/96").isWellKnown());
    }

    /** The RFC 6890 registry, "Global = False" rows, checked at both ends of each block and just outside. */
    @ParameterizedTest
    @CsvSource({
        "0.0.0.0, true", "0.255.255.255, true", "1.0.0.0, false",
        "9.255.255.255, false", "10.0.0.0, true", "10.255.255.255, true", "11.0.0.0, false",
        "100.63.255.255, false", "100.64.0.0, true", "100.127.255.255, true", "100.128.0.0, false",
        "126.255.255.255, false", "127.0.0.0, true", "127.255.255.255, true",
        "169.253.255.255, false", "169.254.0.0, true", "169.254.255.255, true", "169.255.0.0, false",
        "172.15.255.255, false", "172.16.0.0, true", "172.31.255.255, true", "172.32.0.0, false",
        "191.255.255.255, false", "192.0.0.0, true", "192.0.0.8, true", "192.0.0.9, false", "192.0.0.10, false",
        "192.0.0.170, true", "192.0.0.255, true", "192.0.1.0, false",
        "192.0.2.0, true", "192.0.2.255, true", "192.0.3.0, false", "192.88.99.1, false",
        "192.167.255.255, false", "192.168.0.0, true", "192.168.255.255, true", "192.169.0.0, false",
        "198.17.255.255, false", "198.18.0.0, true", "198.19.255.255, true", "198.20.0.0, false",
        "198.51.99.255, false", "198.51.100.0, true", "198.51.100.255, true", "198.51.101.0, false",
        "203.0.112.255, false", "203.0.113.0, true", "203.0.113.255, true", "203.0.114.0, false",
        "224.0.0.1, false", "239.255.255.255, false", "240.0.0.0, true", "255.255.255.255, true",
        "8.8.8.8, false", "93.184.216.34, false",
    })
    void rfc6890NonGlobal(String address, boolean nonGlobal) {
        assertEquals(nonGlobal, SpecialIpv4.isNonGlobal(Ipv4Address.parse(address)), address);
    }

    @Test
    void documentationRanges() {
        assertTrue(SpecialIpv4.isDocumentation(Ipv4Address.parse("192.0.2.33")));
        assertTrue(SpecialIpv4.isDocumentation(Ipv4Address.parse("198.51.100.2")));
        assertTrue(SpecialIpv4.isDocumentation(Ipv4Address.parse("203.0.113.255")));
        assertFalse(SpecialIpv4.isDocumentation(Ipv4Address.parse("192.0.3.1")));
        assertFalse(SpecialIpv4.isDocumentation(Ipv4Address.parse("10.0.0.1")));
    }

    @Test
    void nonGlobal() {
        assertTrue(SpecialIpv4.isNonGlobal(Ipv4Address.parse("10.1.2.3")));
        assertTrue(SpecialIpv4.isNonGlobal(Ipv4Address.parse("192.168.1.1")));
        assertTrue(SpecialIpv4.isNonGlobal(Ipv4Address.parse("100.64.0.1")));
        assertTrue(SpecialIpv4.isNonGlobal(Ipv4Address.parse("192.0.0.170")));
        assertFalse(SpecialIpv4.isNonGlobal(Ipv4Address.parse("192.0.0.9")));
        assertFalse(SpecialIpv4.isNonGlobal(Ipv4Address.parse("8.8.8.8")));
    }

    @Test
    void formatting() {
        long[] a = Ipv6Address.parse("2001:0db8:0000:0000:0001:0000:0000:0001");
        assertEquals("2001:db8::1:0:0:1", Ipv6Address.format(a[0], a[1]));
        long[] z = Ipv6Address.parse("::");
        assertEquals("::", Ipv6Address.format(z[0], z[1]));
        assertThrows(IllegalArgumentException.class, () -> Ipv6Address.parse("example.com"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse("1.2.3.256"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse("01.2.3.4"));
    }
}
