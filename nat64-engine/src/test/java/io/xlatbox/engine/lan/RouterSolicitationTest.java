package io.xlatbox.engine.lan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.xlatbox.engine.lan.RouterSolicitation.Drop;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** RFC 4861 §6.1.1. */
class RouterSolicitationTest {
    private static Drop check(String hex, int hopLimit, boolean unspecified) {
        byte[] b = HexFormat.of().parseHex(hex.replace(" ", ""));
        ByteBuffer buf = ByteBuffer.allocate(b.length + 16).put(b); // junk after the message must not matter
        return RouterSolicitation.check(buf, b.length, hopLimit, unspecified);
    }

    @Test
    void valid() {
        assertNull(check("85 00 1234 00000000", 255, false));
        assertNull(check("85 00 1234 00000000", 255, true));
        assertNull(check("85 00 1234 00000000 0101 020000000001", 255, false));
        assertNull(check("85 00 1234 00000000 0e01 000000000000", 255, true)); // unknown option: skipped
    }

    @Test
    void invalid() {
        assertEquals(Drop.HOP_LIMIT, check("85 00 1234 00000000", 64, false));
        assertEquals(Drop.HOP_LIMIT, check("85 00 1234 00000000", -1, false));
        assertEquals(Drop.CODE, check("85 01 1234 00000000", 255, false));
        assertEquals(Drop.TOO_SHORT, check("85 00 1234", 255, false));
        assertEquals(Drop.BAD_OPTION, check("85 00 1234 00000000 0100 020000000001", 255, false));
        assertEquals(Drop.BAD_OPTION, check("85 00 1234 00000000 0102 020000000001", 255, false));
        assertEquals(Drop.BAD_OPTION, check("85 00 1234 00000000 01", 255, false));
        assertEquals(Drop.LINK_LAYER_ADDRESS_FROM_UNSPECIFIED,
                check("85 00 1234 00000000 0101 020000000001", 255, true));
        assertEquals(Drop.NOT_A_SOLICITATION, check("86 00 1234 00000000", 255, false));
    }
}
