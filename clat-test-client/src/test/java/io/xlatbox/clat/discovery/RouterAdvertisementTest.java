package io.xlatbox.clat.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Router advertisements (RFC 4861 §6.1.2 checks) carrying PREF64 options, and the state kept from them. */
class RouterAdvertisementTest {
    static final InetAddress ROUTER = addr("fe80::1");
    static final InetAddress ROUTER_B = addr("fe80::2");
    static final Rfc6052Prefix NSP = Rfc6052Prefix.parse("2001:db8:64::/96");
    /** A source link-layer address option (type 1, 8 octets). */
    static final byte[] SLLA = {1, 1, 2, 0, 0, 0, 0, 1};

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static RouterAdvertisement ra(InetAddress from, byte[]... options) {
        byte[] b = RouterAdvertisement.build(1800, options);
        return RouterAdvertisement.parse(b, b.length, from, 255);
    }

    @Test
    void pref64AmongOtherOptions() {
        RouterAdvertisement ra = ra(ROUTER, SLLA, Pref64Option.encode(NSP, 600), SLLA);
        assertEquals(1800, ra.routerLifetime());
        assertEquals(1, ra.pref64().size());
        assertEquals(NSP, ra.pref64().get(0).prefix());
        assertEquals(600, ra.pref64().get(0).lifetimeSeconds());
        assertTrue(ra.ignored().isEmpty());
    }

    @Test
    void anUnusablePref64IsListedAndTheOthersKept() {
        byte[] plc7 = Pref64Option.encodeRaw(0x0064ff9b00000000L, 0, 100, 7);
        RouterAdvertisement ra = ra(ROUTER, plc7, Pref64Option.encode(NSP, 600));
        assertEquals(List.of(NSP), ra.pref64().stream().map(Pref64Option::prefix).toList());
        assertEquals(1, ra.ignored().size());
        assertTrue(ra.ignored().get(0).contains("PLC 7"));
    }

    @Test
    void rfc4861ValidityChecks() {
        byte[] b = RouterAdvertisement.build(1800, Pref64Option.encode(NSP, 600));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RouterAdvertisement.parse(b, b.length, ROUTER, 254));
        assertTrue(e.getMessage().contains("hop limit 254"));
        e = assertThrows(IllegalArgumentException.class,
                () -> RouterAdvertisement.parse(b, b.length, addr("2001:db8:1::1"), 255));
        assertTrue(e.getMessage().contains("not a link-local"));
        byte[] code = b.clone();
        code[1] = 1;
        assertThrows(IllegalArgumentException.class, () -> RouterAdvertisement.parse(code, code.length, ROUTER, 255));
        assertThrows(IllegalArgumentException.class, () -> RouterAdvertisement.parse(b, 12, ROUTER, 255));
        byte[] zeroLength = RouterAdvertisement.build(1800, new byte[] {38, 0, 0, 0, 0, 0, 0, 0});
        e = assertThrows(IllegalArgumentException.class,
                () -> RouterAdvertisement.parse(zeroLength, zeroLength.length, ROUTER, 255));
        assertTrue(e.getMessage().contains("length 0"));
        assertThrows(IllegalArgumentException.class, () -> RouterAdvertisement.parse(b, b.length - 4, ROUTER, 255),
                "an option that runs past the end");
        // Hop limit unknown (-1): the other checks still apply, the RA is accepted.
        assertEquals(1, RouterAdvertisement.parse(b, b.length, ROUTER, -1).pref64().size());
    }

    @Test
    void solicitation() {
        byte[] rs = RouterAdvertisement.solicitation();
        assertEquals(8, rs.length);
        assertEquals(133, rs[0] & 0xFF);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Pref64State

    @Test
    void learnedUntilTheLifetimeRunsOut() {
        Pref64State s = new Pref64State();
        Instant t = Instant.parse("2025-01-01T00:00:00Z");
        assertNull(s.effective(t));
        assertTrue(s.update(ra(ROUTER, Pref64Option.encode(NSP, 80)), "c0", t));
        PlatPrefix p = s.effective(t.plusSeconds(79));
        assertNotNull(p);
        assertEquals(NSP, p.prefix());
        assertEquals(PlatPrefix.Source.PREF64, p.source());
        assertTrue(p.detail().contains("fe80::1") && p.detail().contains("c0"), p.detail());
        assertTrue(s.expire(t.plusSeconds(80)), "expired: the prefix in use changed (to none)");
        assertNull(s.effective(t.plusSeconds(80)));
    }

    @Test
    void aLaterAdvertisementExtendsIt() {
        Pref64State s = new Pref64State();
        Instant t = Instant.parse("2025-01-01T00:00:00Z");
        s.update(ra(ROUTER, Pref64Option.encode(NSP, 80)), "c0", t);
        assertTrue(!s.update(ra(ROUTER, Pref64Option.encode(NSP, 80)), "c0", t.plusSeconds(60)), "same prefix");
        assertNotNull(s.effective(t.plusSeconds(120)));
    }

    @Test
    void lifetimeZeroWithdrawsItAtOnce() {
        Pref64State s = new Pref64State();
        Instant t = Instant.parse("2025-01-01T00:00:00Z");
        s.update(ra(ROUTER, Pref64Option.encode(NSP, 1800)), "c0", t);
        assertTrue(s.update(ra(ROUTER, Pref64Option.encode(NSP, 0)), "c0", t.plusSeconds(1)));
        assertNull(s.effective(t.plusSeconds(1)));
    }

    @Test
    void thePrefixInUseStaysWhileValidThenTheNewestOtherTakesOver() {
        Pref64State s = new Pref64State();
        Instant t = Instant.parse("2025-01-01T00:00:00Z");
        s.update(ra(ROUTER, Pref64Option.encode(NSP, 96)), "c0", t);
        assertTrue(!s.update(ra(ROUTER_B, Pref64Option.encode(Rfc6052Prefix.WELL_KNOWN, 1800)), "c0",
                t.plusSeconds(10)), "another router's prefix does not displace the one in use");
        assertEquals(NSP, s.effective(t.plusSeconds(50)).prefix());
        assertEquals(Rfc6052Prefix.WELL_KNOWN, s.effective(t.plusSeconds(96)).prefix(),
                "when it expires, the other one is used");
        assertEquals(1, s.entries(t.plusSeconds(96)).size());
    }
}
