package io.xlatbox.engine.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Argument checks and messages, which need neither root nor a TUN device. */
class TunValidationTest {

    @Test
    void deviceNames() {
        String[] names = {"", "abcdefghijklmnop", "a/b", "a b", "tab\tx", ".", "..", "a:1", "éé23456789abcd"};
        for (String bad : names) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TunDevice.open(bad, 1), "'" + bad + "'");
            assertTrue(e.getMessage().startsWith("TUN device name"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> TunDevice.open(null, 1));
        assertEquals(15, TunDevice.validateName("abcdefghijklmno").length);
        assertEquals(5, TunDevice.validateName("tun%d").length);
    }

    @Test
    void queueCounts() {
        assertThrows(IllegalArgumentException.class, () -> TunDevice.open("xt0", 0));
        assertThrows(IllegalArgumentException.class, () -> TunDevice.open("xt0", 257));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TunDevice.open("xt0", 2, false));
        assertEquals("2 queues need a multi-queue device", e.getMessage());
    }

    @Test
    void namespaceNames() {
        for (String bad : new String[] {"a/b", "../x", ".", ".."}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NetNamespace.callIn(bad, () -> 1));
            assertTrue(e.getMessage().startsWith("invalid network namespace name"), e.getMessage());
        }
    }

    @Test
    void exceptionMessagesNameTheErrno() {
        TunException e = new TunException("TUNSETIFF on 'nat64'", 1);
        assertEquals("TUNSETIFF on 'nat64': Operation not permitted (EPERM, errno 1)", e.getMessage());
        assertEquals(1, e.errno());
        assertTrue(e instanceof IOException);
        assertEquals("open /dev/net/tun: No such file or directory (ENOENT, errno 2)",
                new TunException("open /dev/net/tun", 2).getMessage());
        assertEquals("TUNSETIFF on 'x': Device or resource busy (EBUSY, errno 16); a hint",
                new TunException("TUNSETIFF on 'x'", 16, "a hint").getMessage());
        assertEquals("EAGAIN", TunException.name(11));
        assertEquals("ENOBUFS", TunException.name(105));
        assertNull(TunException.name(4095));
        assertEquals("x: Unknown error 4095 (errno 4095)", new TunException("x", 4095).getMessage());
    }
}
