package io.xlatbox.engine.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.Engine;
import io.xlatbox.engine.tun.RootRequirement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Real traffic from the IPv6-only client to the IPv4-only server through the in-process engine: TCP (a 100 MB
 * download checked byte for byte, 1,000 short connections), UDP (echo, a lossless stream), ICMP (ping), and an
 * ICMP error crossing the translator back to the socket that caused it. One lab and one engine for the class,
 * with TUN offloads (GSO super-packets translated whole); {@link EndToEndTrafficWithoutOffloadsTest} repeats it
 * packet by packet.
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndToEndTrafficTest {
    private static final String URL = "http://[" + Lab.SERVER6 + "]";

    private LabEngine setup;
    private Lab lab;
    private Engine engine;

    @BeforeAll
    void up() throws Exception {
        setup = LabEngine.up(Lab.baseConfig().build(), offloads(), "--big-mb", "100");
        lab = setup.lab;
        engine = setup.engine;
    }

    boolean offloads() {
        return true;
    }

    @AfterAll
    void down() {
        if (setup != null) {
            setup.close();
        }
    }

    /** 1. TCP: 100 MB over HTTP with curl, verified against the server's big.bin.sha256. */
    @Test
    void hundredMegabyteDownloadArrivesIntact() throws Exception {
        Path file = lab.state.resolve("client-big.bin");
        try {
            Lab.Result r = lab.exec(lab.client, Duration.ofSeconds(120), "curl", "-sS", "--fail", "--max-time", "110",
                    "-o", file.toString(), "-w", "%{http_code} %{size_download} %{speed_download}",
                    URL + "/big.bin");
            assertEquals(0, r.exit(), r.toString());
            String[] w = r.stdout().trim().split(" ");
            assertEquals("200", w[0], r.toString());
            long size = lab.bigFileSize();
            assertTrue(size >= 100L * 1024 * 1024, "big.bin is " + size + " bytes");
            assertEquals(size, Long.parseLong(w[1]), "bytes downloaded: " + r);
            assertEquals(size, Files.size(file), "size of the downloaded file");
            assertEquals(lab.bigFileSha256(), Lab.sha256(file), "SHA-256 of the downloaded file");
            System.out.printf("e2e: 100 MB download in %d ms (%.1f MB/s)%n", r.millis(),
                    Double.parseDouble(w[2]) / 1e6);
            assertTrue(engine.healthy(), "engine workers still running");
            long superPackets = engine.counters().getOrDefault(Counter.GSO_PACKETS, 0L);
            if (offloads()) {
                assertTrue(superPackets > 0, "the download went through as GSO super-packets");
            } else {
                assertEquals(0, superPackets, "no offloads, no super-packets");
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** 1. TCP: 1,000 sequential HTTP requests, a new connection each, all answered. */
    @Test
    void thousandShortConnectionsAllSucceed() throws Exception {
        long created = Lab.counter(engine, Counter.SESSIONS_CREATED);
        Lab.Result r = lab.python(lab.client, Duration.ofSeconds(90), Py.HTTP_LOOP, Lab.SERVER6, "80", "1000");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.stdout().startsWith("OK 1000 FAILED 0 "), r.toString());
        System.out.println("e2e: 1000 HTTP connections: " + r.stdout().lines().findFirst().orElse(""));
        long newSessions = Lab.counter(engine, Counter.SESSIONS_CREATED) - created;
        // A source port the client reuses finds its session still there (RFC 6146 §3.5.2: a closed session
        // lingers for TCP_TRANS), so one session per distinct port, give or take ports earlier tests used.
        Matcher m = Pattern.compile("PORTS (\\d+)").matcher(r.stdout());
        assertTrue(m.find(), r.toString());
        int ports = Integer.parseInt(m.group(1));
        assertTrue(newSessions <= 1000 && newSessions >= ports - 10,
                newSessions + " sessions created for " + ports + " distinct client ports");
    }

    /** 2. UDP: one request, one answer from the echo service. */
    @Test
    void udpEcho() throws Exception {
        Lab.Result r = lab.python(lab.client, Duration.ofSeconds(20), Py.UDP_ONCE, Lab.SERVER6, "7");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("ECHO hello through NAT64 FROM " + Lab.SERVER6 + " 7", r.stdout().trim(), r.toString());
    }

    /** 2. UDP: 5,000 datagrams at 2,000/s, every one echoed, none lost, duplicated or damaged. */
    @Test
    void udpStreamWithoutLoss() throws Exception {
        Lab.Result r = lab.python(lab.client, Duration.ofSeconds(60), Py.UDP_STREAM, Lab.SERVER6, "7", "5000",
                "2000");
        assertEquals(0, r.exit(), r.toString());
        String summary = r.stdout().lines().filter(l -> l.startsWith("SENT ")).findFirst().orElse("");
        System.out.println("e2e: UDP stream: " + summary);
        assertTrue(summary.startsWith("SENT 5000 RECEIVED 5000 DUPLICATES 0 CORRUPT 0 ERRORS 0 "), r.toString());
    }

    /** 3. ICMP: ping -6 to the server through the translator, no loss. */
    @Test
    void pingWithoutLoss() throws Exception {
        Lab.Result r = lab.exec(lab.client, Duration.ofSeconds(30), "ping", "-6", "-n", "-c", "10", "-i", "0.2",
                "-W", "2", Lab.SERVER6);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.stdout().contains("10 packets transmitted, 10 received, 0% packet loss"), r.toString());
        Matcher m = Pattern.compile("from " + Pattern.quote(Lab.SERVER6) + ": icmp_seq=\\d+ ttl=\\d+").matcher(r.stdout());
        assertTrue(m.find(), "replies come from the server's IPv6 form: " + r);
    }

    /**
     * 4. An ICMPv4 Port Unreachable from the server, translated to ICMPv6 with the inner packet translated back to
     * the client's own 4-tuple, so that the kernel hands it to the connected socket: ECONNREFUSED.
     */
    @Test
    void portUnreachableReachesTheSocket() throws Exception {
        long translated = Lab.counter(engine, Counter.ICMP_ERRORS_TRANSLATED);
        Lab.Result r = lab.python(lab.client, Duration.ofSeconds(20), Py.UDP_CLOSED_PORT, Lab.SERVER6, "9");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.stdout().contains("REFUSED"), "the socket must see ECONNREFUSED: " + r);
        assertTrue(Lab.counter(engine, Counter.ICMP_ERRORS_TRANSLATED) > translated, "ICMP error counted");
    }
}
