package io.xlatbox.dns64;

import io.xlatbox.engine.ConfigException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.ConfigException.FieldError;
import io.xlatbox.dns64.Dns64Config.Endpoint;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class Dns64ConfigTest {
    private static Dns64Config.Builder valid() {
        return Dns64Config.builder().upstreams("192.0.2.53");
    }

    private static List<String> paths(ConfigException e) {
        return e.errors().stream().map(FieldError::path).toList();
    }

    @Test
    void defaults() {
        Dns64Config c = valid().build();
        assertEquals("64:ff9b::/96", c.prefixes().get(0).prefix().toString());
        assertEquals("[0.0.0.0/0]", c.prefixes().get(0).mappedRanges().toString());
        assertEquals("[::ffff:0:0/96]", c.exclusions().toString());
        assertEquals(Duration.ofMillis(1500), c.upstreamTimeout());
        assertEquals(1232, c.ednsBufferSize());
        assertEquals(List.of(new Endpoint("127.0.0.1", 53)), c.listen());
        assertEquals(List.of(new Endpoint("192.0.2.53", 53)), c.upstreams());
        assertTrue(!c.allowNonGlobalWithWellKnownPrefix());
        assertEquals(c, c.toBuilder().build());
    }

    @Test
    void illegalPrefixesAreRejectedWithTheirFieldPath() {
        ConfigException e = assertThrows(ConfigException.class, () -> valid()
                .addPrefix("64:ff9b::/96")
                .addPrefix("2001:db8::/33")                 // illegal length
                .addPrefix("2001:db8:1:0:ff00::/96")        // u octet set
                .addPrefix("2001:db8:2::1/48")              // bits beyond the length
                .addPrefix("64:ff9b::/96")                  // overlaps prefixes[0]
                .addPrefix("2001:db8:3::/96", "10.0.0.1/8") // host bits in a range
                .build());
        assertEquals(List.of("prefixes[1].prefix", "prefixes[2].prefix", "prefixes[3].prefix", "prefixes[4].prefix",
                "prefixes[5].mappedRanges[0]"), paths(e));
        assertTrue(e.getMessage().startsWith("prefixes[1].prefix: RFC 6052 prefix 2001:db8::/33 has an illegal length"),
                e.getMessage());
        assertTrue(e.getMessage().contains("'u' octet"), e.getMessage());
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
    }

    @Test
    void everyOtherFieldIsChecked() {
        ConfigException e = assertThrows(ConfigException.class, () -> Dns64Config.builder()
                .listen(List.of(new Endpoint("localhost", 53), new Endpoint("127.0.0.1", 70000)))
                .upstreams(List.of())
                .upstreamTimeout(Duration.ofSeconds(30))
                .exclusions(List.of("10.0.0.0/8"))
                .clientAcl(List.of("not-a-prefix"))
                .synthesisAcl(List.of("::/129"))
                .ednsBufferSize(100)
                .cacheMaxEntries(-1)
                .udpThreads(0)
                .maxInFlight(0)
                .build());
        assertEquals(List.of("listen[0].address", "listen[1].port", "upstreams", "upstreamTimeout", "exclusions[0]",
                "clientAcl[0]", "synthesisAcl[0]", "ednsBufferSize", "cacheMaxEntries", "udpThreads", "maxInFlight"),
                paths(e));
    }

    @Test
    void endpointsParse() {
        assertEquals(new Endpoint("127.0.0.1", 5353), Endpoint.parse("127.0.0.1:5353", 53));
        assertEquals(new Endpoint("::1", 5353), Endpoint.parse("[::1]:5353", 53));
        assertEquals(new Endpoint("2001:db8::1", 53), Endpoint.parse("2001:db8::1", 53));
        assertEquals(new Endpoint("192.0.2.1", 53), Endpoint.parse("192.0.2.1", 53));
        assertEquals("[::1]:53", new Endpoint("::1", 53).toString());
    }

    @Test
    void addressPrefixes() {
        AddressPrefix v4 = AddressPrefix.parse("10.0.0.0/8");
        assertTrue(v4.contains4(0x0A010203));
        assertTrue(!v4.contains4(0x0B000000));
        AddressPrefix v6 = AddressPrefix.parse("fc00::/7");
        assertTrue(v6.contains6(0xFD00000000000000L, 1));
        assertTrue(!v6.contains6(0xFE80000000000000L, 1));
        assertThrows(IllegalArgumentException.class, () -> AddressPrefix.parse("10.0.0.1/8"));
        assertEquals("::ffff:0:0/96", AddressPrefix.parse("::ffff:0:0/96").toString());
        assertEquals("192.0.2.1/32", AddressPrefix.parse("192.0.2.1").toString());
    }
}
