package io.xlatbox.engine.lan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.ConfigException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RaConfigTest {
    private static RaConfig.Builder minimal() {
        return RaConfig.builder().interfaceName("lan0").lanPrefix("2001:db8:1::/64");
    }

    private static Map<String, String> errors(RaConfig.Builder b) {
        ConfigException e = assertThrows(ConfigException.class, b::build);
        return e.errors().stream().collect(Collectors.toMap(ConfigException.FieldError::path,
                ConfigException.FieldError::message, (x, y) -> x + " | " + y));
    }

    @Test
    void defaultsFollowRfc4861AndTheLifetimesFollowMaxRtrAdvInterval() {
        RaConfig c = minimal().build();
        assertEquals(600, c.maxRtrAdvInterval());
        assertEquals(198, c.minRtrAdvInterval());
        assertEquals(1800, c.routerLifetime());
        assertEquals(2_592_000, c.prefixValidLifetime());
        assertEquals(604_800, c.prefixPreferredLifetime());
        assertTrue(c.prefixOnLink() && c.prefixAutonomous());
        assertEquals(1800, c.rdnssLifetime());
        assertEquals(1800, c.pref64Lifetime());
        assertNull(c.pref64());
        assertEquals(0, c.mtu());
        assertEquals("2001:db8:1::/64", c.lanPrefix());

        RaConfig fast = minimal().maxRtrAdvInterval(4).build();
        assertEquals(3, fast.minRtrAdvInterval());
        assertEquals(12, fast.routerLifetime());
        RaConfig slow = minimal().maxRtrAdvInterval(1800).pref64("64:ff9b::/96").build();
        assertEquals(5400, slow.pref64Lifetime());
        assertEquals(594, slow.minRtrAdvInterval());
    }

    @Test
    void canonicalTextAndEquality() {
        RaConfig a = minimal().lanPrefix("2001:0DB8:0001:0000::/64").addRdnssAddress("2001:DB8:1:0::53").build();
        assertEquals("2001:db8:1::/64", a.lanPrefix());
        assertEquals(List.of("2001:db8:1::53"), a.rdnssAddresses());
        assertEquals(a, a.toBuilder().build());
        assertEquals(a.hashCode(), a.toBuilder().build().hashCode());
        assertTrue(!a.equals(a.toBuilder().mtu(1400).build()));
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsField() {
        Map<String, String> e = errors(RaConfig.builder().interfaceName("a/b").lanPrefix("2001:db8:1::/48")
                .prefixValidLifetime(100).prefixPreferredLifetime(200).maxRtrAdvInterval(600).minRtrAdvInterval(500)
                .routerLifetime(100).mtu(1000).rdnssAddresses(List.of("ff02::1", "2001:db8::1", "2001:db8:0::1", "x"))
                .rdnssLifetime(10L).pref64("64:ff9b::/96").pref64Lifetime(70_000));
        assertEquals(List.of("interfaceName", "lanPrefix", "minRtrAdvInterval", "mtu", "pref64Lifetime",
                "prefixPreferredLifetime", "rdnssAddresses[0]", "rdnssAddresses[2]", "rdnssAddresses[3]",
                "rdnssLifetime", "routerLifetime"), e.keySet().stream().sorted().toList());
        assertTrue(e.get("lanPrefix").contains("not a /64"), e.get("lanPrefix"));
        assertTrue(e.get("rdnssAddresses[0]").contains("multicast"), e.get("rdnssAddresses[0]"));
        assertTrue(e.get("rdnssAddresses[2]").contains("twice"), e.get("rdnssAddresses[2]"));
        assertTrue(e.get("minRtrAdvInterval").contains("0.75"), e.get("minRtrAdvInterval"));
        assertTrue(e.get("routerLifetime").contains("600..9000"), e.get("routerLifetime"));
        assertTrue(e.get("pref64Lifetime").contains("65528"), e.get("pref64Lifetime"));
    }

    @Test
    void lanPrefixMustBeAUsableSlaacPrefix() {
        assertTrue(errors(minimal().lanPrefix("2001:db8:1::1/64")).get("lanPrefix").contains("2001:db8:1::/64?"));
        assertTrue(errors(minimal().lanPrefix("fe80::/64")).get("lanPrefix").contains("link-local"));
        assertTrue(errors(minimal().lanPrefix("ff02::/64")).get("lanPrefix").contains("multicast"));
        assertTrue(errors(minimal().lanPrefix("2001:db8:1::")).get("lanPrefix").contains("needs a length"));
        assertTrue(errors(minimal().lanPrefix(null)).get("lanPrefix").contains("required"));
    }

    @Test
    void pref64ShouldOutliveTheRouter() {
        String m = errors(minimal().pref64("64:ff9b::/96").routerLifetime(1800).pref64Lifetime(1200))
                .get("pref64Lifetime");
        assertTrue(m.contains("RFC 8781"), m);
        // without a PREF64 the lifetime does not matter; with router lifetime 0 neither
        minimal().routerLifetime(1800).pref64Lifetime(1200).build();
        minimal().pref64("64:ff9b::/96").routerLifetime(0).pref64Lifetime(1200).build();
    }

    @Test
    void intervalsWithinRfc4861Bounds() {
        assertTrue(errors(minimal().maxRtrAdvInterval(3)).containsKey("maxRtrAdvInterval"));
        assertTrue(errors(minimal().maxRtrAdvInterval(1801)).containsKey("maxRtrAdvInterval"));
        assertTrue(errors(minimal().maxRtrAdvInterval(8).minRtrAdvInterval(2)).containsKey("minRtrAdvInterval"));
        assertEquals(6, minimal().maxRtrAdvInterval(8).minRtrAdvInterval(6).build().minRtrAdvInterval());
        assertTrue(errors(minimal().maxRtrAdvInterval(8).minRtrAdvInterval(7)).containsKey("minRtrAdvInterval"));
        assertTrue(errors(minimal().routerLifetime(9001)).containsKey("routerLifetime"));
        assertEquals(0, minimal().routerLifetime(0).build().routerLifetime());
    }
}
