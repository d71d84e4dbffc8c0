package io.xlatbox.engine.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.DataplaneConfig;
import io.xlatbox.engine.Engine;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.host.HostNetwork;
import io.xlatbox.engine.tun.RootRequirement;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The single-WAN-address design: pool4 is a range of its own (100.64.64.0/24 here) that nftables masquerades
 * behind the router's WAN address (198.51.100.1 on "rs"). The IPv4 server sees the WAN address, the client still
 * gets through, the router's own IPv4 traffic is untouched, and stopping the engine removes the nftables table.
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
class EndToEndNat44Test {
    /** A TCP server in the server namespace that tells each client the address it sees it from. */
    private static final String WHO_AM_I = String.join("\n",
            "import socket",
            "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('0.0.0.0', 8081)); s.listen(16); print('listening', flush=True)",
            "while True:",
            "    c, a = s.accept(); c.sendall((a[0] + '\\n').encode()); c.close()");

    private static final String ASK = String.join("\n",
            "import socket, sys",
            "c = socket.create_connection((sys.argv[1], 8081), timeout=5)",
            "print(c.recv(100).decode().strip())");

    @Test
    void pool4IsMasqueradedBehindTheWanAddress() throws Exception {
        try (Lab lab = Lab.up("--big-mb", "1")) {
            EngineConfig config = EngineConfig.builder().pool6(Lab.POOL6).addPool4("100.64.64.0/24").build();
            Engine engine = Engine.start(config,
                    DataplaneConfig.defaults().withNamespace(lab.router).withQueues(1).withNat44("rs"));
            try (Lab.Background server = lab.spawnPython(lab.server, WHO_AM_I)) {
                server.awaitLine(l -> l.startsWith("listening"), Duration.ofSeconds(10), "the server");
                Lab.Result seen = lab.python(lab.client, Duration.ofSeconds(20), ASK, Lab.SERVER6);
                assertTrue(seen.ok(), seen.toString());
                assertEquals(Lab.ROUTER4, seen.stdout().trim(), "the server sees the WAN address, not pool4");
                Lab.Result own = lab.exec(lab.router, Duration.ofSeconds(10), "ping", "-c1", "-W2", Lab.SERVER4);
                assertTrue(own.ok(), "the router's own IPv4 traffic still flows: " + own);
                Lab.Result tables = lab.exec(lab.router, Duration.ofSeconds(10), "nft", "list", "tables");
                assertTrue(tables.stdout().contains(HostNetwork.NFT_TABLE), tables.toString());
            } finally {
                engine.stop();
            }
            Lab.Result after = lab.exec(lab.router, Duration.ofSeconds(10), "nft", "list", "tables");
            assertFalse(after.stdout().contains(HostNetwork.NFT_TABLE), "the engine removes its table: " + after);
        }
    }
}
