package io.xlatbox.dns64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.xlatbox.dns64.testutil.Dig;
import io.xlatbox.dns64.testutil.TestUpstream;
import io.xlatbox.engine.tun.RootRequirement;
import io.xlatbox.engine.tun.ScratchNamespace;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The DNS64 with its sockets in another network namespace, as the appliance runs it in the lab's router: the
 * listeners and the upstream queries are there, and the process's own namespace sees none of it.
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
class Dns64NamespaceTest {
    @Test
    void listensAndAsksUpstreamsInsideTheNamespace() throws Exception {
        Dig.require();
        try (ScratchNamespace ns = ScratchNamespace.create()) {
            ns.ip("link", "set", "lo", "up");
            // The upstream listens on the namespace's loopback only: reaching it proves where the queries go.
            try (TestUpstream upstream = ns.callIn(TestUpstream::start);
                 Dns64Server server = Dns64Server.start(config(upstream, "127.0.0.1:0").build(), ns.name)) {
                int port = server.boundPorts().get(0);

                Dig.Result inside = Dig.queryIn(ns.name, "127.0.0.1", port, "a1.test", "AAAA");
                assertEquals("NOERROR", inside.status(), inside.raw());
                assertEquals(List.of("64:ff9b::c000:221"), inside.data("AAAA"), inside.raw());
                assertEquals(1, upstream.count("a1.test", org.xbill.DNS.Type.A));

                Dig.Result outside = Dig.query(port, "a1.test", "AAAA");
                assertNotEquals("NOERROR", outside.status(), "nothing listens in the process's namespace");

                // A listener added live is bound inside too.
                server.apply(config(upstream, "127.0.0.1:0", "[::1]:0").build());
                int added = server.boundPorts().get(1);
                Dig.Result v6 = Dig.queryIn(ns.name, "::1", added, "a1.test", "AAAA");
                assertEquals(List.of("64:ff9b::c000:221"), v6.data("AAAA"), v6.raw());
            }
        }
    }

    @Test
    void bothWildcardsOnTheSamePortServeBothFamilies() throws Exception {
        Dig.require();
        try (ScratchNamespace ns = ScratchNamespace.create()) {
            ns.ip("link", "set", "lo", "up");
            // The appliance's default: a dual-stack [::]:53 already takes IPv4, so 0.0.0.0:53 must not fail.
            try (TestUpstream upstream = ns.callIn(TestUpstream::start);
                 Dns64Server server = Dns64Server.start(config(upstream, "0.0.0.0:53", "[::]:53").build(), ns.name)) {
                for (String at : List.of("127.0.0.1", "::1")) {
                    Dig.Result r = Dig.queryIn(ns.name, at, 53, "a1.test", "AAAA");
                    assertEquals(List.of("64:ff9b::c000:221"), r.data("AAAA"), at + ": " + r.raw());
                }
            }
        }
    }

    private static Dns64Config.Builder config(TestUpstream upstream, String... listen) {
        return Dns64Config.builder().listen(listen).upstreams("127.0.0.1:" + upstream.port())
                .upstreamTimeout(Duration.ofMillis(400)).udpThreads(1);
    }
}
