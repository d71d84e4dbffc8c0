package io.xlatbox.engine.tun;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A Linux TUN device (layer 3, IFF_TUN | IFF_NO_PI) with one or more queues, each its own non-blocking file
 * descriptor on /dev/net/tun (kernel Documentation/networking/tuntap.rst, §3.1 "Network device allocation" and
 * §3.3 "Multiqueue tuntap interface").
 *
 * <p>The device lives in the network namespace of the thread that opened it (see {@link NetNamespace#callIn});
 * its queues, and the control socket kept for {@link #setMtu} and {@link #setUp}, keep working there from any
 * thread. A device this class creates is not persistent: it disappears when {@link #close()} closes the last
 * descriptor. Opening an existing device (e.g. one made by {@code ip tuntap add mode tun}) attaches to it and
 * leaves it in place on close.
 */
public final class TunDevice implements AutoCloseable {
    private static final Syscalls LIBC = LibC.INSTANCE;
    private static final String CLONE_DEVICE = "/dev/net/tun";
    /** MAX_TAP_QUEUES in drivers/net/tun.c. */
    private static final int MAX_QUEUES = 256;

    private final String name;
    private final boolean multiQueue;
    private final TunQueue[] queues;
    private final int controlFd;
    private final int ifIndex;
    /** struct ifreq for the control ioctls; guarded by this. */
    private final ByteBuffer ifreq;
    private final long ifreqAddress;
    private boolean closed;

    private TunDevice(String name, boolean multiQueue, TunQueue[] queues, int controlFd, ByteBuffer ifreq,
            int ifIndex) {
        this.name = name;
        this.multiQueue = multiQueue;
        this.queues = queues;
        this.controlFd = controlFd;
        this.ifreq = ifreq;
        this.ifreqAddress = PacketBuffer.addressOf(ifreq);
        this.ifIndex = ifIndex;
    }

    /** Opens {@code name} with {@code queues} queues, multi-queue when there is more than one. */
    public static TunDevice open(String name, int queues) throws TunException {
        return open(name, queues, queues > 1);
    }

    /**
     * Opens (creating it if needed) the TUN device {@code name} with {@code queues} queues. {@code multiQueue}
     * sets IFF_MULTI_QUEUE, which must match an existing device: a single queue can attach to a multi-queue
     * device that way. {@code name} may hold one {@code %d} for the kernel to number it; {@link #name()} tells the
     * result.
     *
     * @throws TunException with the errno, e.g. EPERM without CAP_NET_ADMIN, EBUSY when a single-queue TUN device
     *         of that name is already open, EINVAL when the name is taken by another kind of device
     * @throws IllegalArgumentException for an invalid name or queue count
     */
    public static TunDevice open(String name, int queues, boolean multiQueue) throws TunException {
        return open(name, queues, multiQueue, false);
    }

    /**
     * As {@link #open(String, int, boolean)}; with {@code vnetHeader}, IFF_VNET_HDR: every read and write starts
     * with a 10-byte {@code struct virtio_net_hdr} (tuntap.rst, include/uapi/linux/virtio_net.h), which carries
     * the offload state of the packet (GSO type and size, partial checksum). See {@link #setOffload(int)}.
     */
    public static TunDevice open(String name, int queues, boolean multiQueue, boolean vnetHeader)
            throws TunException {
        byte[] requested = validateName(name);
        if (queues < 1 || queues > MAX_QUEUES) {
            throw new IllegalArgumentException("queues must be 1 to " + MAX_QUEUES + ", not " + queues);
        }
        if (queues > 1 && !multiQueue) {
            throw new IllegalArgumentException(queues + " queues need a multi-queue device");
        }
        ByteBuffer ifreq = ByteBuffer.allocateDirect(LibC.IFREQ_SIZE).order(ByteOrder.nativeOrder());
        long ifreqAddress = PacketBuffer.addressOf(ifreq);
        // The control socket is made first, in the same namespace as the device: ioctls on it find the device
        // by name in the socket's namespace, whichever thread calls later.
        int control = LIBC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (control < 0) {
            throw new TunException("socket(AF_INET, SOCK_DGRAM) for '" + name + "'", LibC.errno());
        }
        int[] fds = new int[queues];
        Arrays.fill(fds, -1);
        int opened = 0;
        String actual = name;
        try {
            short flags = (short) (LibC.IFF_TUN | LibC.IFF_NO_PI | (multiQueue ? LibC.IFF_MULTI_QUEUE : 0)
                    | (vnetHeader ? LibC.IFF_VNET_HDR : 0));
            byte[] want = requested;
            for (; opened < queues; opened++) {
                int fd = LIBC.open(CLONE_DEVICE, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
                if (fd < 0) {
                    int errno = LibC.errno();
                    throw new TunException("open " + CLONE_DEVICE, errno, errno == LibC.ENOENT
                            ? "the tun module is not loaded, or /dev/net/tun was not created (char 10,200)"
                            : null);
                }
                fds[opened] = fd;
                ifreqName(ifreq, want);
                ifreq.putShort(LibC.IFREQ_UNION, flags);
                if (LIBC.ioctl(fd, LibC.TUNSETIFF, ifreqAddress) < 0) {
                    int errno = LibC.errno();
                    throw new TunException("TUNSETIFF on '" + actual + "'", errno,
                            hint(errno, control, ifreq, ifreqAddress, want, multiQueue));
                }
                // The kernel writes back the name it used, which differs for a "%d" template: later queues
                // must attach to that device, not make another one.
                if (opened == 0) {
                    actual = ifreqName(ifreq);
                    want = actual.getBytes(StandardCharsets.UTF_8);
                }
            }
            int index = ifIndex(control, ifreq, ifreqAddress, want, actual);
            TunQueue[] q = new TunQueue[queues];
            for (int i = 0; i < queues; i++) {
                q[i] = new TunQueue(actual, i, fds[i]);
            }
            return new TunDevice(actual, multiQueue, q, control, ifreq, index);
        } catch (TunException | RuntimeException | Error e) {
            // Whatever was opened goes: the device too, if this call created it.
            for (int fd : fds) {
                if (fd >= 0) {
                    LIBC.close(fd);
                }
            }
            LIBC.close(control);
            throw e;
        }
    }

    /** The device's name, as the kernel has it. */
    public String name() {
        return name;
    }

    /** Whether the device was opened with IFF_MULTI_QUEUE. */
    public boolean multiQueue() {
        return multiQueue;
    }

    public int queues() {
        return queues.length;
    }

    public TunQueue queue(int i) {
        return queues[i];
    }

    /** The interface index (SIOCGIFINDEX), found when the device was opened. */
    public int ifIndex() {
        return ifIndex;
    }

    /**
     * Tells the kernel which offloads the reader handles (TUNSETOFFLOAD): with TUN_F_CSUM it may hand over
     * packets whose transport checksum is left partial, with TUN_F_TSO4/6 TCP super-packets of up to 64 KB, with
     * TUN_F_USO4/6 UDP ones. Needs a device opened with a virtio-net header.
     *
     * @throws TunException EINVAL when the kernel does not know a flag (USO before Linux 6.2)
     */
    public synchronized void setOffload(int tunFlags) throws TunException {
        if (LIBC.ioctl(queues[0].fd(), LibC.TUNSETOFFLOAD, tunFlags) < 0) {
            throw new TunException("TUNSETOFFLOAD 0x" + Integer.toHexString(tunFlags) + " on '" + name + "'",
                    LibC.errno());
        }
    }

    /** Sets the MTU (SIOCSIFMTU). The kernel takes 68 to 65535 for a TUN device. */
    public synchronized void setMtu(int mtu) throws TunException {
        control(LibC.SIOCSIFMTU, "SIOCSIFMTU", mtu);
    }

    /**
     * Sets the transmit queue length (SIOCSIFTXQLEN): for a TUN, the packets the kernel holds for the reader
     * before it drops (500 by default).
     */
    public synchronized void setTxQueueLength(int packets) throws TunException {
        control(LibC.SIOCSIFTXQLEN, "SIOCSIFTXQLEN", packets);
    }

    /** The MTU (SIOCGIFMTU). */
    public synchronized int mtu() throws TunException {
        control(LibC.SIOCGIFMTU, "SIOCGIFMTU", 0);
        return ifreq.getInt(LibC.IFREQ_UNION);
    }

    /** Brings the device up or down (IFF_UP through SIOCGIFFLAGS / SIOCSIFFLAGS), keeping its other flags. */
    public synchronized void setUp(boolean up) throws TunException {
        control(LibC.SIOCGIFFLAGS, "SIOCGIFFLAGS", 0);
        short flags = ifreq.getShort(LibC.IFREQ_UNION);
        flags = (short) (up ? flags | LibC.IFF_UP : flags & ~LibC.IFF_UP);
        control(LibC.SIOCSIFFLAGS, "SIOCSIFFLAGS", flags);
    }

    /** Whether IFF_UP is set (SIOCGIFFLAGS). */
    public synchronized boolean isUp() throws TunException {
        control(LibC.SIOCGIFFLAGS, "SIOCGIFFLAGS", 0);
        return (ifreq.getShort(LibC.IFREQ_UNION) & LibC.IFF_UP) != 0;
    }

    /**
     * Closes every queue and the control socket. A device this class created disappears with its last queue;
     * a persistent one stays. Stop the threads that use the queues first.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (TunQueue q : queues) {
            q.close();
        }
        LIBC.close(controlFd);
    }

    @Override
    public String toString() {
        return "TunDevice['" + name + "', " + queues.length + (queues.length == 1 ? " queue" : " queues")
                + (multiQueue ? ", multi-queue" : "") + "]";
    }

    /** One control ioctl with the device's name and an int (or short) value at the start of the union. */
    private void control(long request, String what, int value) throws TunException {
        if (closed) {
            throw new TunException(what + " on '" + name + "': device closed", LibC.EBADF);
        }
        ifreqName(ifreq, name.getBytes(StandardCharsets.UTF_8));
        if (request == LibC.SIOCSIFFLAGS) {
            ifreq.putShort(LibC.IFREQ_UNION, (short) value);
        } else {
            ifreq.putInt(LibC.IFREQ_UNION, value);
        }
        if (LIBC.ioctl(controlFd, request, ifreqAddress) < 0) {
            throw new TunException(what + " on '" + name + "'", LibC.errno());
        }
    }

    private static int ifIndex(int control, ByteBuffer ifreq, long address, byte[] name, String shown)
            throws TunException {
        ifreqName(ifreq, name);
        if (LIBC.ioctl(control, LibC.SIOCGIFINDEX, address) < 0) {
            throw new TunException("SIOCGIFINDEX on '" + shown + "'", LibC.errno());
        }
        return ifreq.getInt(LibC.IFREQ_UNION);
    }

    /** What the kernel's terse errno for TUNSETIFF most likely means here (drivers/net/tun.c, tun_set_iff). */
    private static String hint(int errno, int control, ByteBuffer ifreq, long address, byte[] name,
            boolean multiQueue) {
        switch (errno) {
            case LibC.EBUSY:
                return "a single-queue TUN device of that name is already open";
            case LibC.EPERM:
                return "needs CAP_NET_ADMIN, or to be the owner or group of the persistent device";
            case LibC.EINVAL:
                ifreqName(ifreq, name);
                if (LIBC.ioctl(control, LibC.SIOCGIFINDEX, address) < 0) {
                    return null; // no such device: the name or flags themselves were refused
                }
                return "a device of that name exists and is not a TUN device, or is a TUN device that is "
                        + (multiQueue ? "not multi-queue" : "multi-queue");
            case 7: // E2BIG
                return "the device already has the maximum of " + MAX_QUEUES + " queues";
            default:
                return null;
        }
    }

    /** Name rules of dev_valid_name() (net/core/dev.c): 1 to 15 bytes, not "." or "..", no '/', ':' or space. */
    static byte[] validateName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("TUN device name must not be empty");
        }
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > LibC.IFNAMSIZ - 1) {
            throw new IllegalArgumentException("TUN device name '" + name + "' is longer than "
                    + (LibC.IFNAMSIZ - 1) + " bytes");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("TUN device name must not be '" + name + "'");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw new IllegalArgumentException("TUN device name '" + name
                        + "' must not contain '/', ':', whitespace or control characters");
            }
        }
        return bytes;
    }

    /** Writes a NUL-padded name into ifr_name and zeroes the union. */
    private static void ifreqName(ByteBuffer ifreq, byte[] name) {
        for (int i = 0; i < LibC.IFREQ_SIZE; i++) {
            ifreq.put(i, i < name.length ? name[i] : 0);
        }
    }

    /** Reads ifr_name back. */
    private static String ifreqName(ByteBuffer ifreq) {
        int n = 0;
        while (n < LibC.IFNAMSIZ && ifreq.get(n) != 0) {
            n++;
        }
        byte[] b = new byte[n];
        ifreq.get(0, b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
