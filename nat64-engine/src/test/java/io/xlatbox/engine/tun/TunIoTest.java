package io.xlatbox.engine.tun;

import static io.xlatbox.engine.tun.EchoPackets.addr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Packets through TUN queues: echo requests written to the device reach the namespace's kernel, whose replies
 * come back out of the device; the non-blocking read, poll and wakeup around that.
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
class TunIoTest {
    static final byte[] LOCAL4 = addr("192.0.2.1");
    static final byte[] PEER4 = addr("192.0.2.2");
    static final byte[] LOCAL6 = addr("2001:db8::1");
    static final byte[] PEER6 = addr("2001:db8::2");
    static final int MTU = 1500;

    /**
     * A device that owns 192.0.2.1/24 and 2001:db8::1/64 in the namespace: "peer" packets come in through the TUN.
     * Without IPv6 (disabled before the device is up) the kernel sends nothing of its own through it.
     */
    static TunDevice addressed(ScratchNamespace ns, String name, int queues, boolean ipv6) throws Exception {
        TunDevice tun = ns.open(name, queues);
        try {
            tun.setMtu(MTU);
            if (!ipv6) {
                ns.exec("sysctl", "-q", "-w", "net.ipv6.conf." + name + ".disable_ipv6=1");
            }
            tun.setUp(true);
            ns.ip("link", "set", "dev", "lo", "up");
            ns.ip("addr", "add", "192.0.2.1/24", "dev", name);
            if (ipv6) {
                ns.ip("-6", "addr", "add", "2001:db8::1/64", "dev", name, "nodad");
            }
            return tun;
        } catch (Exception | Error e) {
            tun.close();
            throw e;
        }
    }

    @Test
    void ipv4EchoRequestIsAnsweredByTheKernel() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = addressed(ns, name, 1, false);
                Wakeup wakeup = new Wakeup()) {
            TunQueue q = tun.queue(0);
            ByteBuffer out = ByteBuffer.allocateDirect(2048);
            ByteBuffer in = ByteBuffer.allocateDirect(2048);
            for (int seq = 1; seq <= 3; seq++) {
                int len = EchoPackets.ipv4Request(out, 64, PEER4, LOCAL4, 0x4242, seq, 100 * seq);
                assertTrue(q.write(out, 64, len));
                int s = seq;
                assertTrue(awaitPacket(q, wakeup, in, 32, n -> EchoPackets.isIpv4Reply(in, 32, n, LOCAL4, PEER4,
                        0x4242, s, 100 * s)), "echo reply " + seq);
            }
            String counters = ns.exec("nstat", "-asz", "IcmpInEchos", "IcmpOutEchoReps");
            assertTrue(counters.matches("(?s).*IcmpInEchos\\s+3\\s.*"), counters);
            assertTrue(counters.matches("(?s).*IcmpOutEchoReps\\s+3\\s.*"), counters);
        }
    }

    @Test
    void ipv6EchoRequestIsAnsweredByTheKernel() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = addressed(ns, name, 1, true);
                Wakeup wakeup = new Wakeup()) {
            TunQueue q = tun.queue(0);
            PacketBuffer out = PacketBuffer.allocate(2048);
            ByteBuffer in = ByteBuffer.allocateDirect(2048);
            int len = EchoPackets.ipv6Request(out.buffer(), 0, PEER6, LOCAL6, 0x6666, 7, 1200);
            assertTrue(q.write(out, 0, len));
            // The kernel also sends its own IPv6 packets (MLD reports, router solicitations): skip those.
            assertTrue(awaitPacket(q, wakeup, in, 0,
                    n -> EchoPackets.isIpv6Reply(in, 0, n, LOCAL6, PEER6, 0x6666, 7, 1200)), "ICMPv6 echo reply");
        }
    }

    @Test
    void everyQueueOfAMultiQueueDeviceCarriesPackets() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = addressed(ns, name, 4, false)) {
            PacketBuffer out = PacketBuffer.allocate(2048);
            PacketBuffer in = PacketBuffer.allocate(2048);
            for (int i = 0; i < 4; i++) {
                int len = EchoPackets.ipv4Request(out.buffer(), 0, PEER4, LOCAL4, 0x100 + i, i, 56);
                assertTrue(tun.queue(i).write(out, 0, len), "write on queue " + i);
            }
            // Replies leave on whichever queue the kernel's flow hash picks: collect them from all.
            boolean[] seen = new boolean[4];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            int found = 0;
            while (found < 4 && System.nanoTime() < deadline) {
                for (int qi = 0; qi < 4; qi++) {
                    int n;
                    while ((n = tun.queue(qi).read(in, 0, 2048)) > 0) {
                        for (int i = 0; i < 4; i++) {
                            if (!seen[i]
                                    && EchoPackets.isIpv4Reply(in.buffer(), 0, n, LOCAL4, PEER4, 0x100 + i, i, 56)) {
                                seen[i] = true;
                                found++;
                            }
                        }
                    }
                }
                Thread.sleep(1);
            }
            assertEquals(4, found, "a reply to the request written on each queue");
        }
    }

    @Test
    void readReturnsZeroWhenNothingWaits() throws Exception {
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = ns.open(ScratchNamespace.tunName(), 2)) {
            ByteBuffer in = ByteBuffer.allocateDirect(2048);
            for (int i = 0; i < 2; i++) {
                assertEquals(0, tun.queue(i).read(in, 0, 2048), "down: nothing is routed to it");
                assertEquals(0, tun.queue(i).read(PacketBuffer.wrap(in), 100, 1000));
            }
            ns.exec("sysctl", "-q", "-w", "net.ipv6.conf." + tun.name() + ".disable_ipv6=1"); // no MLD, no RS
            tun.setUp(true);
            for (int i = 0; i < 2; i++) {
                assertEquals(0, tun.queue(i).read(in, 0, 2048), "up, no traffic");
            }
        }
    }

    @Test
    void aPacketLongerThanTheBufferIsCutToIt() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = addressed(ns, name, 1, false);
                Wakeup wakeup = new Wakeup()) {
            ByteBuffer b = ByteBuffer.allocateDirect(2048);
            int len = EchoPackets.ipv4Request(b, 0, PEER4, LOCAL4, 1, 1, 200);
            assertTrue(tun.queue(0).write(b, 0, len));
            assertTrue(tun.queue(0).awaitReadable(wakeup, 5000));
            // With IFF_NO_PI the kernel copies what fits, drops the rest and reports only what it copied.
            assertEquals(64, tun.queue(0).read(b, 1000, 64));
            assertEquals(LOCAL4[0], b.get(1000 + 12), "the head of the reply");
            assertEquals(0, tun.queue(0).read(b, 0, 2048), "the rest is gone, not left for the next read");
        }
    }

    @Test
    void awaitReadableTimesOutAndWakesOnSignal() throws Exception {
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = ns.open(ScratchNamespace.tunName(), 2);
                Wakeup wakeup = new Wakeup()) {
            long t0 = System.nanoTime();
            assertFalse(tun.queue(0).awaitReadable(wakeup, 150));
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(waited >= 140, "waited " + waited + " ms");
            assertFalse(tun.queue(1).awaitReadable(null, 20), "without a wakeup too");

            // Two threads block on their own queues; one signal wakes both.
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                CountDownLatch started = new CountDownLatch(2);
                Future<Long> a = pool.submit(() -> timedWait(tun.queue(0), wakeup, started));
                Future<Long> b = pool.submit(() -> timedWait(tun.queue(1), wakeup, started));
                assertTrue(started.await(5, TimeUnit.SECONDS));
                Thread.sleep(100); // let both reach poll(2)
                wakeup.signal();
                assertTrue(a.get(5, TimeUnit.SECONDS) < 5_000, "queue 0 woke");
                assertTrue(b.get(5, TimeUnit.SECONDS) < 5_000, "queue 1 woke");
            } finally {
                pool.shutdownNow();
            }

            // The signal stays until reset.
            t0 = System.nanoTime();
            assertFalse(tun.queue(0).awaitReadable(wakeup, 10_000));
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "still signalled");
            wakeup.reset();
            t0 = System.nanoTime();
            assertFalse(tun.queue(0).awaitReadable(wakeup, 100));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(90), "reset: waits again");

        }
    }

    @Test
    void closingAWakeupWakesWaitersForGood() throws Exception {
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = ns.open(ScratchNamespace.tunName(), 1)) {
            Wakeup closing = new Wakeup();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                CountDownLatch started = new CountDownLatch(1);
                Future<Long> waiter = pool.submit(() -> timedWait(tun.queue(0), closing, started));
                assertTrue(started.await(5, TimeUnit.SECONDS));
                Thread.sleep(100);
                closing.close(); // signals before it closes the eventfd
                assertTrue(waiter.get(5, TimeUnit.SECONDS) < 5_000);
            } finally {
                pool.shutdownNow();
                closing.close();
            }
            long t0 = System.nanoTime();
            assertFalse(tun.queue(0).awaitReadable(closing, 10_000));
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "closed counts as signalled");
            closing.signal(); // no-ops once closed
            closing.reset();
        }
    }

    @Test
    void awaitReadableSeesAPacketEvenWhenSignalled() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = addressed(ns, name, 1, false);
                Wakeup wakeup = new Wakeup()) {
            ByteBuffer b = ByteBuffer.allocateDirect(2048);
            assertTrue(tun.queue(0).write(b, 0, EchoPackets.ipv4Request(b, 0, PEER4, LOCAL4, 9, 9, 8)));
            assertTrue(tun.queue(0).awaitReadable(wakeup, 5000));
            wakeup.signal();
            assertTrue(tun.queue(0).awaitReadable(wakeup, 5000), "readable wins over the wakeup");
            assertTrue(tun.queue(0).read(b, 0, 2048) > 0);
            assertFalse(tun.queue(0).awaitReadable(wakeup, 5000), "then the wakeup");
        }
    }

    @Test
    void writeErrorsThrowWithTheErrno() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = addressed(ns, name, 1, false)) {
            ByteBuffer b = ByteBuffer.allocateDirect(256);
            b.put(0, (byte) 0x12); // neither IPv4 nor IPv6
            TunException garbage = assertThrows(TunException.class, () -> tun.queue(0).write(b, 0, 40));
            assertEquals(LibC.EINVAL, garbage.errno());
            assertEquals("write on '" + name + "' queue 0: Invalid argument (EINVAL, errno 22)", garbage.getMessage());

            int len = EchoPackets.ipv4Request(b, 0, PEER4, LOCAL4, 1, 1, 8);
            tun.setUp(false);
            TunException down = assertThrows(TunException.class, () -> tun.queue(0).write(b, 0, len));
            assertEquals(5, down.errno(), "EIO while the device is down: " + down.getMessage());
            tun.setUp(true);
            assertTrue(tun.queue(0).write(b, 0, len));
        }
    }

    @Test
    void buffersAreCheckedAndAddressedCorrectly() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = addressed(ns, name, 1, false);
                Wakeup wakeup = new Wakeup()) {
            TunQueue q = tun.queue(0);
            ByteBuffer small = ByteBuffer.allocateDirect(100);
            assertThrows(IndexOutOfBoundsException.class, () -> q.read(small, 50, 51));
            assertThrows(IndexOutOfBoundsException.class, () -> q.write(small, -1, 10));
            assertThrows(IllegalArgumentException.class, () -> q.read(ByteBuffer.allocate(100), 0, 100));
            assertThrows(IllegalArgumentException.class, () -> q.read(small.asReadOnlyBuffer(), 0, 100));

            // More buffers than the queue remembers, and slices (whose index 0 is not the parent's): every round
            // trip must land where it was asked to.
            ByteBuffer parent = ByteBuffer.allocateDirect(8 * 4096);
            ByteBuffer[] buffers = new ByteBuffer[7];
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = i % 2 == 0 ? ByteBuffer.allocateDirect(2048)
                        : parent.slice(i * 4096 + 3, 2048);
            }
            for (int round = 0; round < 3 * buffers.length; round++) {
                ByteBuffer out = buffers[round % buffers.length];
                ByteBuffer in = buffers[(round + 3) % buffers.length];
                int off = 11 + round;
                int len = EchoPackets.ipv4Request(out, off, PEER4, LOCAL4, 77, round, 300);
                assertTrue(q.write(out, off, len));
                int r = round;
                assertTrue(awaitPacket(q, wakeup, in, 5,
                        n -> EchoPackets.isIpv4Reply(in, 5, n, LOCAL4, PEER4, 77, r, 300)), "round " + round);
            }
        }
    }

    @Test
    void closedQueueRefusesIo() throws Exception {
        try (ScratchNamespace ns = ScratchNamespace.create()) {
            TunDevice tun = ns.open(ScratchNamespace.tunName(), 1);
            TunQueue q = tun.queue(0);
            tun.close();
            ByteBuffer b = ByteBuffer.allocateDirect(64);
            assertEquals(LibC.EBADF, assertThrows(TunException.class, () -> q.read(b, 0, 64)).errno());
            assertEquals(LibC.EBADF, assertThrows(TunException.class, () -> q.write(b, 0, 20)).errno());
            assertEquals(LibC.EBADF, assertThrows(TunException.class, () -> q.awaitReadable(null, 0)).errno());
        }
    }

    @FunctionalInterface
    interface Match {
        boolean test(int length);
    }

    /** Waits for packets on {@code q} until one matches (true) or 5 s pass (false); skips others. */
    static boolean awaitPacket(TunQueue q, Wakeup wakeup, ByteBuffer in, int off, Match match) throws TunException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (!q.awaitReadable(wakeup, 100)) {
                continue;
            }
            int n;
            while ((n = q.read(in, off, in.capacity() - off)) > 0) {
                if (match.test(n)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static long timedWait(TunQueue q, Wakeup wakeup, CountDownLatch started) throws TunException {
        started.countDown();
        long t0 = System.nanoTime();
        if (q.awaitReadable(wakeup, 30_000)) {
            fail("nothing was written, yet " + q + " was readable");
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }
}
