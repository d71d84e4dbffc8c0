package io.xlatbox.dns64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import io.xlatbox.dns64.testutil.DnsClient;
import io.xlatbox.dns64.testutil.TestUpstream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Bad input never stops the server (QuickTheories): random bytes and mutated valid messages, fed to the parsers
 * directly and to a live server over UDP and TCP. After every example the server still answers a valid query.
 */
class RobustnessPropertyTest {
    private TestUpstream upstream;
    private Dns64Server server;
    private int port;

    /** Valid messages to mutate: queries with and without EDNS, and a response with several sections. */
    private static final List<byte[]> SEEDS = seeds();

    private static List<byte[]> seeds() {
        Message plain = DnsClient.query("a1.test", Type.AAAA);
        Message edns = DnsClient.withEdns(DnsClient.query("c1.test", Type.AAAA), 1232, true);
        Message ptr = DnsClient.query("9.0.0.0.5.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa", Type.PTR);
        Message resp = DnsClient.query("two.test", Type.A);
        resp.getHeader().setFlag(org.xbill.DNS.Flags.QR);
        try {
            resp.addRecord(new org.xbill.DNS.ARecord(org.xbill.DNS.Name.fromConstantString("two.test."), 1, 60,
                    java.net.InetAddress.getByName("12.1.0.1")), Section.ANSWER);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        resp.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        return List.of(plain.toWire(), edns.toWire(), ptr.toWire(), resp.toWire());
    }

    /** Pure random bytes, or a valid message with a few bytes changed, cut short or extended. */
    private static Gen<byte[]> inputs() {
        Gen<byte[]> random = Generate.byteArrays(integers().between(0, 700), Generate.bytes(Byte.MIN_VALUE,
                Byte.MAX_VALUE, (byte) 0));
        Gen<byte[]> mutated = Generate.pick(SEEDS).zip(lists().of(integers().between(0, 0xFFFFF)).ofSizeBetween(1, 6),
                integers().between(-20, 20), (seed, edits, resize) -> {
                    byte[] b = Arrays.copyOf(seed, Math.max(0, seed.length + resize));
                    for (int e : edits) {
                        if (b.length > 0) {
                            b[(e >>> 8) % b.length] = (byte) e;
                        }
                    }
                    return b;
                });
        return random.mix(mutated, 70);
    }

    @BeforeEach
    void start() throws IOException {
        upstream = TestUpstream.start();
        server = Dns64Server.start(Dns64Config.builder().listen("127.0.0.1:0")
                .upstreams("127.0.0.1:" + upstream.port()).upstreamTimeout(Duration.ofMillis(300)).udpThreads(2)
                .build());
        port = server.boundPorts().get(0);
    }

    @AfterEach
    void stop() {
        server.stop();
        upstream.close();
    }

    @Test
    void parsersNeverThrow() {
        ByteBuffer out = ByteBuffer.allocate(70000);
        WireQuery wq = new WireQuery();
        qt().withExamples(20000).forAll(inputs()).checkAssert(b -> {
            int status = wq.parse(b, b.length);
            if (status == WireQuery.OK) {
                wq.finishKey(true);
            }
            if (status != WireQuery.DROP_SHORT && status != WireQuery.DROP_RESPONSE) {
                wq.writeError(out, 1, 1232);
            }
            WireAnswer a = WireAnswer.of(b, b.length, 0, 86400, true);
            if (a != null && b.length >= 12 && wq.questionOk) {
                a.render(out, null, 1, 0x0100, true, false, 512, 1232, 5_000_000_000L);
            }
        });
    }

    @Test
    void randomDatagramsNeverStopTheServer() throws IOException {
        int[] id = {1};
        qt().withExamples(1500).forAll(inputs()).checkAssert(b -> {
            try (DatagramSocket s = new DatagramSocket()) {
                InetSocketAddress to = new InetSocketAddress("127.0.0.1", port);
                s.send(new DatagramPacket(b, b.length, to));
                Message q = DnsClient.query("a1.test", Type.AAAA);
                int want = id[0]++ & 0xFFFF;
                q.getHeader().setID(want);
                byte[] w = q.toWire();
                s.send(new DatagramPacket(w, w.length, to));
                s.setSoTimeout(3000);
                byte[] buf = new byte[65535];
                while (true) { // skip whatever the garbage earned (FORMERR, NOTIMP, an answer)
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    Message r;
                    try {
                        r = new Message(Arrays.copyOf(buf, p.getLength()));
                    } catch (IOException e) {
                        continue;
                    }
                    if (r.getHeader().getID() == want && r.getQuestion() != null
                            && r.getQuestion().getName().toString().equals("a1.test.")) {
                        assertEquals(Rcode.NOERROR, r.getRcode());
                        assertEquals(1, r.getSection(Section.ANSWER).size());
                        break;
                    }
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no answer after " + Arrays.toString(b), e);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(id[0] > 1400, "examples run: " + (id[0] - 1)); // QuickTheories may skip a duplicate or two
        // (counters are read without synchronisation: the last increments may not be visible yet)
        assertTrue(server.counters().get(Dns64Counter.QUERIES_UDP) >= 2 * (id[0] - 1) - 20,
                server.counters().snapshot().toString());
    }

    @Test
    void tcpGarbageClosesOnlyItsOwnConnection() throws IOException {
        qt().withExamples(150).forAll(inputs()).checkAssert(b -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                OutputStream out = s.getOutputStream();
                byte[] framed = new byte[b.length + 2];
                framed[0] = (byte) (b.length >>> 8);
                framed[1] = (byte) b.length;
                System.arraycopy(b, 0, framed, 2, b.length);
                out.write(b.length % 2 == 0 ? framed : b); // framed, or raw bytes taken as a length
                out.flush();
                Message r = DnsClient.tcp(port, DnsClient.query("a1.test", Type.AAAA));
                assertEquals(Rcode.NOERROR, r.getRcode());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
