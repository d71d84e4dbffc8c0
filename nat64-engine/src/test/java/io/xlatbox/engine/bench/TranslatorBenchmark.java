package io.xlatbox.engine.bench;

import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.ManualClock;
import io.xlatbox.engine.PacketSink;
import io.xlatbox.engine.Side;
import io.xlatbox.engine.Translator;
import io.xlatbox.engine.testutil.Pkt;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Translation throughput of one worker through the packet-level API, with 100,000 live sessions in the table.
 * Each operation copies one prepared packet into the receive buffer (as a TUN read would) and translates it; the
 * packets cycle over 4,096 flows picked at random among the live sessions, so lookups hit a large table.
 *
 * <pre>mvn -q -pl nat64-engine test-compile exec:exec -Djmh.args="TranslatorBenchmark"</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class TranslatorBenchmark {
    private static final int SESSIONS = 100_000;
    private static final int HOSTS = 1_000;
    private static final int FLOWS = 4_096;
    private static final int HEADROOM = 64;

    /** udp64: 64-byte UDP packets; tcp1500: 1500-byte TCP segments (IP packet sizes on input). */
    @Param({"udp64", "tcp1500"})
    public String packet;

    private Translator translator;
    private ByteBuffer work;
    private ByteBuffer[] v6;
    private ByteBuffer[] v4;
    private int next6;
    private int next4;
    private Blackhole bh;
    private PacketSink sink;

    @Setup(Level.Trial)
    public void setUp(Blackhole blackhole) {
        bh = blackhole;
        sink = (side, buf, off, len) -> bh.consume(len);
        EngineConfig cfg = EngineConfig.builder()
                .addPool4("198.51.100.0/24")
                .maxSessions(2 * SESSIONS)
                .maxSessionsPerHost(SESSIONS)
                .icmpErrorsPerSecond(0)
                .build();
        translator = Translator.stateful(cfg, new ManualClock());
        boolean tcp = packet.startsWith("tcp");
        int payload = tcp ? 1500 - 40 - 20 : 64 - 40 - 8;
        int payload4 = tcp ? 1500 - 20 - 20 : 64 - 20 - 8;
        // 100,000 sessions: 1,000 IPv6 hosts with 100 flows each to one IPv4 server.
        int[] hostOf = new int[SESSIONS];
        int[] portOf = new int[SESSIONS];
        int[] mappedPort = new int[SESSIONS];
        int[] mappedAddr = new int[SESSIONS];
        for (int i = 0; i < SESSIONS; i++) {
            hostOf[i] = i % HOSTS;
            portOf[i] = 20_000 + i / HOSTS;
            byte[] p = tcp
                    ? Pkt.v6(host(hostOf[i]), "64:ff9b::93.184.216.80").with(Pkt.tcp(portOf[i], 80, 0x02, new byte[0]))
                    : Pkt.v6(host(hostOf[i]), "64:ff9b::93.184.216.80").with(Pkt.udp(portOf[i], 53, new byte[0]));
            List<Translator.Output> out = translator.process(Side.IPV6, p);
            byte[] o = out.get(0).bytes();
            mappedAddr[i] = ByteBuffer.wrap(o).getInt(12);
            mappedPort[i] = ByteBuffer.wrap(o).getShort(20) & 0xFFFF;
            if (tcp) { // complete the handshake so the sessions are ESTABLISHED
                translator.process(Side.IPV4, Pkt.v4("93.184.216.80", Pkt.v4str(mappedAddr[i]))
                        .with(Pkt.tcp(80, mappedPort[i], 0x12, new byte[0])));
            }
        }
        if (translator.nat64().sessionCount() != SESSIONS) {
            throw new IllegalStateException("sessions: " + translator.nat64().sessionCount());
        }
        Random rnd = new Random(42);
        List<ByteBuffer> six = new ArrayList<>();
        List<ByteBuffer> four = new ArrayList<>();
        for (int k = 0; k < FLOWS; k++) {
            int i = rnd.nextInt(SESSIONS);
            byte[] p6 = tcp
                    ? Pkt.v6(host(hostOf[i]), "64:ff9b::93.184.216.80").with(Pkt.tcp(portOf[i], 80, 0x10, new byte[payload]))
                    : Pkt.v6(host(hostOf[i]), "64:ff9b::93.184.216.80").with(Pkt.udp(portOf[i], 53, new byte[payload]));
            byte[] p4 = tcp
                    ? Pkt.v4("93.184.216.80", Pkt.v4str(mappedAddr[i])).with(Pkt.tcp(80, mappedPort[i], 0x10, new byte[payload4]))
                    : Pkt.v4("93.184.216.80", Pkt.v4str(mappedAddr[i])).with(Pkt.udp(53, mappedPort[i], new byte[payload4]));
            six.add(ByteBuffer.allocateDirect(p6.length).put(0, p6));
            four.add(ByteBuffer.allocateDirect(p4.length).put(0, p4));
        }
        v6 = six.toArray(new ByteBuffer[0]);
        v4 = four.toArray(new ByteBuffer[0]);
        work = ByteBuffer.allocateDirect(65536 + 2 * HEADROOM);
    }

    private static String host(int h) {
        return "2001:db8:1::" + Integer.toHexString(h + 1);
    }

    @Benchmark
    public void translate6to4() {
        ByteBuffer p = v6[next6];
        next6 = (next6 + 1) & (FLOWS - 1);
        int len = p.capacity();
        work.put(HEADROOM, p, 0, len);
        translator.process(Side.IPV6, work, HEADROOM, len, sink);
    }

    @Benchmark
    public void translate4to6() {
        ByteBuffer p = v4[next4];
        next4 = (next4 + 1) & (FLOWS - 1);
        int len = p.capacity();
        work.put(HEADROOM, p, 0, len);
        translator.process(Side.IPV4, work, HEADROOM, len, sink);
    }
}
