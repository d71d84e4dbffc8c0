package io.xlatbox.clat.lab;

import io.xlatbox.clat.net.DnsClient;
import io.xlatbox.clat.net.Endpoints;
import io.xlatbox.clat.discovery.Rfc7050;
import java.io.IOException;
import java.time.Duration;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;

/**
 * Our DNS64 (dns64 module, {@code Dns64Main}) in the router namespace as its own JVM, listening on
 * [2001:db8:1::1]:53 with the tests' DNS on the server (198.51.100.2:5300) upstream. A separate process so that every socket it ever
 * opens, including the upstream sockets it replaces as it runs, is in the router's namespace.
 */
public final class LabDns64 implements AutoCloseable {
    private final ClatLab.Background process;
    public final String prefix;

    private LabDns64(ClatLab.Background process, String prefix) {
        this.process = process;
        this.prefix = prefix;
    }

    /** Starts it with {@code prefix} and waits until it answers AAAA ipv4only.arpa from the client. */
    public static LabDns64 start(ClatLab lab, String prefix) throws IOException {
        ClatLab.Background p = lab.spawnJava(lab.router, "io.xlatbox.dns64.cli.Dns64Main",
                "--listen", "[" + ClatLab.ROUTER6 + "]:53", "--upstream", ClatLab.SERVER_DNS, "--prefix", prefix,
                "--client", "2001:db8::/32", "--threads", "1", "--timeout", "1000", "--cache", "0");
        LabDns64 d = new LabDns64(p, prefix);
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (true) {
                try {
                    Message m = DnsClient.query(lab.client, Endpoints.parse(ClatLab.ROUTER6, 53), Rfc7050.query(7),
                            Duration.ofMillis(300));
                    if (!m.getSection(Section.ANSWER).isEmpty()) {
                        return d;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                if (!p.alive()) {
                    throw new IOException("the DNS64 exited: " + p.describe());
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("the DNS64 does not answer after 20 s: " + p.describe());
                }
                ClatLab.sleep(100);
            }
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    @Override
    public void close() {
        process.close();
    }
}
