package io.xlatbox.engine.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Opening, configuring and closing TUN devices inside a namespace of each test. */
@Tag("root")
@ExtendWith(RootRequirement.class)
class TunDeviceTest {

    @Test
    void singleQueueExistsWhileOpenAndGoesOnClose() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create()) {
            try (TunDevice tun = ns.open(name, 1)) {
                assertEquals(name, tun.name());
                assertEquals(1, tun.queues());
                assertFalse(tun.multiQueue());
                String link = ns.link(name);
                assertTrue(link.startsWith(tun.ifIndex() + ": " + name + ":"), link);
                assertTrue(link.contains("link/none"), "a layer-3 TUN device: " + link);
                String details = ns.ip("-d", "link", "show", "dev", name);
                assertTrue(details.contains("tun type tun pi off"), "IFF_TUN | IFF_NO_PI: " + details);
                assertFalse(details.contains("multi_queue"), details);
                assertNonBlocking(tun.queue(0));
                assertFalse(ScratchNamespace.run("ip", "link", "show", "dev", name).exit() == 0,
                        "the device is in the namespace, not in the test's own");
            }
            assertFalse(ns.hasLink(name), "a non-persistent device goes with its last descriptor");
        }
    }

    @Test
    void fourQueuesMakeAMultiQueueDevice() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create()) {
            try (TunDevice tun = ns.open(name, 4)) {
                assertEquals(4, tun.queues());
                assertTrue(tun.multiQueue());
                Set<Integer> fds = new HashSet<>();
                for (int i = 0; i < 4; i++) {
                    TunQueue q = tun.queue(i);
                    assertEquals(i, q.index());
                    assertNonBlocking(q);
                    fds.add(q.fd());
                }
                assertEquals(4, fds.size(), "a descriptor per queue");
                String details = ns.ip("-d", "link", "show", "dev", name);
                assertTrue(details.contains("multi_queue numqueues 4"), details);
            }
            assertFalse(ns.hasLink(name));
        }
    }

    @Test
    void singleQueueAttachesToAPersistentMultiQueueDevice() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create()) {
            ns.ip("tuntap", "add", "dev", name, "mode", "tun", "multi_queue");
            try (TunDevice tun = ns.open(name, 1, true)) {
                assertTrue(tun.multiQueue());
                assertTrue(ns.ip("-d", "link", "show", "dev", name).contains("numqueues 1"));
                // Without IFF_MULTI_QUEUE the kernel refuses to attach (tun_set_iff: the flag must match).
                TunException e = assertThrows(TunException.class, () -> ns.open(name, 1));
                assertEquals(LibC.EINVAL, e.errno());
                assertTrue(e.getMessage().startsWith(
                        "TUNSETIFF on '" + name + "': Invalid argument (EINVAL, errno 22)"), e.getMessage());
                assertTrue(e.getMessage().contains("multi-queue"), e.getMessage());
            }
            assertTrue(ns.hasLink(name), "a persistent device stays after its queues close");
        }
    }

    @Test
    void mtuAndUpStateAreApplied() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = ns.open(name, 2)) {
            assertFalse(tun.isUp());
            assertFalse(flags(ns.link(name)).contains("UP"), ns.link(name));

            tun.setMtu(1280);
            tun.setUp(true);
            String link = ns.link(name);
            assertTrue(link.contains(" mtu 1280 "), link);
            assertTrue(flags(link).contains("UP"), link);
            assertTrue(flags(link).contains("NOARP"), "other flags are kept: " + link);
            assertEquals(1280, tun.mtu());
            assertTrue(tun.isUp());

            tun.setMtu(9000);
            tun.setUp(false);
            link = ns.link(name);
            assertTrue(link.contains(" mtu 9000 "), link);
            assertFalse(flags(link).contains("UP"), link);
            assertFalse(tun.isUp());

            TunException tooSmall = assertThrows(TunException.class, () -> tun.setMtu(20));
            assertEquals(LibC.EINVAL, tooSmall.errno());
            assertTrue(tooSmall.getMessage().startsWith("SIOCSIFMTU on '" + name + "': Invalid argument"),
                    tooSmall.getMessage());
        }
    }

    @Test
    void controlCallsWorkFromOutsideTheNamespace() throws Exception {
        // The control socket was made inside the namespace, so this thread, back in its own, still reaches the
        // device; a device of the same name in the test's own namespace would not be touched.
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = ns.open(name, 1)) {
            Thread t = new Thread(() -> {
                try {
                    tun.setMtu(1400);
                    tun.setUp(true);
                } catch (TunException e) {
                    throw new IllegalStateException(e);
                }
            });
            t.start();
            t.join();
            assertTrue(ns.link(name).contains(" mtu 1400 "));
            assertEquals(Integer.parseInt(ns.link(name).split(":")[0]), tun.ifIndex());
        }
    }

    @Test
    void kernelNumbersATemplateName() throws Exception {
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice tun = ns.open("xt%d", 2)) {
            assertTrue(tun.name().matches("xt[0-9]+"), tun.name());
            assertTrue(ns.ip("-d", "link", "show", "dev", tun.name()).contains("numqueues 2"),
                    "both queues on the device the kernel named");
        }
    }

    @Test
    void callInRunsOnThisThreadInsideAndReturnsEvenOnException() throws Exception {
        long home = selfNamespace();
        try (ScratchNamespace ns = ScratchNamespace.create()) {
            long inside = ns.callIn(TunDeviceTest::selfNamespace);
            assertEquals(ns.inode(), inside);
            assertNotEquals(home, inside);
            assertEquals(home, selfNamespace());

            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> ns.callIn(() -> {
                throw new IllegalStateException("from inside");
            }));
            assertEquals("from inside", thrown.getMessage());
            assertEquals(home, selfNamespace(), "back home after the exception");

            assertEquals(home, (long) NetNamespace.callIn(null, TunDeviceTest::selfNamespace));
            assertEquals(home, (long) NetNamespace.callIn("", TunDeviceTest::selfNamespace));
        }
    }

    @Test
    void closedDeviceRefusesControlCalls() throws Exception {
        try (ScratchNamespace ns = ScratchNamespace.create()) {
            TunDevice tun = ns.open(ScratchNamespace.tunName(), 1);
            tun.close();
            tun.close(); // idempotent
            TunException e = assertThrows(TunException.class, () -> tun.setMtu(1400));
            assertEquals(LibC.EBADF, e.errno());
        }
    }

    static void assertNonBlocking(TunQueue q) {
        int flags = LibC.INSTANCE.fcntl(q.fd(), LibC.F_GETFL, 0);
        assertTrue(flags >= 0, "fcntl F_GETFL errno " + LibC.errno());
        assertTrue((flags & LibC.O_NONBLOCK) != 0, "queue " + q + " is O_NONBLOCK");
    }

    private static final Pattern FLAGS = Pattern.compile("<([^>]*)>");

    /** The interface flags of an {@code ip -o link} line, e.g. [POINTOPOINT, NOARP, UP, LOWER_UP]. */
    static Set<String> flags(String link) {
        Matcher m = FLAGS.matcher(link);
        assertTrue(m.find(), link);
        return Set.of(m.group(1).split(","));
    }

    /** Inode of this thread's network namespace. */
    static long selfNamespace() throws Exception {
        return (Long) java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/thread-self/ns/net"), "unix:ino");
    }
}
