package io.xlatbox.engine;

import static io.xlatbox.engine.testutil.Pkt.pattern;
import static io.xlatbox.engine.testutil.Pkt.tcp;
import static io.xlatbox.engine.testutil.Pkt.udp;
import static io.xlatbox.engine.testutil.Pkt.v4;
import static io.xlatbox.engine.testutil.Pkt.v6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xlatbox.engine.testutil.Pkt;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Several workers of one translator at once, as on a multi-queue TUN: new flows from every worker at the same
 * time (the writer role passes around, packets queue for its holder), replies arriving on other workers than the
 * requests, and timers running meanwhile. Every packet must come out exactly once, with one mapping per flow.
 */
class ConcurrencyTest {
    private static final int WORKERS = 4;
    private static final int FLOWS_PER_WORKER = 1500;

    /** Key of a translated packet: destination port of the IPv4 reply path = the BIB's (T,t). */
    private final Map<String, String> mappingOf = new ConcurrentHashMap<>();
    private final Map<String, Integer> seen = new ConcurrentHashMap<>();

    private static String key(byte[] p) {
        return Pkt.hex(p);
    }

    @Test
    void workersShareStateWithoutLosingOrDuplicatingPackets() throws Exception {
        EngineConfig cfg = EngineConfig.builder().addPool4("198.51.100.0/28").maxSessions(50_000)
                .maxSessionsPerHost(50_000).icmpErrorsPerSecond(0).build();
        TranslatorGroup group = TranslatorGroup.stateful(cfg, java.time.Clock.systemUTC());
        java.util.concurrent.atomic.AtomicIntegerArray done = new java.util.concurrent.atomic.AtomicIntegerArray(
                WORKERS * FLOWS_PER_WORKER);
        PacketSink collect = (side, buf, off, len) -> {
            byte[] b = new byte[len];
            buf.get(off, b);
            seen.merge(side + " " + key(b), 1, Integer::sum);
            done.incrementAndGet(buf.getInt(off + 28)); // the flow's number, carried as UDP payload
        };
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            int worker = w;
            Translator t = group.newWorker();
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    ByteBuffer buf = ByteBuffer.allocateDirect(2048);
                    for (int f = 0; f < FLOWS_PER_WORKER; f++) {
                        int flow = worker * FLOWS_PER_WORKER + f;
                        String host = "2001:db8:" + (worker + 1) + "::" + Integer.toHexString(f % 200 + 1);
                        byte[] p = v6(host, "64:ff9b::93.184.216.34")
                                .with(udp(30000 + f, 53, ByteBuffer.allocate(8).putInt(flow).array()));
                        buf.put(64, p);
                        t.process(Side.IPV6, buf, 64, p.length, collect);
                        // Like a client waiting for its SYN to be answered: the next flow starts once this one
                        // is out, whichever worker translated it.
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (done.get(flow) == 0) {
                            if (System.nanoTime() > deadline) {
                                throw new AssertionError("flow " + flow + " never came out");
                            }
                            Thread.yield();
                            t.serve(collect); // as an idle worker does
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            threads.add(th);
            th.start();
        }
        start.countDown();
        for (Thread th : threads) {
            th.join(TimeUnit.MINUTES.toMillis(2));
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        int expected = WORKERS * FLOWS_PER_WORKER;
        assertEquals(0, group.counters().get(Counter.DROP_SLOW_PATH_FULL));
        assertEquals(expected, seen.size(), "every translated packet exactly once");
        assertTrue(seen.values().stream().allMatch(n -> n == 1), "no duplicates");
        assertEquals(expected, (long) group.withState(n -> n.sessionCount()));
        assertTrue(group.counters().get(Counter.SLOW_PATH_QUEUED) > 0, "the workers did contend");
        // Every flow got a distinct IPv4 transport address.
        long distinct = seen.keySet().stream().map(k -> k.substring(5 + 24, 5 + 32) + k.substring(5 + 40, 5 + 44))
                .distinct().count();
        assertEquals(seen.size(), distinct);
    }

    @Test
    void overloadOfNewFlowsIsDroppedAndCountedNeverLost() throws Exception {
        EngineConfig cfg = EngineConfig.builder().addPool4("198.51.100.0/28").maxSessions(50_000)
                .maxSessionsPerHost(50_000).icmpErrorsPerSecond(0).build();
        TranslatorGroup group = TranslatorGroup.stateful(cfg, java.time.Clock.systemUTC());
        java.util.concurrent.atomic.AtomicLong out = new java.util.concurrent.atomic.AtomicLong();
        PacketSink count = (side, buf, off, len) -> out.incrementAndGet();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            int worker = w;
            Translator t = group.newWorker();
            Thread th = new Thread(() -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(2048);
                for (int f = 0; f < FLOWS_PER_WORKER; f++) {
                    byte[] p = v6("2001:db8:" + (worker + 1) + "::1", "64:ff9b::93.184.216.34")
                            .with(tcp(10000 + f, 80, 0x02, pattern(0)));
                    buf.put(64, p);
                    t.process(Side.IPV6, buf, 64, p.length, count);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join(TimeUnit.MINUTES.toMillis(2));
        }
        group.runTimers(count); // whatever is still queued is served by the next holder of the writer role
        long dropped = group.counters().get(Counter.DROP_SLOW_PATH_FULL);
        assertEquals(WORKERS * FLOWS_PER_WORKER, out.get() + dropped, "each SYN translated once or counted");
        assertEquals(out.get(), (long) group.withState(n -> n.sessionCount()));
    }

    @Test
    void repliesOnOtherWorkersWhileRequestsCreateState() throws Exception {
        EngineConfig cfg = EngineConfig.builder().addPool4("198.51.100.1").maxSessions(20_000)
                .maxSessionsPerHost(20_000).icmpErrorsPerSecond(0).build();
        TranslatorGroup group = TranslatorGroup.stateful(cfg, java.time.Clock.systemUTC());
        Translator a = group.newWorker();
        // Establish 2,000 UDP sessions from worker a and remember each one's IPv4 port.
        int[] ports = new int[2000];
        for (int i = 0; i < ports.length; i++) {
            List<Translator.Output> o = a.process(Side.IPV6,
                    v6("2001:db8::1", "64:ff9b::93.184.216.34").with(udp(20000 + i, 53, pattern(8))));
            ports[i] = ByteBuffer.wrap(o.get(0).bytes()).getShort(20) & 0xFFFF;
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Map<Integer, Integer> delivered = new ConcurrentHashMap<>();
        Thread replies = new Thread(() -> {
            try {
                Translator b = group.newWorker();
                ByteBuffer buf = ByteBuffer.allocateDirect(2048);
                for (int round = 0; round < 20; round++) {
                    for (int i = 0; i < ports.length; i++) {
                        byte[] p = v4("93.184.216.34", "198.51.100.1").with(udp(53, ports[i], pattern(8)));
                        buf.put(64, p);
                        b.process(Side.IPV4, buf, 64, p.length, (side, bb, off, len) -> {
                            int dport = bb.getShort(off + 42) & 0xFFFF;
                            delivered.merge(dport, 1, Integer::sum);
                        });
                    }
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        replies.start();
        // Meanwhile worker a keeps creating other sessions (writer role) and refreshing its own.
        for (int i = 0; i < 5000; i++) {
            a.process(Side.IPV6, v6("2001:db8::2:" + (i % 300 + 1), "64:ff9b::93.184.216.35")
                    .with(udp(40000 + i, 53, pattern(8))));
        }
        replies.join(TimeUnit.MINUTES.toMillis(2));
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(2000, delivered.size(), "every reply reached its own IPv6 port");
        assertTrue(delivered.values().stream().allMatch(n -> n == 20), "each exactly 20 times: " + delivered);
        for (int i = 0; i < ports.length; i++) {
            assertEquals(20, delivered.get(20000 + i));
        }
    }
}
