package io.xlatbox.engine.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.Engine;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.L4Protocol;
import io.xlatbox.engine.TableViews;
import io.xlatbox.engine.addr.Pool4Entry;
import io.xlatbox.engine.addr.StaticBibEntry;
import io.xlatbox.engine.tun.RootRequirement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The NAT64 state seen from outside: static BIB entries (IPv4-initiated TCP, hairpinning), the per-host and pool4
 * limits, live configuration changes, and the engine's stop/start cycle. One lab with three client hosts
 * (2001:db8:1::2, ::3, ::4) for the class; each test starts an engine with the configuration it needs (and so
 * fresh tables) and stops it before it ends.
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndToEndStateTest {
    private static final Duration SHORT = Duration.ofSeconds(20);

    private Lab lab;

    @BeforeAll
    void up() throws Exception {
        lab = Lab.up("--hosts", "3", "--big-mb", "50");
    }

    @AfterAll
    void down() {
        if (lab != null) {
            lab.close();
        }
    }

    @FunctionalInterface
    interface WithEngine {
        void run(Engine engine) throws Exception;
    }

    /** Runs {@code body} with an engine of configuration {@code config}; stops the engine whatever happens. */
    private void withEngine(EngineConfig config, WithEngine body) throws Exception {
        Engine engine = lab.startEngine(config);
        try {
            body.run(engine);
            assertTrue(engine.healthy(), "engine workers still running");
        } finally {
            engine.stop();
        }
    }

    /** 6. An IPv4 host connects to 192.0.2.1:8080 and reaches a TCP service on the IPv6 client via a static BIB. */
    @Test
    void ipv4InitiatedConnectionThroughStaticBib() throws Exception {
        EngineConfig config = Lab.baseConfig()
                .addStaticBib(StaticBibEntry.parse("tcp", Lab.CLIENT6, 8080, "192.0.2.1", 8080)).build();
        withEngine(config, engine -> {
            try (Lab.Background listener = lab.spawnPython(lab.client, Py.TCP_LINE_SERVER, "8080")) {
                listener.awaitLine("LISTENING"::equals, SHORT, "the TCP listener on [::]:8080");
                Lab.Result r = lab.python(lab.server, SHORT, Py.TCP_LINE_CLIENT, "192.0.2.1", "8080");
                assertEquals(0, r.exit(), r.toString());
                // The IPv6 service sees the IPv4 client behind pool6: 64:ff9b::198.51.100.2.
                assertEquals("LINE hello from the IPv6 client, you are " + Lab.SERVER6, r.stdout().trim(),
                        r + "\n" + listener.describe());
            }
        });
    }

    /**
     * 7. Hairpinning (RFC 6146 §3.8): host ::3 reaches host ::2's UDP echo at its pool4 address 192.0.2.1:9000
     * (static BIB), as 64:ff9b::192.0.2.1; both directions turn around inside the translator.
     */
    @Test
    void hairpinningBetweenTwoIpv6Hosts() throws Exception {
        EngineConfig config = Lab.baseConfig()
                .addStaticBib(StaticBibEntry.parse("udp", Lab.CLIENT6, 9000, "192.0.2.1", 9000)).build();
        withEngine(config, engine -> {
            try (Lab.Background echo = lab.spawnPython(lab.client, Py.UDP_ECHO_SERVER, Lab.CLIENT6, "9000");
                    UdpFlows flows = new UdpFlows(lab, "64:ff9b::192.0.2.1", 9000)) {
                echo.awaitLine("READY"::equals, SHORT, "the UDP echo on [2001:db8:1::2]:9000");
                long hairpinned = Lab.counter(engine, Counter.HAIRPINNED);
                List<UdpFlows.Flow> f = flows.open(Lab.CLIENT6_B, 1);
                assertEquals(1, f.size(), flows.describe());
                assertTrue(f.get(0).ok(), "echo through the hairpin: " + f + "\n" + echo.describe());
                // The echo server sees ::3 as its pool4 address behind pool6 (64:ff9b::192.0.2.x).
                String from = echo.awaitLine(l -> l.startsWith("FROM "), SHORT, "the echo server's log");
                assertTrue(from.startsWith("FROM 64:ff9b::c000:2"), from);
                assertTrue(from.endsWith(" " + sessionOf(engine, Lab.CLIENT6_B, f.get(0).sourcePort()).ipv4Port()),
                        "source port is ::3's pool4 port: " + from);
                long delta = Lab.counter(engine, Counter.HAIRPINNED) - hairpinned;
                assertTrue(delta >= 2, "request and answer both hairpinned: HAIRPINNED grew by " + delta);
            }
        });
    }

    /**
     * 8. maxSessionsPerHost 20: host ::2 gets 20 UDP flows answered; its 21st is refused with an ICMPv6
     * Destination Unreachable (administratively prohibited: EACCES on the connected socket) and counted as
     * DROP_HOST_LIMIT; host ::3 still gets through.
     */
    @Test
    void perHostSessionLimit() throws Exception {
        EngineConfig config = Lab.baseConfig().maxSessionsPerHost(20).build();
        withEngine(config, engine -> {
            try (UdpFlows flows = new UdpFlows(lab, Lab.SERVER6, 7)) {
                List<UdpFlows.Flow> first = flows.open(Lab.CLIENT6, 20);
                assertEquals(20, first.stream().filter(UdpFlows.Flow::ok).count(), "20 flows of ::2: " + first);
                long limited = Lab.counter(engine, Counter.DROP_HOST_LIMIT);
                UdpFlows.Flow extra = flows.open(Lab.CLIENT6, 1).get(0);
                assertFalse(extra.ok(), "21st flow of ::2 must not get through: " + extra);
                assertTrue(Lab.counter(engine, Counter.DROP_HOST_LIMIT) > limited, "DROP_HOST_LIMIT counted");
                assertTrue(extra.result().startsWith("ERR "), "the socket learns of it through ICMPv6: " + extra);
                assertEquals("ERR EACCES", extra.result(), "Destination Unreachable, administratively prohibited");
                UdpFlows.Flow other = flows.open(Lab.CLIENT6_B, 1).get(0);
                assertTrue(other.ok(), "host ::3 is not limited by ::2: " + other);
                assertEquals(21, Lab.sessions(engine, L4Protocol.UDP).size(), "20 sessions of ::2, 1 of ::3");
            }
        });
    }

    /**
     * 8. pool4 exhaustion: one address with 10 UDP ports. Ten flows (::2 and ::3) take them all; an 11th, from
     * ::4, is dropped with DROP_POOL_EXHAUSTED and an ICMPv6 Address Unreachable (EHOSTUNREACH with
     * IPV6_RECVERR); the ten keep working.
     */
    @Test
    void pool4Exhaustion() throws Exception {
        EngineConfig config = EngineConfig.builder().pool6(Lab.POOL6)
                .addPool4(Pool4Entry.parse("udp", "192.0.2.1", 2000, 2009)).build();
        withEngine(config, engine -> {
            try (UdpFlows flows = new UdpFlows(lab, Lab.SERVER6, 7)) {
                List<UdpFlows.Flow> ten = new ArrayList<>(flows.open(Lab.CLIENT6, 5));
                ten.addAll(flows.open(Lab.CLIENT6_B, 5));
                assertEquals(10, ten.stream().filter(UdpFlows.Flow::ok).count(), "10 flows: " + ten);
                List<TableViews.Pool4Usage> usage = engine.group().pool4Usage();
                assertTrue(usage.contains(new TableViews.Pool4Usage(L4Protocol.UDP, "192.0.2.1", 10, 10)),
                        "every port in use: " + usage);
                for (TableViews.Session s : Lab.sessions(engine, L4Protocol.UDP)) {
                    assertTrue(s.ipv4Port() >= 2000 && s.ipv4Port() <= 2009, "port from the range: " + s);
                }
                long exhausted = Lab.counter(engine, Counter.DROP_POOL_EXHAUSTED);
                UdpFlows.Flow eleventh = flows.open(Lab.CLIENT6_C, 1).get(0);
                assertFalse(eleventh.ok(), "11th flow must not get through: " + eleventh);
                assertTrue(Lab.counter(engine, Counter.DROP_POOL_EXHAUSTED) > exhausted, "DROP_POOL_EXHAUSTED counted");
                assertEquals("ERR EHOSTUNREACH", eleventh.result(), "Destination Unreachable, address unreachable");
                List<UdpFlows.Flow> again = flows.echo(11);
                assertEquals(10, again.subList(0, 10).stream().filter(UdpFlows.Flow::ok).count(),
                        "existing flows keep working: " + again);
            }
        });
    }

    /**
     * 9. A timeout change applied live, several times, while a TCP download runs: nothing is dropped, the
     * session takes the new lifetime, and the download still verifies.
     */
    @Test
    void liveTimeoutChangeDuringTransfer() throws Exception {
        EngineConfig config = Lab.baseConfig().build();
        withEngine(config, engine -> {
            Path file = lab.state.resolve("client-big-live.bin");
            try (Lab.Background curl = lab.spawn(lab.client, "curl", "-sS", "--fail", "--max-time", "60",
                    "--limit-rate", "20M", "-o", file.toString(), "-w", "%{http_code} %{size_download}",
                    "http://[" + Lab.SERVER6 + "]/big.bin")) {
                Lab.waitUntil(SHORT, "an established TCP session of the download", () -> established(engine) != null);
                EngineConfig longer = config.toBuilder().tcpEstablishedTimeout(Duration.ofHours(3))
                        .udpTimeout(Duration.ofMinutes(10)).build();
                EngineConfig shorter = config.toBuilder().tcpEstablishedTimeout(Duration.ofMinutes(150))
                        .udpTimeout(Duration.ofMinutes(3)).build();
                for (int i = 0; i < 3; i++) {
                    assertTrue(curl.alive(), "the download must still run while the configuration changes");
                    assertEquals(0, engine.sessionsDroppedBy(longer));
                    assertEquals(0, engine.apply(longer), "a timeout change drops nothing");
                    Lab.sleep(150);
                    assertEquals(0, engine.apply(shorter), "a timeout change drops nothing");
                    Lab.sleep(150);
                }
                assertEquals(0, engine.apply(longer));
                assertTrue(curl.alive(), "the download ran throughout the changes; make it slower");
                TableViews.Session s = established(engine);
                assertTrue(s != null && s.expiresInMillis() > Duration.ofMinutes(170).toMillis(),
                        "the established session takes the new 3 h lifetime: " + s);
                assertTrue(curl.waitFor(Duration.ofSeconds(70)), "download finishes: " + curl.describe());
                assertEquals(0, curl.exitValue(), curl.describe());
                long size = lab.bigFileSize();
                assertEquals("200 " + size, curl.stdout().trim(), curl.describe());
                assertEquals(lab.bigFileSha256(), Lab.sha256(file), "SHA-256 of the download");
                assertEquals(0, Lab.counter(engine, Counter.SESSIONS_REMOVED_BY_CONFIG));
            } finally {
                Files.deleteIfExists(file);
            }
        });
    }

    private static TableViews.Session established(Engine engine) {
        return Lab.sessions(engine, L4Protocol.TCP).stream()
                .filter(s -> s.remoteIpv4Address().equals(Lab.SERVER4) && s.remoteIpv4Port() == 80
                        && s.tcpState().equals("ESTABLISHED"))
                .findFirst().orElse(null);
    }

    /**
     * 9. Removing a pool4 range live drops exactly the sessions on it: flows from three hosts spread over
     * 192.0.2.1 and 192.0.2.2 (60 flows, 50 ports each, so both are used); removing 192.0.2.2 drops as many
     * sessions as sessionsDroppedBy predicted, counts them, and the flows on 192.0.2.1 keep their mapping and
     * their echoes.
     */
    @Test
    void removingAPool4RangeDropsExactlyItsSessions() throws Exception {
        Pool4Entry one = Pool4Entry.parse("udp", "192.0.2.1", 2000, 2049);
        Pool4Entry two = Pool4Entry.parse("udp", "192.0.2.2", 2000, 2049);
        EngineConfig config = EngineConfig.builder().pool6(Lab.POOL6).addPool4(one, two).build();
        withEngine(config, engine -> {
            try (UdpFlows flows = new UdpFlows(lab, Lab.SERVER6, 7)) {
                List<UdpFlows.Flow> all = new ArrayList<>();
                for (String host : List.of(Lab.CLIENT6, Lab.CLIENT6_B, Lab.CLIENT6_C)) {
                    all.addAll(flows.open(host, 20));
                }
                assertEquals(60, all.stream().filter(UdpFlows.Flow::ok).count(), "60 flows: " + all);
                Map<String, TableViews.Session> before = byFlow(Lab.sessions(engine, L4Protocol.UDP));
                assertEquals(60, before.size(), "a session per flow: " + before.keySet());
                long onTwo = before.values().stream().filter(s -> s.ipv4Address().equals("192.0.2.2")).count();
                long onOne = before.values().stream().filter(s -> s.ipv4Address().equals("192.0.2.1")).count();
                assertEquals(60, onOne + onTwo);
                assertTrue(onOne > 0 && onTwo > 0, "both addresses in use: " + onOne + " and " + onTwo);

                EngineConfig without = config.toBuilder().pool4(List.of(one)).build();
                assertEquals(onTwo, engine.sessionsDroppedBy(without), "sessionsDroppedBy");
                long removed = Lab.counter(engine, Counter.SESSIONS_REMOVED_BY_CONFIG);
                assertEquals(onTwo, engine.apply(without), "apply returns the sessions dropped");
                assertEquals(onTwo, Lab.counter(engine, Counter.SESSIONS_REMOVED_BY_CONFIG) - removed,
                        "SESSIONS_REMOVED_BY_CONFIG");
                Map<String, TableViews.Session> after = byFlow(Lab.sessions(engine, L4Protocol.UDP));
                Map<String, TableViews.Session> expected = new HashMap<>(before);
                expected.values().removeIf(s -> s.ipv4Address().equals("192.0.2.2"));
                assertEquals(expected.keySet(), after.keySet(), "exactly the sessions on 192.0.2.1 remain");

                List<UdpFlows.Flow> again = flows.echo(60);
                for (UdpFlows.Flow f : again) {
                    TableViews.Session s = before.get(f.source() + "#" + f.sourcePort());
                    if (s.ipv4Address().equals("192.0.2.1")) {
                        assertTrue(f.ok(), "flow on 192.0.2.1 still echoed: " + f + " (" + s + ")");
                        TableViews.Session now = sessionOf(engine, f.source(), f.sourcePort());
                        assertEquals(s.ipv4Address() + "#" + s.ipv4Port(), now.ipv4Address() + "#" + now.ipv4Port(),
                                "mapping kept");
                    }
                }
            }
        });
    }

    /**
     * 9. A pool4 change must not disturb the flows it keeps: a UDP stream (2,000 datagrams/s) whose session sits on
     * the address that stays loses nothing while the other address is removed live. FAILS (production bug):
     * Engine.apply() deletes every route it added (host.undo()) and adds them again whenever the set of pool4
     * prefixes changes, so for the tens of milliseconds the ip commands take, pool6 and the kept pool4 prefixes
     * are not routed to the TUN and packets of unaffected sessions are lost in both directions.
     */
    @Test
    void pool4ChangeDoesNotDisturbTheFlowsItKeeps() throws Exception {
        Pool4Entry one = Pool4Entry.parse("udp", "192.0.2.1", 2000, 2049);
        Pool4Entry two = Pool4Entry.parse("udp", "192.0.2.2", 2000, 2049);
        EngineConfig config = EngineConfig.builder().pool6(Lab.POOL6).addPool4(one, two).build();
        withEngine(config, engine -> {
            try (Lab.Background stream = lab.spawnPython(lab.client, Py.UDP_STREAM, Lab.SERVER6, "7", "6000",
                    "2000")) {
                Lab.waitUntil(SHORT, "the stream's session", () -> Lab.sessions(engine, L4Protocol.UDP).size() == 1);
                Lab.sleep(500); // the stream runs steadily before the change
                TableViews.Session s = Lab.sessions(engine, L4Protocol.UDP).get(0);
                // Remove the address the stream does not use.
                EngineConfig without = config.toBuilder()
                        .pool4(List.of(s.ipv4Address().equals("192.0.2.1") ? one : two)).build();
                assertEquals(0, engine.sessionsDroppedBy(without), "the stream's session is kept: " + s);
                assertEquals(0, engine.apply(without));
                assertTrue(stream.alive(), "the change was applied while the stream ran");
                assertTrue(stream.waitFor(Duration.ofSeconds(30)), "stream finishes: " + stream.describe());
                String summary = stream.lines().stream().filter(l -> l.startsWith("SENT ")).findFirst().orElse("");
                assertEquals(s.ipv4Address() + "#" + s.ipv4Port(),
                        sessionOf(engine, s.ipv6Address(), s.ipv6Port()).ipv4Address() + "#"
                                + sessionOf(engine, s.ipv6Address(), s.ipv6Port()).ipv4Port(), "mapping kept");
                assertTrue(summary.startsWith("SENT 6000 RECEIVED 6000 "),
                        "no datagram of a kept session may be lost while pool4 changes: " + summary
                                + "\nengine saw " + Lab.counter(engine, Counter.RECEIVED_IPV6) + " from IPv6 and "
                                + Lab.counter(engine, Counter.RECEIVED_IPV4) + " from IPv4 (lost before reaching it"
                                + " = routes to the TUN missing during apply)");
            }
        });
    }

    private static Map<String, TableViews.Session> byFlow(List<TableViews.Session> sessions) {
        return sessions.stream().collect(Collectors.toMap(s -> s.ipv6Address() + "#" + s.ipv6Port(), s -> s));
    }

    private static TableViews.Session sessionOf(Engine engine, String source, int port) {
        return Lab.sessions(engine, null).stream()
                .filter(s -> s.ipv6Address().equals(source) && s.ipv6Port() == port)
                .findFirst().orElseThrow(() -> new AssertionError("no session of [" + source + "]:" + port));
    }

    /**
     * 10. stop() then start() in one JVM: traffic flows again, and after stop no descriptor, no "xlatbox-"
     * thread and no TUN device is left.
     */
    @Test
    void stopAndStartAgainLeavesNothingBehind() throws Exception {
        EngineConfig config = Lab.baseConfig().build();
        // The first start in a JVM loads classes and jnr-ffi's native stubs, and the class loader keeps jar files
        // open for good: run one cycle before counting (another test may already have done so).
        long fdsAtFirstStart = Lab.openFds();
        withEngine(config, this::traffic);
        assertNothingLeft();
        long fdsAfterFirstStop = Lab.openFds();

        // Pipes of the commands the engine ran (ip, sysctl) are closed by the JDK's process reaper thread shortly
        // after each command exits, so let the count settle before taking it, and allow the same settling after.
        long fdsBefore = settledFds();
        List<String> targetsBefore = Lab.fdTargets();
        Engine engine = lab.startEngine(config);
        try {
            assertTrue(lab.hasTun(), "TUN up again after stop and start");
            assertNotEquals(0, xlatboxThreads().size(), "workers running");
            traffic(engine);
        } finally {
            engine.stop();
        }
        assertNothingLeft();
        try {
            Lab.waitUntil(Duration.ofSeconds(3), "descriptors back to " + fdsBefore, () -> Lab.openFds() <= fdsBefore);
        } catch (AssertionError e) {
            List<String> leaked = new ArrayList<>(Lab.fdTargets());
            leaked.removeAll(targetsBefore);
            throw new AssertionError(e.getMessage() + "; open now and not before start: " + leaked, e);
        }
        System.out.printf("e2e: descriptors: %d before the first start, %d after the first stop, %d before and"
                + " %d after the second cycle%n", fdsAtFirstStart, fdsAfterFirstStop, fdsBefore, Lab.openFds());
    }

    /** The descriptor count once it has stayed the same for 300 ms (at most 3 s). */
    private static long settledFds() {
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        long last = Lab.openFds();
        long since = System.nanoTime();
        while (System.nanoTime() < deadline) {
            Lab.sleep(20);
            long now = Lab.openFds();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since > 300_000_000L) {
                break;
            }
        }
        return last;
    }

    /**
     * 10. A normal stop reports no cleanup failure. FAILS (production bug, minor): Engine.stop() closes the TUN
     * first, which deletes the device and its routes with it, and then runs host.undo(), whose
     * "ip route del ... dev nat64" can only fail ("Cannot find device"); every clean stop logs two WARNINGs.
     */
    @Test
    void cleanStopLogsNoCleanupWarnings() throws Exception {
        Logger log = Logger.getLogger(Engine.class.getName());
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(capture);
        try {
            withEngine(Lab.baseConfig().build(), engine -> assertTrue(lab.hasTun()));
        } finally {
            log.removeHandler(capture);
        }
        assertFalse(lab.hasTun());
        assertEquals(List.of(), warnings, "warnings logged by a clean stop");
    }

    private void traffic(Engine engine) throws Exception {
        Lab.Result ping = lab.exec(lab.client, SHORT, "ping", "-6", "-n", "-c", "2", "-i", "0.2", "-W", "2",
                Lab.SERVER6);
        assertTrue(ping.ok() && ping.stdout().contains(" 0% packet loss"), ping.toString());
        Lab.Result http = lab.exec(lab.client, SHORT, "curl", "-sS", "--fail", "--max-time", "10",
                "http://[" + Lab.SERVER6 + "]/");
        assertEquals(0, http.exit(), http.toString());
        assertTrue(http.stdout().startsWith("hello from the IPv4-only server"), http.toString());
        Lab.Result udp = lab.python(lab.client, SHORT, Py.UDP_ONCE, Lab.SERVER6, "7");
        assertEquals(0, udp.exit(), udp.toString());
        assertTrue(Lab.counter(engine, Counter.TRANSLATED_4TO6) > 0);
    }

    private void assertNothingLeft() throws Exception {
        try {
            Lab.waitUntil(Duration.ofSeconds(5), "no xlatbox- threads", () -> xlatboxThreads().isEmpty());
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; still running: " + xlatboxThreads(), e);
        }
        assertFalse(lab.hasTun(), "TUN " + Lab.TUN + " removed from " + lab.router);
    }

    private static List<String> xlatboxThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("xlatbox-")).sorted().toList();
    }
}
