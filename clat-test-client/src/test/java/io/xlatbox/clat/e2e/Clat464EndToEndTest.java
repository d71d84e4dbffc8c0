package io.xlatbox.clat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.clat.Clat;
import io.xlatbox.clat.ClatConfig;
import io.xlatbox.clat.check.CheckOptions;
import io.xlatbox.clat.check.CheckResult;
import io.xlatbox.clat.check.CheckSuite;
import io.xlatbox.clat.check.Report;
import io.xlatbox.clat.discovery.PlatPrefix;
import io.xlatbox.clat.lab.ChecksumSniffer;
import io.xlatbox.clat.lab.ClatLab;
import io.xlatbox.clat.lab.LabDns;
import io.xlatbox.clat.lab.LabDns64;
import io.xlatbox.clat.lab.RaSender;
import io.xlatbox.engine.tun.RootRequirement;
import io.xlatbox.engine.Engine;
import io.xlatbox.engine.addr.Ipv6Address;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 464XLAT end to end in the namespace lab, with the CLAT in-process: client (IPv6 only) running our CLAT → router
 * running our NAT64 engine (64:ff9b::/96, pool4 192.0.2.0/24) and our DNS64 → IPv4-only server. The CLAT learns the
 * prefix through the DNS64 (RFC 7050); the whole check suite passes, including a 100 MB transfer verified byte for
 * byte and TTL expiry through both translators; every checksum on the way stays valid; and a PREF64 in a router
 * advertisement takes over from RFC 7050 and, withdrawn, hands back to it.
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Clat464EndToEndTest {
    private ClatLab lab;
    private Engine engine;
    private LabDns dns;
    private LabDns64 dns64;
    private Clat clat;
    private Path statusDir;

    @BeforeAll
    void up() throws Exception {
        statusDir = Files.createTempDirectory("clat-status-");
        lab = ClatLab.up("--big-mb", "100");
        try {
            engine = lab.startEngine("64:ff9b::/96");
            dns = LabDns.start(lab.server, ClatLab.SERVER4, ClatLab.SERVER_DNS_PORT);
            dns64 = LabDns64.start(lab, "64:ff9b::/96");
            clat = Clat.start(ClatConfig.builder().namespace(lab.client).addDns(ClatLab.ROUTER6)
                    .raWait(Duration.ofMillis(300)).statusDir(statusDir).build());
        } catch (Exception | Error e) {
            down();
            throw e;
        }
    }

    @AfterAll
    void down() {
        List<Runnable> steps = List.of(
                () -> { if (clat != null) clat.stop(); },
                () -> { if (dns64 != null) dns64.close(); },
                () -> { if (dns != null) dns.close(); },
                () -> { if (engine != null) engine.stop(); },
                () -> { if (lab != null) lab.close(); },
                () -> deleteTree(statusDir));
        for (Runnable r : steps) {
            try {
                r.run();
            } catch (RuntimeException e) {
                System.err.println("teardown: " + e);
            }
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException e) {
            System.err.println("teardown: " + e);
        }
    }

    private CheckOptions.Builder options() {
        return CheckOptions.builder().namespace(lab.client).name(ClatLab.SERVER_NAME).addDns64(ClatLab.ROUTER6)
                .dns4(ClatLab.SERVER_DNS).statusDir(statusDir).bulkTimeout(Duration.ofSeconds(90));
    }

    @Test
    @Order(1)
    void theClatDiscoversTheWellKnownPrefixThroughOurDns64() {
        PlatPrefix p = clat.prefix();
        assertEquals(Rfc6052Prefix.WELL_KNOWN, p.prefix());
        assertEquals(PlatPrefix.Source.RFC7050, p.source());
        assertTrue(p.detail().contains(ClatLab.ROUTER6), p.detail());
    }

    @Test
    @Order(2)
    void theClatHasItsOwnAddressesAndRoutes() throws Exception {
        assertTrue(clat.ipv6().startsWith("2001:db8:1:"), clat.ipv6());
        assertNotEquals(ClatLab.CLIENT6, clat.ipv6(), "a dedicated CLAT address, not the host's");
        assertEquals(1472, clat.ipv4Mtu(), "IPv6 path MTU 1500 - 28");
        ClatLab.Result route = lab.exec(lab.client, Duration.ofSeconds(5), "ip", "-4", "route", "show", "default");
        assertTrue(route.stdout().contains("dev clat") && route.stdout().contains("mtu 1472"), route.toString());
        ClatLab.Result addr = lab.exec(lab.client, Duration.ofSeconds(5), "ip", "-4", "addr", "show", "dev", "clat");
        assertTrue(addr.stdout().contains("192.0.0.2/29"), addr.toString());
        ClatLab.Result proxy = lab.exec(lab.client, Duration.ofSeconds(5), "ip", "-6", "neigh", "show", "proxy");
        long[] v6 = Ipv6Address.parse(clat.ipv6());
        assertTrue(proxy.stdout().contains(Ipv6Address.format(v6[0], v6[1])), "proxy-ND entry: " + proxy);
        assertTrue(Files.exists(statusDir.resolve(lab.client + ".json")), "status file");
    }

    /** The whole suite, with the 100 MB transfer, and no checksum error counted by any kernel on the way. */
    @Test
    @Order(3)
    void theWholeCheckSuitePasses() throws Exception {
        Map<String, Long> errorsBefore = checksumErrors();
        Report r = CheckSuite.run(options().build());
        System.out.println(r.table());
        List<String> failed = new ArrayList<>();
        for (CheckResult c : r.results()) {
            if (c.status() != CheckResult.Status.PASS) {
                failed.add(c.id() + " " + c.status() + ": " + c.result() + " / " + c.cause());
            }
        }
        assertTrue(failed.isEmpty(), "every check passes (none skipped either): " + failed + "\n" + r.table());
        assertEquals(13, r.results().size());
        Map<String, Object> bulk = r.result("bulk4").data();
        assertTrue(((Number) bulk.get("bytes")).longValue() >= 100L * 1024 * 1024, "at least 100 MB: " + bulk);
        assertEquals(bulk.get("expectedSha256"), bulk.get("sha256"), "verified byte for byte (SHA-256)");
        assertTrue(r.result("ttl4-icmp").result().contains(ClatLab.ROUTER4), "the IPv4 router's Time Exceeded: "
                + r.result("ttl4-icmp").result());
        assertTrue(r.result("ttl4-udp").result().contains(ClatLab.ROUTER4), r.result("ttl4-udp").result());
        assertEquals(Boolean.TRUE, r.result("dns64").data().get("underPlat"));
        assertEquals(errorsBefore, checksumErrors(), "InCsumErrors (IPv4, TCP, UDP, ICMP, UDP6, ICMP6) unchanged");
    }

    private Map<String, Long> checksumErrors() throws Exception {
        return Map.of("client", lab.checksumErrors(lab.client), "router", lab.checksumErrors(lab.router),
                "server", lab.checksumErrors(lab.server));
    }

    /**
     * Captures in all three namespaces while traffic of every kind crosses the CLAT and the NAT64 (TCP with an 8 MB
     * transfer, UDP, ICMP echo, ICMP errors from TTL expiry, DNS), and checks every checksum of every packet the
     * translators emitted.
     */
    @Test
    @Order(4)
    void everyChecksumStaysValidThroughBothTranslators() throws Exception {
        Path www = lab.state.resolve("www");
        byte[] mid = new byte[8 << 20];
        new java.util.Random(6877).nextBytes(mid);
        Files.write(www.resolve("mid.bin"), mid);
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(mid));
        Files.writeString(www.resolve("mid.bin.sha256"), sha + "  mid.bin\n");
        List<ChecksumSniffer> sniffers = new ArrayList<>();
        try {
            for (String ns : List.of(lab.client, lab.router, lab.server)) {
                sniffers.add(ChecksumSniffer.start(lab, ns));
            }
            Report r = CheckSuite.run(options().bulkPath("/mid.bin").only("tcp4", "udp4", "icmp4", "ttl4-icmp",
                    "ttl4-udp", "dns4", "bulk4", "tcp6", "udp6", "icmp6", "dns64").build());
            assertTrue(r.passed(), r.table());
            List<ChecksumSniffer.Verdict> verdicts = new ArrayList<>();
            for (ChecksumSniffer s : sniffers) {
                verdicts.add(s.stop());
            }
            for (ChecksumSniffer.Verdict v : verdicts) {
                System.out.println("checksums in " + v.namespace() + ": " + v.judged() + " packets judged, " + v.bad()
                        + " bad, " + v.skipped() + " not ready (local offload): " + v.counts());
                assertEquals(0, v.bad(), "bad checksums in " + v.namespace() + ":\n" + v.output());
            }
            ChecksumSniffer.Verdict client = verdicts.get(0);
            ChecksumSniffer.Verdict router = verdicts.get(1);
            ChecksumSniffer.Verdict server = verdicts.get(2);
            // (More than 50 TCP packets: with a TUN that takes GSO super-packets, 8 MB is only a few hundred.)
            // What the CLAT wrote: IPv4 to the host (TCP, UDP, ICMP incl. translated errors) ...
            assertTrue(client.count("clat/ipv4/tcp") > 50, client.counts().toString());
            assertTrue(client.count("clat/ipv4/udp") > 0 && client.count("clat/ipv4/icmp") > 0, client.counts().toString());
            // ... and IPv6 to the network, as the router received it.
            assertTrue(router.count("rc/ipv6/tcp") > 0 && router.count("rc/ipv6/icmp6") > 0, router.counts().toString());
            // What the NAT64 wrote: IPv4 to the server, IPv6 to the client.
            assertTrue(server.count("s0/ipv4/tcp") > 0 && server.count("s0/ipv4/udp") > 0
                    && server.count("s0/ipv4/icmp") > 0, server.counts().toString());
            assertTrue(client.count("c0/ipv6/tcp") > 50 && client.count("c0/ipv6/icmp6") > 0,
                    client.counts().toString());
        } finally {
            sniffers.forEach(ChecksumSniffer::close);
        }
    }

    /**
     * RFC 8781 preferred over RFC 7050: a PREF64 appears (for a prefix no NAT64 serves, so traffic must stop), is
     * withdrawn (lifetime 0), and the CLAT returns to the DNS64's prefix and traffic works again.
     */
    @Test
    @Order(5)
    void aPref64TakesOverAndWithdrawnHandsBackToRfc7050() throws Exception {
        Rfc6052Prefix ra = Rfc6052Prefix.parse("2001:db8:46::/96");
        try (RaSender sender = RaSender.start(lab.router, "rc", ra, 600, Duration.ofSeconds(30))) {
            ClatLab.waitUntil(Duration.ofSeconds(5), "the CLAT to take the PREF64 prefix",
                    () -> clat.prefix().prefix().equals(ra));
            assertEquals(PlatPrefix.Source.PREF64, clat.prefix().source());
            assertTrue(clat.prefix().detail().contains("fe80::"), clat.prefix().detail());
            ClatLab.Result r = lab.exec(lab.client, Duration.ofSeconds(10), "curl", "-sS", "-m", "2",
                    "http://" + ClatLab.SERVER4 + "/");
            assertNotEquals(0, r.exit(), "nothing serves " + ra + ", so IPv4 must not get through: " + r);
            sender.advertise(ra, 0);
            ClatLab.waitUntil(Duration.ofSeconds(10), "the CLAT to fall back to RFC 7050",
                    () -> clat.prefix().prefix().equals(Rfc6052Prefix.WELL_KNOWN));
            assertEquals(PlatPrefix.Source.RFC7050, clat.prefix().source());
            r = lab.exec(lab.client, Duration.ofSeconds(10), "curl", "-sS", "-m", "5", "http://" + ClatLab.SERVER4 + "/");
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.stdout().contains("IPv4-only server"), r.toString());
        }
    }
}
