package io.xlatbox.engine.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.Engine;
import io.xlatbox.engine.tun.RootRequirement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * 5. Path MTU: the IPv4 link is 1400 bytes (lab --ipv4-mtu 1400, engine ipv4Mtu 1400) while the IPv6 side is
 * 1500. A large TCP transfer still completes intact, and an IPv6 packet too big for the IPv4 side comes back as
 * ICMPv6 Packet Too Big with MTU 1420 (1400 plus the 20 bytes the IPv6 header adds over IPv4).
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndToEndMtuTest {
    private LabEngine setup;
    private Lab lab;
    private Engine engine;

    @BeforeAll
    void up() throws Exception {
        setup = LabEngine.up(Lab.baseConfig().ipv4Mtu(1400).build(), "--ipv4-mtu", "1400", "--big-mb", "20");
        lab = setup.lab;
        engine = setup.engine;
    }

    @AfterAll
    void down() {
        if (setup != null) {
            setup.close();
        }
    }

    @Test
    void largeTransferOverSmallerIpv4Mtu() throws Exception {
        Lab.Result mtu = lab.exec(lab.server, Duration.ofSeconds(10), "ip", "-o", "link", "show", "dev", "s0");
        assertTrue(mtu.stdout().contains("mtu 1400"), "the lab's IPv4 link MTU: " + mtu);
        Path file = lab.state.resolve("client-big.bin");
        try {
            Lab.Result r = lab.exec(lab.client, Duration.ofSeconds(90), "curl", "-sS", "--fail", "--max-time", "80",
                    "-o", file.toString(), "-w", "%{http_code} %{size_download}",
                    "http://[" + Lab.SERVER6 + "]/big.bin");
            assertEquals(0, r.exit(), r.toString());
            long size = lab.bigFileSize();
            assertEquals("200 " + size, r.stdout().trim(), r.toString());
            assertEquals(size, Files.size(file));
            assertEquals(lab.bigFileSha256(), Lab.sha256(file), "SHA-256 of the downloaded file");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void tooBigPacketGetsPacketTooBigWithMtu1420() throws Exception {
        // 1450 bytes of data + 8 ICMPv6 + 40 IPv6 = 1498 bytes: fits the IPv6 side, 1478 bytes as IPv4 does not.
        Lab.Result r = lab.exec(lab.client, Duration.ofSeconds(20), "ping", "-6", "-n", "-s", "1450", "-M", "do",
                "-c", "2", "-i", "0.5", "-W", "2", Lab.SERVER6);
        assertTrue(r.stdout().contains("Packet too big"), "ping must report Packet too big: " + r);
        assertTrue(r.stdout().contains("mtu=1420"), "with mtu=1420: " + r);
    }
}
