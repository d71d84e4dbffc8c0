package io.xlatbox.engine.lan;

import static io.xlatbox.engine.lan.RaLab.CLIENT;
import static io.xlatbox.engine.lan.RaLab.LAN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import io.xlatbox.engine.lan.RaLab.Capture;
import io.xlatbox.engine.lan.RaLab.Ra;
import io.xlatbox.engine.lan.RouterSolicitation.Drop;
import io.xlatbox.engine.tun.RootRequirement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The advertiser in one namespace, a Linux host in another ({@link RaLab}): the host's kernel configures itself from
 * the advertisements, and a python3 raw socket on the host decodes what arrives.
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
class RouterAdvertiserTest {
    private static final String ALL_NODES = "ff02::1";

    private static RaConfig.Builder config() {
        return RaConfig.builder().interfaceName(LAN).lanPrefix("2001:db8:1::/64")
                .prefixValidLifetime(86_400).prefixPreferredLifetime(14_400).mtu(1400)
                .addRdnssAddress("2001:db8:1::53").rdnssLifetime(300L)
                .pref64("2001:db8:64::/96").pref64Lifetime(600)
                .maxRtrAdvInterval(200).routerLifetime(600); // MinRtrAdvInterval 66 s: after the start, 16 s apart
    }

    @Test
    void clientConfiguresItselfFromTheAdvertisementsAndStopWithdrawsTheRouter() throws Exception {
        try (RaLab lab = RaLab.create(); Capture capture = lab.capture(60)) {
            long socketsBefore = openFds("socket:");
            long eventFdsBefore = openFds("anon_inode:[eventfd]");
            RouterAdvertiser advertiser = RouterAdvertiser.start(lab.router.name, config().maxRtrAdvInterval(4).build());
            try {
                Ra first = capture.await(ra -> ra.one("dst").equals(ALL_NODES), 5000, "a multicast advertisement");
                String routerLinkLocal = lab.routerLinkLocal();
                assertEquals(routerLinkLocal, first.one("src"), "an advertisement comes from the link-local address");
                assertEquals(255, first.integer("hoplimit"));
                assertEquals(0, first.integer("code"));
                assertEquals(64, first.integer("curhoplimit"));
                assertEquals(0, first.integer("flags"));
                assertEquals(600, first.integer("routerlifetime"));
                assertEquals(0, first.integer("reachable"));
                assertEquals(0, first.integer("retrans"));
                assertEquals(routerMac(lab), first.one("sll"));
                assertEquals("2001:db8:1::/64;L=1;A=1;valid=86400;preferred=14400", first.one("pio"));
                assertEquals(1400, first.integer("mtu"));
                assertEquals("300;2001:db8:1::53", first.one("rdnss"));
                assertPref64(first.one("pref64"), "2001:db8:64::/96", 600);

                // The client's kernel: a SLAAC address from the prefix, a default route via the router, the MTU.
                RaLab.await(() -> lab.clientGlobalAddresses().stream().anyMatch(RouterAdvertiserTest::inLanPrefix),
                        10_000, "a SLAAC address in 2001:db8:1::/64 on the client; it has "
                                + lab.clientGlobalAddresses());
                RaLab.await(() -> lab.clientDefaultRoute().contains("via " + routerLinkLocal + " dev " + CLIENT),
                        10_000, "a default route via " + routerLinkLocal);
                assertTrue(lab.clientDefaultRoute().contains("proto ra"), lab.clientDefaultRoute());
                assertEquals("1400", lab.clientSysctl("mtu"), "the MTU option sets the link's IPv6 MTU");

                // Unsolicited advertisements keep coming, between MinRtrAdvInterval (3 s) and MaxRtrAdvInterval (4 s).
                Ra second = capture.await(ra -> ra.one("dst").equals(ALL_NODES), 6000, "a second multicast");
                Ra third = capture.await(ra -> ra.one("dst").equals(ALL_NODES), 6000, "a third multicast");
                double interval = Double.parseDouble(third.one("t")) - Double.parseDouble(second.one("t"));
                assertTrue(interval > 2.8 && interval < 4.5, "interval " + interval + " s");
                RaLab.await(() -> advertiser.stats().multicastAdvertisements() >= 3, 1000,
                        "three multicasts counted: " + advertiser.stats());
                assertEquals(0, advertiser.stats().sendErrors(), advertiser.stats().toString());
            } finally {
                advertiser.stop();
            }

            Ra last = capture.await(ra -> ra.integer("routerlifetime") == 0, 3000, "the final advertisement");
            assertEquals(ALL_NODES, last.one("dst"));
            assertPref64(last.one("pref64"), "2001:db8:64::/96", 0);
            assertEquals("0;2001:db8:1::53", last.one("rdnss"));
            assertEquals("2001:db8:1::/64;L=1;A=1;valid=86400;preferred=14400", last.one("pio"));
            RaLab.await(() -> lab.clientDefaultRoute().isEmpty(), 3000, "the client to drop its default route: "
                    + lab.clientDefaultRoute());

            assertFalse(advertiser.isRunning());
            assertFalse(Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(t -> t.getName().startsWith("xlatbox-ra-")), "no advertiser thread is left");
            assertEquals(socketsBefore, openFds("socket:"), "sockets open before and after");
            assertEquals(eventFdsBefore, openFds("anon_inode:[eventfd]"), "eventfds open before and after");
            advertiser.stop(); // idempotent
            assertThrows(IllegalStateException.class, () -> advertiser.apply(config().build()));
        }
    }

    @Test
    void everySolicitationIsAnsweredAndMalformedOnesAreCountedAndDropped() throws Exception {
        try (RaLab lab = RaLab.create(); Capture capture = lab.capture(60);
                RouterAdvertiser advertiser = RouterAdvertiser.start(lab.router.name, config().build())) {
            capture.await(ra -> ra.one("dst").equals(ALL_NODES), 5000, "the first multicast advertisement");
            String client = lab.clientLinkLocal();
            long unicastBefore = advertiser.stats().unicastAdvertisements();

            // Answered by unicast to the soliciting host within MAX_RA_DELAY_TIME (the next periodic one is 16 s away).
            lab.solicit("valid");
            Ra answer = capture.await(ra -> ra.one("dst").equals(client), 3000, "a solicited advertisement");
            assertEquals(lab.routerLinkLocal(), answer.one("src"));
            assertEquals(255, answer.integer("hoplimit"));
            assertPref64(answer.one("pref64"), "2001:db8:64::/96", 600);
            RaLab.await(() -> advertiser.stats().unicastAdvertisements() > unicastBefore, 1000,
                    "the answer counted: " + advertiser.stats());
            assertTrue(advertiser.stats().solicitationsReceived() >= 1, advertiser.stats().toString());

            for (String kind : List.of("hoplimit", "code", "short", "zerooption", "overrun")) {
                lab.solicit(kind);
            }
            RaLab.await(() -> advertiser.stats().solicitationsDroppedTotal() == 5, 3000,
                    "five dropped solicitations: " + advertiser.stats());
            Map<Drop, Long> dropped = advertiser.stats().solicitationsDropped();
            assertEquals(1, dropped.get(Drop.HOP_LIMIT), dropped.toString());
            assertEquals(1, dropped.get(Drop.CODE), dropped.toString());
            assertEquals(1, dropped.get(Drop.TOO_SHORT), dropped.toString());
            assertEquals(2, dropped.get(Drop.BAD_OPTION), dropped.toString());
            assertTrue(advertiser.isRunning());

            // ... and the service keeps answering.
            long unicast = advertiser.stats().unicastAdvertisements();
            lab.solicit("valid");
            capture.await(ra -> ra.one("dst").equals(client), 3000, "an advertisement after the malformed ones");
            RaLab.await(() -> advertiser.stats().unicastAdvertisements() > unicast, 1000,
                    "the answer counted: " + advertiser.stats());
            assertEquals(5, advertiser.stats().solicitationsDroppedTotal());
            assertEquals(0, advertiser.stats().sendErrors(), advertiser.stats().toString());

            assertThrows(IllegalArgumentException.class,
                    () -> advertiser.apply(config().interfaceName("lan1").build()));
        }
    }

    @Test
    void applyAdvertisesTheNewConfigurationAtOnceAndWithdrawsTheOldValues() throws Exception {
        try (RaLab lab = RaLab.create(); Capture capture = lab.capture(60);
                RouterAdvertiser advertiser = RouterAdvertiser.start(lab.router.name,
                        config().pref64("64:ff9b::/96").build())) {
            Ra first = capture.await(ra -> ra.one("dst").equals(ALL_NODES), 5000, "the first multicast");
            assertPref64(first.one("pref64"), "64:ff9b::/96", 600);

            RaConfig changed = config().rdnssAddresses(List.of("2001:db8:1::54")).build(); // pref64 2001:db8:64::/96
            long applied = System.nanoTime();
            advertiser.apply(changed);
            Ra next = capture.await(ra -> ra.one("dst").equals(ALL_NODES), 3000, "an advertisement after apply");
            assertTrue(System.nanoTime() - applied < 1_500_000_000L, "at once, not at the next periodic one (16 s)");
            List<String> pref64 = next.all("pref64");
            assertEquals(2, pref64.size(), next.line());
            assertPref64(pref64.get(0), "2001:db8:64::/96", 600);
            assertPref64(pref64.get(1), "64:ff9b::/96", 0);
            assertEquals(List.of("300;2001:db8:1::54", "0;2001:db8:1::53"), next.all("rdnss"));
            assertEquals(changed, advertiser.config());

            // The client may hear an advertisement a moment before sendmsg returns and the advertiser counts it.
            RaLab.await(() -> advertiser.stats().multicastAdvertisements() == 2, 1000, "two multicasts counted: "
                    + advertiser.stats());
            long multicast = advertiser.stats().multicastAdvertisements();
            advertiser.apply(config().rdnssAddresses(List.of("2001:db8:1::54")).build()); // equal: nothing to send
            Thread.sleep(700);
            assertEquals(multicast, advertiser.stats().multicastAdvertisements());
        }
    }

    @Test
    void aMissingInterfaceOrNamespaceIsAClearErrorAndLeavesNothingOpen() throws Exception {
        try (RaLab lab = RaLab.create()) {
            RouterAdvertiser.start(lab.router.name, config().build()).stop(); // loads everything once
            long before = openFds("");
            IOException e = assertThrows(IOException.class,
                    () -> RouterAdvertiser.start(lab.router.name, config().interfaceName("nope0").build()));
            assertTrue(e.getMessage().contains("no interface nope0 in network namespace " + lab.router.name),
                    e.getMessage());
            e = assertThrows(IOException.class, () -> RouterAdvertiser.start("xt-absent-namespace", config().build()));
            assertTrue(e.getMessage().contains("xt-absent-namespace"), e.getMessage());
            assertEquals(before, openFds(""));
        }
    }

    private static void assertPref64(String option, String prefix, int lifetime) {
        Matcher m = Pattern.compile("(.+);lifetime=(\\d+)").matcher(option);
        assertTrue(m.matches(), option);
        assertEquals(Rfc6052Prefix.parse(prefix), Rfc6052Prefix.parse(m.group(1)), option);
        assertEquals(lifetime, Integer.parseInt(m.group(2)), option);
    }

    private static boolean inLanPrefix(String address) {
        if (!address.endsWith("/64")) {
            return false;
        }
        return Ipv6Address.parse(address.substring(0, address.length() - 3))[0]
                == Ipv6Address.parse("2001:db8:1::")[0];
    }

    private static String routerMac(RaLab lab) {
        Matcher m = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(lab.router.ip("link", "show", "dev", LAN));
        assertTrue(m.find());
        return m.group(1);
    }

    /** Descriptors of this JVM whose target starts with {@code prefix} (all with ""). */
    private static long openFds(String prefix) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(p -> {
                try {
                    return Files.readSymbolicLink(p).toString().startsWith(prefix);
                } catch (IOException e) {
                    return false; // the descriptor of the listing itself, closed meanwhile
                }
            }).count();
        }
    }
}
