package io.xlatbox.clat.discovery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 8781 §4: the PREF64 option's fields, every Prefix Length Code, and what makes a receiver ignore it. */
class Pref64OptionTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    /**
     * Options written out octet by octet: type 38, length 2, (Scaled Lifetime << 3 | PLC), then 12 octets of
     * prefix. 0x0708 = Scaled Lifetime 225 (1800 s) with PLC 0..5.
     */
    @ParameterizedTest
    @CsvSource({
        "26 02 0708 0064ff9b 00000000 00000000, 0, 96, 64:ff9b::/96",
        "26 02 0709 20010db8 01220344 00000000, 1, 64, 2001:db8:122:344::/64",
        "26 02 070a 20010db8 01220300 00000000, 2, 56, 2001:db8:122:300::/56",
        "26 02 070b 20010db8 01220000 00000000, 3, 48, 2001:db8:122::/48",
        "26 02 070c 20010db8 01000000 00000000, 4, 40, 2001:db8:100::/40",
        "26 02 070d 20010db8 00000000 00000000, 5, 32, 2001:db8::/32"})
    void everyPrefixLengthCode(String octets, int plc, int length, String prefix) {
        Pref64Option o = Pref64Option.parse(hex(octets), 0, 16);
        assertEquals(plc, o.plc());
        assertEquals(length, o.prefix().length());
        assertEquals(Rfc6052Prefix.parse(prefix), o.prefix());
        assertEquals(225, o.scaledLifetime());
        assertEquals(1800, o.lifetimeSeconds(), "Scaled Lifetime is in units of 8 seconds");
        assertArrayEquals(hex(octets), Pref64Option.encode(o.prefix(), 1800), "and back");
    }

    @ParameterizedTest
    @ValueSource(ints = {6, 7})
    void undefinedPlcIsIgnored(int plc) {
        byte[] b = Pref64Option.encodeRaw(0x0064ff9b00000000L, 0, 100, plc);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pref64Option.parse(b, 0, 16));
        assertTrue(e.getMessage().contains("PLC " + plc), e.getMessage());
    }

    @Test
    void plcAndLengthTables() {
        int[] lengths = {96, 64, 56, 48, 40, 32};
        for (int plc = 0; plc < 6; plc++) {
            assertEquals(lengths[plc], Pref64Option.lengthOf(plc));
            assertEquals(plc, Pref64Option.plcOf(lengths[plc]));
        }
        assertEquals(-1, Pref64Option.lengthOf(6));
        assertEquals(-1, Pref64Option.lengthOf(7));
        assertEquals(-1, Pref64Option.plcOf(80));
    }

    @Test
    void scaledLifetimeLimits() {
        Rfc6052Prefix p = Rfc6052Prefix.WELL_KNOWN;
        assertEquals(0, Pref64Option.parse(Pref64Option.encode(p, 0), 0, 16).lifetimeSeconds(), "0: stop using it");
        assertEquals(8, Pref64Option.parse(Pref64Option.encode(p, 1), 0, 16).lifetimeSeconds(), "rounded up to 8 s");
        assertEquals(65528, Pref64Option.parse(Pref64Option.encode(p, 65528), 0, 16).lifetimeSeconds());
        assertEquals(8191, Pref64Option.parse(Pref64Option.encode(p, 1_000_000), 0, 16).scaledLifetime(),
                "13 bits at most");
        assertEquals(8191, Pref64Option.parse(hex("2602fff8 0064ff9b 00000000 00000000"), 0, 16).scaledLifetime());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 4})
    void aLengthOtherThanTwoIsIgnored(int units) {
        byte[] b = new byte[units * 8];
        b[0] = 38;
        b[1] = (byte) units;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Pref64Option.parse(b, 0, b.length));
        assertTrue(e.getMessage().contains("not 2"), e.getMessage());
    }

    @Test
    void bitsBeyondThePrefixLengthAreIgnored() {
        // PLC 5 (/32) with junk in the last 64 bits of the 96.
        Pref64Option o = Pref64Option.parse(hex("2602 070d 20010db8 deadbeef 12345678"), 0, 16);
        assertEquals(Rfc6052Prefix.parse("2001:db8::/32"), o.prefix());
        // PLC 1 (/64): the octet after the prefix (the u-octet position) is beyond the length too.
        o = Pref64Option.parse(hex("2602 0709 20010db8 01220344 ff000000"), 0, 16);
        assertEquals(Rfc6052Prefix.parse("2001:db8:122:344::/64"), o.prefix());
    }

    @Test
    void aSlash96WithTheUOctetSetIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Pref64Option.parse(hex("2602 0708 20010db8 00000000 01000000"), 0, 16));
        assertTrue(e.getMessage().contains("u"), e.getMessage());
    }

    @Test
    void specialPrefixesAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> Pref64Option.parse(hex("2602 0708 00000000 00000000 0000ffff"), 0, 16), "::ffff:0:0/96");
        assertThrows(IllegalArgumentException.class,
                () -> Pref64Option.parse(hex("2602 0709 fe800000 00000000 00000000"), 0, 16), "fe80::/64");
    }

    @Test
    void wrongTypeOrTruncated() {
        assertThrows(IllegalArgumentException.class,
                () -> Pref64Option.parse(hex("1902 0708 0064ff9b 00000000 00000000"), 0, 16));
        assertThrows(IllegalArgumentException.class,
                () -> Pref64Option.parse(hex("2602 0708 0064ff9b"), 0, 8));
        assertThrows(IllegalArgumentException.class, () -> Pref64Option.parse(new byte[] {38}, 0, 1));
    }

    /** Encode then parse gives back the prefix and lifetime, for any prefix, length and lifetime. */
    @Test
    void propertyRoundTrip() {
        qt().forAll(integers().between(0, 5), longs().all(), longs().all(), integers().between(0, 8191))
                .checkAssert((plc, hi, lo, scaled) -> {
                    int len = Pref64Option.lengthOf(plc);
                    byte[] p = Rfc7050Test.prefixBytes(hi, lo, len);
                    Rfc6052Prefix prefix = new Rfc6052Prefix(java.nio.ByteBuffer.wrap(p).getLong(0),
                            java.nio.ByteBuffer.wrap(p).getLong(8), len);
                    Pref64Option o = Pref64Option.parse(Pref64Option.encodeRaw(prefix.hi(), prefix.lo(), scaled, plc),
                            0, 16);
                    assertEquals(prefix, o.prefix());
                    assertEquals(scaled * 8L, o.lifetimeSeconds());
                    assertEquals(plc, o.plc());
                });
    }
}
