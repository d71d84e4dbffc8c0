package io.xlatbox.clat.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointsTest {
    @Test
    void literalsWithAndWithoutPorts() {
        assertEquals(new InetSocketAddress(Endpoints.literal("192.0.2.1"), 53), Endpoints.parse("192.0.2.1", 53));
        assertEquals(new InetSocketAddress(Endpoints.literal("192.0.2.1"), 5353), Endpoints.parse("192.0.2.1:5353", 53));
        assertEquals(new InetSocketAddress(Endpoints.literal("2001:db8::1"), 53), Endpoints.parse("2001:db8::1", 53));
        assertEquals(new InetSocketAddress(Endpoints.literal("2001:db8::1"), 53), Endpoints.parse("[2001:db8::1]", 53));
        assertEquals(new InetSocketAddress(Endpoints.literal("2001:db8::1"), 5353),
                Endpoints.parse("[2001:db8::1]:5353", 53));
    }

    @Test
    void namesAndJunkAreRefused() {
        for (String bad : List.of("dns.example", "192.0.2", "[2001:db8::1", "[::1]x", "192.0.2.1:0", "1.2.3.4:99999")) {
            assertThrows(IllegalArgumentException.class, () -> Endpoints.parse(bad, 53), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> Endpoints.ipv4("2001:db8::1"));
    }

    @Test
    void resolvConf() {
        List<InetSocketAddress> r = Endpoints.parseResolvConf("# comment\nsearch lab\nnameserver 2001:db8:1::1\n"
                + "nameserver 192.0.2.53\nnameserver not-a-literal\noptions ndots:1\n");
        assertEquals(List.of(Endpoints.parse("2001:db8:1::1", 53), Endpoints.parse("192.0.2.53", 53)), r);
    }

    @Test
    void rfc5952Text() {
        assertEquals("64:ff9b::c633:6402", Endpoints.text(Endpoints.literal("64:ff9b:0:0:0:0:c633:6402")));
        assertEquals("198.51.100.2", Endpoints.text(Endpoints.literal("198.51.100.2")));
        assertEquals("[64:ff9b::1]:5353", DnsClient.describe(Endpoints.parse("[64:ff9b::1]:5353", 53)));
        assertEquals("2001:db8:1::1", DnsClient.describe(Endpoints.parse("2001:db8:1::1", 53)));
    }
}
