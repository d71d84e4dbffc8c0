package io.xlatbox.clat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.clat.cli.ClatMain;
import io.xlatbox.clat.lab.ClatLab;
import io.xlatbox.clat.lab.LabDns;
import io.xlatbox.clat.lab.LabDns64;
import io.xlatbox.clat.lab.RaSender;
import io.xlatbox.engine.tun.RootRequirement;
import io.xlatbox.clat.util.Json;
import io.xlatbox.engine.Engine;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * The command line in the lab, each command its own JVM as a user would run it: {@code run} discovers a
 * network-specific prefix (2001:db8:64::/96: the NAT64 engine and the DNS64 both use it) and {@code check} passes;
 * with the NAT64 stopped, {@code check} says so quickly; SIGTERM removes everything; without a DNS64 (no answer, or
 * a resolver that does not synthesize) {@code run} finds no prefix and exits 3; native IPv4 keeps it off (exit 4)
 * unless --force; and a PREF64 from a router advertisement wins over the DNS64.
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClatCliEndToEndTest {
    static final String NSP = "2001:db8:64::/96";
    static final String MAIN = ClatMain.class.getName();

    private ClatLab lab;
    private Engine engine;
    private LabDns dns;
    private LabDns plainResolver;
    private LabDns64 dns64;
    private Path dir;
    private ClatLab.Background run;

    @BeforeAll
    void up() throws Exception {
        dir = Files.createTempDirectory("clat-cli-");
        lab = ClatLab.up("--big-mb", "8");
        try {
            engine = lab.startEngine(NSP);
            dns = LabDns.start(lab.server, ClatLab.SERVER4, ClatLab.SERVER_DNS_PORT);
            // A resolver that is not a DNS64, next to the DNS64, on port 5353.
            plainResolver = LabDns.start(lab.router, ClatLab.ROUTER6, 5353);
            dns64 = LabDns64.start(lab, NSP);
        } catch (Exception | Error e) {
            down();
            throw e;
        }
    }

    @AfterAll
    void down() {
        List<Runnable> steps = List.of(
                () -> { if (run != null) run.close(); },
                () -> { if (dns64 != null) dns64.close(); },
                () -> { if (plainResolver != null) plainResolver.close(); },
                () -> { if (dns != null) dns.close(); },
                () -> { if (engine != null) engine.stop(); },
                () -> { if (lab != null) lab.close(); },
                () -> Clat464EndToEndTest.deleteTree(dir));
        for (Runnable r : steps) {
            try {
                r.run();
            } catch (RuntimeException e) {
                System.err.println("teardown: " + e);
            }
        }
    }

    private String[] args(String command, String... extra) {
        List<String> a = new ArrayList<>(List.of(command, "--netns", lab.client, "--status-dir", dir.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private ClatLab.Background startRun(String... extra) throws Exception {
        List<String> a = new ArrayList<>(List.of("--ra-wait", "300"));
        a.addAll(List.of(extra));
        return lab.spawnJava(null, MAIN, args("run", a.toArray(String[]::new)));
    }

    private Map<String, Map<String, Object>> checksById(Path json) throws Exception {
        Map<String, Object> report = Json.object(Json.parse(Files.readString(json)));
        Map<String, Map<String, Object>> byId = new LinkedHashMap<>();
        for (Object o : Json.array(report.get("checks"))) {
            Map<String, Object> c = Json.object(o);
            byId.put((String) c.get("id"), c);
        }
        return byId;
    }

    private ClatLab.Result curl() throws Exception {
        return lab.exec(lab.client, Duration.ofSeconds(10), "curl", "-sS", "-m", "5", "http://" + ClatLab.SERVER4 + "/");
    }

    @Test
    @Order(1)
    void runDiscoversTheNetworkSpecificPrefixAndCheckPasses() throws Exception {
        run = startRun("--dns", ClatLab.ROUTER6);
        String line = run.awaitLine(l -> l.startsWith("CLAT running"), Duration.ofSeconds(30), "the CLAT to start");
        assertTrue(line.contains(NSP) && line.contains("RFC 7050"), line);
        Path json = dir.resolve("check.json");
        ClatLab.Result r = lab.java(null, Duration.ofSeconds(150), MAIN, args("check", "--name", ClatLab.SERVER_NAME,
                "--dns", ClatLab.ROUTER6, "--dns4", ClatLab.SERVER_DNS, "--json", json.toString()));
        System.out.println(r.stdout());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.stdout().contains("13 passed, 0 failed, 0 skipped"), r.stdout());
        Map<String, Map<String, Object>> checks = checksById(json);
        assertEquals(13, checks.size());
        for (Map<String, Object> c : checks.values()) {
            assertEquals("pass", c.get("status"), c.toString());
        }
        assertEquals(NSP, Json.object(checks.get("plat").get("data")).get("prefix"));
        assertTrue(Json.array(Json.object(checks.get("dns64").get("data")).get("aaaa")).get(0).toString()
                .startsWith("2001:db8:64::"), checks.get("dns64").toString());
    }

    @Test
    @Order(2)
    void aStoppedNat64IsReportedClearlyAndCheckDoesNotHang() throws Exception {
        engine.stop();
        try {
            Path json = dir.resolve("down.json");
            long t0 = System.nanoTime();
            ClatLab.Result r = lab.java(null, Duration.ofSeconds(90), MAIN, args("check", "--name",
                    ClatLab.SERVER_NAME, "--dns", ClatLab.ROUTER6, "--timeout", "3000", "--json", json.toString(),
                    "--only", "path,tcp4,udp4,icmp4,ttl4-icmp,bulk4,tcp6"));
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            System.out.println(r.stdout());
            assertEquals(1, r.exit(), "a failed check means exit 1: " + r);
            assertTrue(seconds < 45, "the checks time out instead of hanging: " + seconds + " s");
            Map<String, Map<String, Object>> checks = checksById(json);
            assertEquals("pass", checks.get("path").get("status"), "the CLAT itself is fine");
            for (String id : List.of("tcp4", "udp4", "icmp4", "ttl4-icmp", "bulk4", "tcp6")) {
                Map<String, Object> c = checks.get(id);
                assertEquals("fail", c.get("status"), c.toString());
                String cause = String.valueOf(c.get("cause"));
                assertTrue(cause.contains("NAT64 down"), id + " names the likely cause: " + cause);
                assertTrue(cause.contains("2001:db8:64::c633:6402"), id + " says where it stopped: " + cause);
            }
            String tcp = String.valueOf(checks.get("tcp4").get("cause"));
            assertTrue(tcp.contains("CLAT clat during the check") && tcp.contains("out as IPv6"), tcp);
            assertTrue(r.stdout().contains("FAIL   tcp4"), r.stdout());
        } finally {
            engine = lab.startEngine(NSP);
        }
        ClatLab.waitUntil(Duration.ofSeconds(10), "traffic through the restarted NAT64", () -> {
            try {
                return curl().ok();
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    @Order(3)
    void sigtermStopsTheClatAndLeavesNothingBehind() throws Exception {
        run.terminate();
        assertTrue(run.waitFor(Duration.ofSeconds(20)), "run exits on SIGTERM");
        assertTrue(run.exitValue() == 143 || run.exitValue() == 0, "exit " + run.exitValue());
        assertTrue(run.stdout().contains("CLAT stopped"), run.describe());
        assertNothingLeft();
    }

    private void assertNothingLeft() throws Exception {
        Duration t = Duration.ofSeconds(5);
        assertFalse(lab.exec(lab.client, t, "ip", "link", "show", "dev", "clat").ok(), "the TUN is gone");
        assertEquals("", lab.exec(lab.client, t, "ip", "-4", "route", "show", "default").stdout().trim());
        assertEquals(List.of(), lab.exec(lab.client, t, "ip", "-4", "-o", "addr", "show").stdout().lines()
                .filter(l -> !l.contains(" lo ")).toList(), "no IPv4 address left");
        assertEquals("", lab.exec(lab.client, t, "ip", "-6", "neigh", "show", "proxy").stdout().trim());
        assertEquals("0", lab.exec(lab.client, t, "sysctl", "-n", "net.ipv6.conf.all.forwarding").stdout().trim());
        assertEquals("0", lab.exec(lab.client, t, "sysctl", "-n", "net.ipv6.conf.c0.proxy_ndp").stdout().trim());
        assertEquals("1", lab.exec(lab.client, t, "sysctl", "-n", "net.ipv6.conf.c0.accept_ra").stdout().trim());
        assertFalse(Files.exists(dir.resolve(lab.client + ".json")), "the status file is removed");
    }

    @Test
    @Order(4)
    void withoutADns64NoPrefixIsFoundAndRunExitsClearly() throws Exception {
        dns64.close();
        dns64 = null;
        try {
            ClatLab.Result r = lab.java(null, Duration.ofSeconds(30), MAIN, args("run", "--dns", ClatLab.ROUTER6,
                    "--ra-wait", "200"));
            assertEquals(3, r.exit(), r.toString());
            // The DNS64's port is closed: the router says so (ICMPv6 port unreachable), and that is what we report.
            assertTrue(r.stderr().contains("no NAT64 prefix found") && r.stderr().contains("2001:db8:1::1: ICMP port "
                    + "unreachable, no DNS server listens there") && r.stderr().contains("no router advertisement "
                    + "with a PREF64"), r.stderr());
            assertTrue(r.millis() < 15_000, "gives up in seconds: " + r.millis() + " ms");
            // A resolver that answers, but does not synthesize: NODATA for AAAA ipv4only.arpa.
            r = lab.java(null, Duration.ofSeconds(30), MAIN, args("run", "--dns", "[" + ClatLab.ROUTER6 + "]:5353",
                    "--ra-wait", "200"));
            assertEquals(3, r.exit(), r.toString());
            assertTrue(r.stderr().contains("NODATA") && r.stderr().contains("no DNS64"), r.stderr());
            r = lab.java(null, Duration.ofSeconds(30), MAIN, "discover", "--netns", lab.client, "--dns",
                    ClatLab.ROUTER6, "--ra-wait", "200");
            assertEquals(3, r.exit(), r.toString());
            assertNothingLeft();
        } finally {
            // From here on the DNS64 synthesizes with the Well-Known Prefix, which the NAT64 does not serve.
            dns64 = LabDns64.start(lab, "64:ff9b::/96");
        }
    }

    @Test
    @Order(5)
    void nativeIpv4KeepsTheClatOffUnlessForced() throws Exception {
        Duration t = Duration.ofSeconds(5);
        // An IPv4 uplink (a veth pair inside the namespace: not every kernel has the dummy driver).
        lab.exec(lab.client, t, "ip", "link", "add", "wan4", "type", "veth", "peer", "name", "wan4p");
        try {
            lab.exec(lab.client, t, "ip", "addr", "add", "10.99.0.2/24", "dev", "wan4");
            lab.exec(lab.client, t, "ip", "link", "set", "wan4p", "up");
            lab.exec(lab.client, t, "ip", "link", "set", "wan4", "up");
            assertTrue(lab.exec(lab.client, t, "ip", "route", "add", "default", "via", "10.99.0.1").ok());
            ClatLab.Result r = lab.java(null, Duration.ofSeconds(30), MAIN, args("run", "--prefix", NSP));
            assertEquals(4, r.exit(), r.toString());
            assertTrue(r.stderr().contains("native IPv4") && r.stderr().contains("10.99.0.1")
                    && r.stderr().contains("--force"), r.stderr());
            assertFalse(lab.exec(lab.client, t, "ip", "link", "show", "dev", "clat").ok());

            ClatLab.Background forced = startRun("--prefix", NSP, "--force");
            try {
                forced.awaitLine(l -> l.startsWith("CLAT running"), Duration.ofSeconds(30), "the forced CLAT");
                String routes = lab.exec(lab.client, t, "ip", "-4", "route", "show", "default").stdout();
                assertTrue(routes.startsWith("default dev clat"), "the CLAT's route comes first: " + routes);
                assertTrue(curl().ok(), "IPv4 goes through the CLAT");
            } finally {
                forced.terminate();
                forced.waitFor(Duration.ofSeconds(20));
            }
            String routes = lab.exec(lab.client, t, "ip", "-4", "route", "show", "default").stdout().trim();
            assertEquals("default via 10.99.0.1 dev wan4", routes, "the native route is untouched");
        } finally {
            lab.exec(lab.client, t, "ip", "link", "del", "wan4");
        }
    }

    @Test
    @Order(6)
    void aPref64FromARouterAdvertisementWinsOverTheDns64() throws Exception {
        // The DNS64 now says 64:ff9b::/96, which nothing serves; the router advertises 2001:db8:64::/96, which the
        // NAT64 serves: IPv4 gets through only if the CLAT prefers the PREF64.
        RaSender ra = RaSender.start(lab.router, "rc", Rfc6052Prefix.parse(NSP), 1800, Duration.ofSeconds(1));
        try {
            ClatLab.Background clat = startRun("--dns", ClatLab.ROUTER6, "--ra-wait", "3000");
            try {
                String line = clat.awaitLine(l -> l.startsWith("CLAT running"), Duration.ofSeconds(30), "the CLAT");
                assertTrue(line.contains(NSP) && line.contains("PREF64"), line);
                Map<String, Object> status = Json.object(Json.parse(Files.readString(dir.resolve(lab.client + ".json"))));
                assertEquals("pref64", status.get("prefixSource"));
                ClatLab.Result r = curl();
                assertEquals(0, r.exit(), r.toString());
                assertTrue(r.stdout().contains("IPv4-only server"), r.toString());
                // check agrees: the DNS64 and the CLAT disagree, and it says so.
                ClatLab.Result c = lab.java(null, Duration.ofSeconds(30), MAIN, args("check", "--dns", ClatLab.ROUTER6,
                        "--only", "plat,tcp4"));
                assertEquals(1, c.exit(), c.toString());
                assertTrue(c.stdout().contains("pass   tcp4") && c.stdout().contains("FAIL   plat")
                        && c.stdout().contains("the DNS64 synthesizes with 64:ff9b::/96"), c.stdout());
            } finally {
                clat.terminate();
                clat.waitFor(Duration.ofSeconds(20));
            }
        } finally {
            ra.close();
        }
        assertNothingLeft();
    }
}
