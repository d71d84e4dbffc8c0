package io.xlatbox.clat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.clat.ClatConfig;
import io.xlatbox.clat.check.CheckOptions;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClatMainTest {
    @Test
    void runOptions() {
        ClatConfig c = ClatMain.runConfig(new String[] {"--netns", "xl1c", "--dns", "2001:db8:1::1", "--dns",
            "[2001:db8:1::1]:5353", "--prefix", "2001:db8:64::/96", "--force", "--tun", "clat0", "--ra-wait", "250",
            "--ipv4-mtu", "1400", "--clat-ipv4", "192.0.0.4"});
        assertEquals("xl1c", c.namespace());
        assertEquals(2, c.dns().size());
        assertEquals(5353, c.dns().get(1).getPort());
        assertEquals(Rfc6052Prefix.parse("2001:db8:64::/96"), c.prefix());
        assertTrue(c.force());
        assertEquals("clat0", c.tunName());
        assertEquals(Duration.ofMillis(250), c.raWait());
        assertEquals(1400, c.ipv4Mtu());
        assertEquals("192.0.0.4", c.ipv4Text());
    }

    @Test
    void runDefaults() {
        ClatConfig c = ClatMain.runConfig(new String[0]);
        assertNull(c.namespace());
        assertEquals("clat", c.tunName());
        assertEquals("192.0.0.2", c.ipv4Text());
        assertEquals(29, c.ipv4PrefixLength());
        assertNull(c.prefix());
        assertFalse(c.force());
        assertTrue(c.listenRa());
    }

    @Test
    void badConfigurationNamesTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClatMain.runConfig(new String[] {"--prefix", "2001:db8::/33"}));
        assertTrue(e.getMessage().contains("prefix"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ClatMain.runConfig(new String[] {"--clat-ipv6", "2001:db8:64::5", "--prefix", "2001:db8:64::/96"}));
        assertTrue(e.getMessage().contains("inside the PLAT prefix"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClatMain.runConfig(new String[] {"--dns", "dns.example"}));
        assertThrows(IllegalArgumentException.class, () -> ClatMain.runConfig(new String[] {"--bogus"}));
        assertThrows(IllegalArgumentException.class, () -> ClatMain.runConfig(new String[] {"--netns"}));
    }

    @Test
    void checkOptions() {
        CheckOptions o = ClatMain.checkOptions(new String[] {"--netns", "xl1c", "--target", "203.0.113.7", "--name",
            "server.xlatbox.test", "--dns", "2001:db8:1::1", "--dns4", "198.51.100.53", "--timeout", "3000",
            "--only", "tcp4,udp4", "--json", "/tmp/x.json"});
        assertEquals("xl1c", o.namespace());
        assertEquals("203.0.113.7", o.target().getHostAddress());
        assertEquals("server.xlatbox.test", o.name());
        assertEquals(Duration.ofSeconds(3), o.timeout());
        assertEquals(Set.of("tcp4", "udp4"), o.only());
        assertTrue(o.wants("tcp4"));
        assertFalse(o.wants("bulk4"));
        assertThrows(IllegalArgumentException.class, () -> ClatMain.checkOptions(new String[] {"--target", "2001:db8::1"}));
        assertThrows(IllegalArgumentException.class, () -> ClatMain.checkOptions(new String[] {"--dns4", "2001:db8::1"}));
    }

    @Test
    void usage() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(2, ClatMain.run(new String[0], new PrintStream(out), System.err));
        assertTrue(out.toString().contains("usage"));
        assertEquals(0, ClatMain.run(new String[] {"--help"}, new PrintStream(out), System.err));
        assertThrows(IllegalArgumentException.class, () -> ClatMain.run(new String[] {"frobnicate"}, System.out,
                System.err));
    }
}
