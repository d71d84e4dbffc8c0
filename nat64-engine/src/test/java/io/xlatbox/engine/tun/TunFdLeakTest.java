package io.xlatbox.engine.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** 50 cycles of everything that opens descriptors, including the failures, leave /proc/self/fd as it was. */
@Tag("root")
@ExtendWith(RootRequirement.class)
class TunFdLeakTest {
    private static final int CYCLES = 50;

    @Test
    void openAndCloseFiftyTimes() throws Exception {
        try (ScratchNamespace ns = ScratchNamespace.create()) {
            String busy = ScratchNamespace.tunName();
            ns.ip("link", "add", busy + "v", "type", "veth", "peer", "name", busy + "p");
            try (TunDevice holder = ns.open(busy, 1)) {
                cycle(ns, busy); // class loading, jnr-ffi stubs: whatever opens files once does it here
                long before = openFds();
                for (int i = 0; i < CYCLES; i++) {
                    cycle(ns, busy);
                }
                long after = openFds();
                assertEquals(before, after, "descriptors open before and after " + CYCLES + " cycles");
                assertEquals(0, holder.queue(0).read(ByteBuffer.allocateDirect(64), 0, 64), "the held device works");
            }
        }
    }

    private static void cycle(ScratchNamespace ns, String busy) throws Exception {
        ByteBuffer b = ByteBuffer.allocateDirect(2048);
        try (TunDevice single = ns.open(ScratchNamespace.tunName(), 1);
                TunDevice multi = ns.open(ScratchNamespace.tunName(), 4);
                Wakeup wakeup = new Wakeup()) {
            single.setMtu(1400);
            single.setUp(true);
            multi.queue(3).read(b, 0, 2048);
            wakeup.signal();
            multi.queue(2).awaitReadable(wakeup, 0);
        }
        // Failures close what they opened: EBUSY after the control socket and one queue, EINVAL on the second
        // queue of a multi-queue open, ENOENT before anything.
        assertThrows(TunException.class, () -> ns.open(busy, 1));
        assertThrows(TunException.class, () -> ns.open(busy + "v", 4));
        assertThrows(TunException.class, () -> NetNamespace.callIn("xt-absent-namespace", () -> 1));
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
