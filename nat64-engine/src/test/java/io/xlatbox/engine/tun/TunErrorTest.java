package io.xlatbox.engine.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What the kernel refuses, and that the exception says which device, what was done and the errno. */
@Tag("root")
@ExtendWith(RootRequirement.class)
class TunErrorTest {

    @Test
    void nameOfAVethDevice() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create()) {
            ns.ip("link", "add", name, "type", "veth", "peer", "name", name + "p");
            TunException e = assertThrows(TunException.class, () -> ns.open(name, 1));
            // tun_set_iff: a device of that name that is not a TUN device gives EINVAL (EBUSY only with IFF_TUN_EXCL).
            assertEquals(LibC.EINVAL, e.errno());
            assertTrue(e.getMessage().startsWith("TUNSETIFF on '" + name + "': Invalid argument (EINVAL, errno 22); "
                    + "a device of that name exists and is not a TUN device"), e.getMessage());
            assertTrue(ns.link(name).contains("link/ether"), "the veth device is left alone");
        }
    }

    @Test
    void nameOfTheLoopback() throws Exception {
        try (ScratchNamespace ns = ScratchNamespace.create()) {
            TunException e = assertThrows(TunException.class, () -> ns.open("lo", 1));
            assertEquals(LibC.EINVAL, e.errno());
            assertTrue(e.getMessage().startsWith("TUNSETIFF on 'lo': Invalid argument (EINVAL, errno 22); "
                    + "a device of that name exists"), e.getMessage());
        }
    }

    @Test
    void nameOfAVethDeviceWithMultiQueue() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create()) {
            ns.ip("link", "add", name, "type", "veth", "peer", "name", name + "p");
            TunException e = assertThrows(TunException.class, () -> ns.open(name, 3));
            assertEquals(LibC.EINVAL, e.errno());
            assertTrue(e.getMessage().startsWith("TUNSETIFF on '" + name + "': Invalid argument (EINVAL, errno 22)"),
                    e.getMessage());
            assertTrue(ns.hasLink(name) && ns.hasLink(name + "p"));
        }
    }

    @Test
    void singleQueueDeviceAlreadyOpen() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice first = ns.open(name, 1)) {
            TunException e = assertThrows(TunException.class, () -> ns.open(name, 1));
            assertEquals(LibC.EBUSY, e.errno());
            assertTrue(e.getMessage().startsWith("TUNSETIFF on '" + name
                    + "': Device or resource busy (EBUSY, errno 16)"), e.getMessage());
            assertTrue(ns.hasLink(name), "the first device is unharmed");
            assertEquals(0, first.queue(0).read(java.nio.ByteBuffer.allocateDirect(64), 0, 64));
        }
    }

    @Test
    void failedMultiQueueOpenLeavesNothingBehind() throws Exception {
        String name = ScratchNamespace.tunName();
        try (ScratchNamespace ns = ScratchNamespace.create(); TunDevice single = ns.open(name, 1)) {
            // The single-queue device refuses the multi-queue attach; a different name would have been created.
            assertEquals(LibC.EINVAL, assertThrows(TunException.class, () -> ns.open(name, 4)).errno());
            assertEquals(1, single.queues());
            assertTrue(ns.ip("-d", "link", "show", "dev", name).contains("tun type tun"));
        }
    }

    @Test
    void namespaceThatDoesNotExist() {
        String missing = "xt-missing-" + Long.toHexString(System.nanoTime());
        TunException e = assertThrows(TunException.class,
                () -> NetNamespace.callIn(missing, () -> TunDevice.open("xt0", 1)));
        assertEquals(LibC.ENOENT, e.errno());
        assertEquals("network namespace '" + missing + "': open /var/run/netns/" + missing
                + ": No such file or directory (ENOENT, errno 2); no such namespace (ip netns add " + missing + ")",
                e.getMessage());
        assertFalse(ScratchNamespace.run("ip", "link", "show", "dev", "xt0").exit() == 0,
                "nothing was opened in the test's own namespace instead");
    }

    @Test
    void namespaceFileThatIsNotANamespace() throws Exception {
        // ip netns add makes an empty file before bind-mounting; an unmounted one is a plain file.
        String fake = "xt-fake-" + Long.toHexString(System.nanoTime());
        java.nio.file.Path p = java.nio.file.Path.of(NetNamespace.RUN_DIR + fake);
        java.nio.file.Files.createDirectories(p.getParent());
        java.nio.file.Files.createFile(p);
        try {
            TunException e = assertThrows(TunException.class, () -> NetNamespace.callIn(fake, () -> 1));
            assertEquals(LibC.EINVAL, e.errno());
            assertTrue(e.getMessage().startsWith("setns into network namespace '" + fake + "': Invalid argument"),
                    e.getMessage());
        } finally {
            java.nio.file.Files.deleteIfExists(p);
        }
    }
}
