package io.xlatbox.engine.tun;

import static io.xlatbox.engine.tun.TunIoTest.LOCAL4;
import static io.xlatbox.engine.tun.TunIoTest.PEER4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * read, write and awaitReadable allocate nothing: after a warm-up that lets the JIT compile the calls (and jnr-ffi's
 * generated stubs), 100,000 of each are measured with HotSpot's per-thread allocation counter. The bound (4 KB)
 * only tolerates noise such as a late deoptimization; one 16-byte object per call would be 1.6 MB.
 */
@Tag("root")
@ExtendWith(RootRequirement.class)
class TunAllocationTest {
    private static final int WARMUP = Integer.getInteger("tun.allocation.warmup", 50_000);
    private static final int MEASURED = Integer.getInteger("tun.allocation.measured", 100_000);
    private static final long BOUND = 4096;
    private static final int PAYLOAD = 56;

    private static com.sun.management.ThreadMXBean threads;

    @BeforeAll
    static void meter() {
        threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "per-thread allocation counter not supported");
        threads.setThreadAllocatedMemoryEnabled(true);
    }

    private static long allocated() {
        return threads.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    @Test
    void meterSeesAllocations() {
        Object[] keep = new Object[1];
        long before = allocated();
        for (int i = 0; i < 10_000; i++) {
            keep[0] = new byte[16];
        }
        assertTrue(allocated() - before >= 10_000 * 16);
    }

    @Test
    void emptyReadsAllocateNothing() throws Exception {
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = ns.open(ScratchNamespace.tunName(), 1)) {
            TunQueue q = tun.queue(0);
            ByteBuffer in = ByteBuffer.allocateDirect(2048);
            PacketBuffer pin = PacketBuffer.allocate(2048);
            long got = emptyReads(q, in, pin, WARMUP);
            long before = allocated();
            got += emptyReads(q, in, pin, MEASURED);
            long bytes = allocated() - before;
            assertEquals(0, got, "nothing to read: every read returned 0 (EAGAIN)");
            assertAllocationFree("read returning 0 (EAGAIN), ByteBuffer and PacketBuffer", bytes);
        }
    }

    private static long emptyReads(TunQueue q, ByteBuffer in, PacketBuffer pin, int n) throws TunException {
        long got = 0;
        for (int i = 0; i < n; i++) {
            got += q.read(in, 0, 2048);
            got += q.read(pin, 0, 2048);
        }
        return got;
    }

    @Test
    void echoRoundTripsAllocateNothing() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = TunIoTest.addressed(ns, name, 1, false);
                Wakeup wakeup = new Wakeup()) {
            TunQueue q = tun.queue(0);
            ByteBuffer out = ByteBuffer.allocateDirect(2048);
            ByteBuffer in = ByteBuffer.allocateDirect(2048);
            int len = EchoPackets.ipv4Request(out, 0, PEER4, LOCAL4, 0x5151, 1, PAYLOAD);
            roundTrips(q, wakeup, out, in, len, WARMUP);
            long before = allocated();
            long replies = roundTrips(q, wakeup, out, in, len, MEASURED);
            long bytes = allocated() - before;
            System.out.println("[tun allocation] " + replies + " echo replies over " + MEASURED + " round trips");
            assertTrue(replies >= MEASURED * 99L / 100, "the kernel answered (nearly) every request: " + replies);
            assertAllocationFree("write + awaitReadable + read (ByteBuffer)", bytes);
        }
    }

    @Test
    void packetBufferRoundTripsAllocateNothing() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = TunIoTest.addressed(ns, name, 2, false);
                Wakeup wakeup = new Wakeup()) {
            TunQueue q = tun.queue(1);
            PacketBuffer out = PacketBuffer.allocate(2048);
            PacketBuffer in = PacketBuffer.allocate(2048);
            int len = EchoPackets.ipv4Request(out.buffer(), 0, PEER4, LOCAL4, 0x5252, 1, PAYLOAD);
            roundTrips(tun, wakeup, q, out, in, len, WARMUP);
            long before = allocated();
            long replies = roundTrips(tun, wakeup, q, out, in, len, MEASURED);
            long bytes = allocated() - before;
            assertTrue(replies >= MEASURED * 99L / 100, "replies " + replies);
            assertAllocationFree("write + awaitReadable + read (PacketBuffer, multi-queue)", bytes);
        }
    }

    /** Writes the request and reads the reply n times; returns how many replies matched. */
    private static long roundTrips(TunQueue q, Wakeup wakeup, ByteBuffer out, ByteBuffer in, int len, int n)
            throws TunException {
        long replies = 0;
        for (int i = 0; i < n; i++) {
            if (!q.write(out, 0, len)) {
                continue;
            }
            if (q.awaitReadable(wakeup, 1000)) {
                int got = q.read(in, 0, 2048);
                if (got == len && EchoPackets.isIpv4Reply(in, 0, got, LOCAL4, PEER4, 0x5151, 1, PAYLOAD)) {
                    replies++;
                }
            }
        }
        return replies;
    }

    /** The same over a multi-queue device: the reply may come out of any queue, so all are read. */
    private static long roundTrips(TunDevice tun, Wakeup wakeup, TunQueue q, PacketBuffer out, PacketBuffer in,
            int len, int n) throws TunException {
        long replies = 0;
        int queues = tun.queues();
        for (int i = 0; i < n; i++) {
            if (!q.write(out, 0, len)) {
                continue;
            }
            for (int attempt = 0; attempt < 1000; attempt++) {
                int got = 0;
                for (int k = 0; k < queues && got == 0; k++) {
                    got = tun.queue(k).read(in, 0, 2048);
                }
                if (got > 0) {
                    if (got == len && EchoPackets.isIpv4Reply(in.buffer(), 0, got, LOCAL4, PEER4, 0x5252, 1, PAYLOAD)) {
                        replies++;
                    }
                    break;
                }
                tun.queue(0).awaitReadable(wakeup, 1);
            }
        }
        return replies;
    }

    private static void assertAllocationFree(String what, long bytes) {
        System.out.println("[tun allocation] " + what + ": " + bytes + " bytes over " + MEASURED + " iterations");
        assertTrue(bytes < BOUND, what + ": " + bytes + " bytes allocated over " + MEASURED + " iterations ("
                + (bytes / (double) MEASURED) + " per iteration)");
    }
}
