package io.xlatbox.engine.lan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The advertisement's bytes, computed by hand from RFC 4861 §4.2 and §4.6, RFC 8106 §5.1 and RFC 8781 §4. */
class RouterAdvertisementTest {
    private static final byte[] MAC = {0x02, 0, 0, 0, 0, 0x01};

    static RaConfig.Builder lan() {
        return RaConfig.builder().interfaceName("lan0").lanPrefix("2001:db8:1::/64")
                .prefixValidLifetime(86_400).prefixPreferredLifetime(14_400)
                .mtu(1400).addRdnssAddress("2001:db8:1::1").rdnssLifetime(1800L)
                .pref64("64:ff9b::/96").pref64Lifetime(1800).routerLifetime(1800);
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("[\\s|]", ""));
    }

    @Test
    void everyOptionByHand() {
        byte[] expected = hex("""
                86 00 0000 | 40 00 0708 | 00000000 | 00000000
                01 01 020000000001
                03 04 40 c0 | 00015180 | 00003840 | 00000000 | 20010db8000100000000000000000000
                05 01 0000 | 00000578
                19 03 0000 | 00000708 | 20010db8000100000000000000000001
                26 02 0708 | 0064ff9b0000000000000000
                """);
        assertArrayEquals(expected, RouterAdvertisement.encode(lan().build(), MAC, Withdrawals.NONE, false));
    }

    @Test
    void optionalOptionsAreLeftOut() {
        RaConfig c = RaConfig.builder().interfaceName("lan0").lanPrefix("2001:db8:1::/64")
                .prefixOnLink(false).prefixAutonomous(true).prefixValidLifetime(RaConfig.INFINITE)
                .prefixPreferredLifetime(RaConfig.INFINITE).routerLifetime(0).build();
        byte[] expected = hex("""
                86 00 0000 | 40 00 0000 | 00000000 | 00000000
                03 04 40 40 | ffffffff | ffffffff | 00000000 | 20010db8000100000000000000000000
                """);
        assertArrayEquals(expected, RouterAdvertisement.encode(c));
    }

    @Test
    void finalAdvertisementZeroesRouterRdnssAndPref64LifetimesButKeepsThePrefix() {
        byte[] expected = hex("""
                86 00 0000 | 40 00 0000 | 00000000 | 00000000
                01 01 020000000001
                03 04 40 c0 | 00015180 | 00003840 | 00000000 | 20010db8000100000000000000000000
                05 01 0000 | 00000578
                19 03 0000 | 00000000 | 20010db8000100000000000000000001
                26 02 0000 | 0064ff9b0000000000000000
                """);
        assertArrayEquals(expected, RouterAdvertisement.encode(lan().build(), MAC, Withdrawals.NONE, true));
    }

    @Test
    void withdrawnValuesFollowTheCurrentOnesWithLifetimeZero() {
        RaConfig before = lan().rdnssAddresses(List.of("2001:db8:1::1", "2001:db8:1::2")).build();
        RaConfig after = lan().lanPrefix("2001:db8:2::/64").rdnssAddresses(List.of("2001:db8:1::2"))
                .pref64("2001:db8:64::/64").build();
        Withdrawals w = Withdrawals.between(before, after);
        byte[] expected = hex("""
                86 00 0000 | 40 00 0708 | 00000000 | 00000000
                03 04 40 c0 | 00015180 | 00003840 | 00000000 | 20010db8000200000000000000000000
                03 04 40 c0 | 00000000 | 00000000 | 00000000 | 20010db8000100000000000000000000
                05 01 0000 | 00000578
                19 03 0000 | 00000708 | 20010db8000100000000000000000002
                19 03 0000 | 00000000 | 20010db8000100000000000000000001
                26 02 0709 | 20010db8006400000000 0000
                26 02 0000 | 0064ff9b0000000000000000
                """);
        assertArrayEquals(expected, RouterAdvertisement.encode(after, null, w, false));
    }

    /**
     * RFC 8781 §4: PLC 0..5 for /96, /64, /56, /48, /40, /32, then the first 96 bits of the prefix. The prefixes are
     * those of RFC 6052 §2.4's examples; 600 s is a Scaled Lifetime of 75, so the field is 75 << 3 | PLC.
     * (RFC 8781 itself gives no encoded example.)
     */
    @ParameterizedTest
    @CsvSource({
            "2001:db8:122:344:12:3456::/96, 0258, 20010db80122034400123456",
            "2001:db8:122:344::/64,         0259, 20010db80122034400000000",
            "2001:db8:122:300::/56,         025a, 20010db80122030000000000",
            "2001:db8:122::/48,             025b, 20010db80122000000000000",
            "2001:db8:100::/40,             025c, 20010db80100000000000000",
            "2001:db8::/32,                 025d, 20010db80000000000000000"})
    void pref64ForEveryPrefixLength(String prefix, String field, String bits) {
        RaConfig c = RaConfig.builder().interfaceName("lan0").lanPrefix("2001:db8:1::/64").maxRtrAdvInterval(200)
                .routerLifetime(600).pref64(prefix).pref64Lifetime(600).build();
        byte[] ra = RouterAdvertisement.encode(c);
        assertEquals(16 + 32 + 16, ra.length);
        byte[] option = java.util.Arrays.copyOfRange(ra, 48, 64);
        assertArrayEquals(hex("2602" + field + bits), option, prefix);
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "1, 1", "7, 1", "8, 1", "9, 2", "1800, 225", "65527, 8191", "65528, 8191", "65535, 8191"})
    void scaledLifetimeRoundsUpToUnitsOfEightSeconds(int seconds, int scaled) {
        assertEquals(scaled, RouterAdvertisement.scaledLifetime(seconds));
    }

    @Test
    void pref64LifetimeNotAMultipleOfEightIsRoundedUp() {
        RaConfig c = lan().pref64Lifetime(1801).build();
        byte[] ra = RouterAdvertisement.encode(c);
        int field = ((ra[ra.length - 14] & 0xFF) << 8) | (ra[ra.length - 13] & 0xFF);
        assertEquals(226, field >>> 3);
        assertEquals(0, field & 7);
        assertEquals(Rfc6052Prefix.parse("64:ff9b::/96"), c.pref64());
    }

    @Test
    void withdrawalsAccumulateAndDropWhatIsAdvertisedAgain() {
        RaConfig a = lan().build();
        RaConfig b = lan().pref64("2001:db8:64::/96").build();
        RaConfig c = lan().build(); // back to 64:ff9b::/96
        Withdrawals w = Withdrawals.NONE.plus(Withdrawals.between(a, b), b);
        assertEquals(Rfc6052Prefix.parse("64:ff9b::/96"), w.pref64());
        w = w.plus(Withdrawals.between(b, c), c);
        assertEquals(Rfc6052Prefix.parse("2001:db8:64::/96"), w.pref64());
        assertEquals(null, w.lanPrefixHi());
        assertEquals(List.of(), w.rdnss());
    }
}
