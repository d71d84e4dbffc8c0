package io.xlatbox.engine.lan;

import io.xlatbox.engine.tun.LibCLoader;
import io.xlatbox.engine.tun.NetNamespace;
import io.xlatbox.engine.tun.PacketBuffer;
import io.xlatbox.engine.tun.Syscalls;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A raw ICMPv6 socket on one LAN interface, set up as a router's Neighbor Discovery socket, plus an eventfd that
 * wakes the thread polling it. Opened in a network namespace (the socket stays there), bound to the interface
 * (SO_BINDTODEVICE), sending with hop limit 255 (RFC 4861 §6.1.2 makes receivers drop anything else), passing only
 * Router Solicitations up (ICMP6_FILTER), member of all-routers ff02::2 on the interface (the kernel joins it itself
 * only when the interface forwards), telling the hop limit of each packet received (IPV6_RECVHOPLIMIT), and not
 * looping its multicasts back to the host's own stack.
 *
 * <p>Only one thread sends and receives; {@link #wake()} may be called from any thread. Memory is one direct buffer
 * whose addresses go straight to the kernel (see {@code io.xlatbox.engine.tun.LibC} for why raw addresses).
 * sendmsg, not sendto: jnr-ffi garbles the sixth argument of a six-argument primitive call.
 */
final class Icmp6Socket implements AutoCloseable {
    private static final int AF_INET6 = 10;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_BINDTODEVICE = 25;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPPROTO_ICMPV6 = 58;
    private static final int IPV6_UNICAST_HOPS = 16;
    private static final int IPV6_MULTICAST_IF = 17;
    private static final int IPV6_MULTICAST_HOPS = 18;
    private static final int IPV6_MULTICAST_LOOP = 19;
    private static final int IPV6_ADD_MEMBERSHIP = 20;
    private static final int IPV6_RECVHOPLIMIT = 51;
    private static final int IPV6_HOPLIMIT = 52;
    /** Level IPPROTO_ICMPV6: struct icmp6_filter, eight 32-bit words, a set bit blocks that type. */
    private static final int ICMP6_FILTER = 1;
    private static final long SIOCGIFINDEX = 0x8933;
    private static final long SIOCGIFHWADDR = 0x8927;
    private static final int ARPHRD_ETHER = 1;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int MSG_DONTWAIT = 0x40;
    private static final short POLLIN = 0x1;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    private static final int ENODEV = 19;

    private static final int RECV = 0;
    private static final int RECV_SIZE = 65536;
    private static final int SEND = RECV + RECV_SIZE;
    private static final int SEND_SIZE = 2048;
    private static final int ADDR = SEND + SEND_SIZE;   // struct sockaddr_in6 (28)
    private static final int MSGHDR = ADDR + 64;        // struct msghdr (56)
    private static final int IOVEC = MSGHDR + 64;       // struct iovec (16)
    private static final int CONTROL = IOVEC + 64;      // ancillary data
    private static final int CONTROL_SIZE = 256;
    private static final int POLLFDS = CONTROL + CONTROL_SIZE; // two struct pollfd (16)
    private static final int OPTION = POLLFDS + 64;     // option values (32)
    private static final int IFREQ = OPTION + 64;       // struct ifreq (40)
    private static final int EVENT = IFREQ + 64;        // eventfd counter read by the polling thread (8)
    private static final int SIZE = EVENT + 64;

    static final Syscalls C = LibCLoader.load(Syscalls.class, "router advertisements");

    private final int fd;
    private final int eventFd;
    private final int ifIndex;
    private final String device;
    private final ByteBuffer mem;
    /** The same memory in network byte order, for addresses and packets. */
    private final ByteBuffer memBe;
    private final long base;
    /** The eventfd's 8-byte increment, for {@link #wake()} from any thread. */
    private final ByteBuffer one = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private final long oneAddress;
    private boolean closed;

    private int hopLimit;
    private long sourceHi;
    private long sourceLo;

    private Icmp6Socket(int fd, int eventFd, int ifIndex, String device, PacketBuffer memory) {
        this.fd = fd;
        this.eventFd = eventFd;
        this.ifIndex = ifIndex;
        this.device = device;
        this.mem = memory.buffer().duplicate().order(ByteOrder.nativeOrder());
        this.memBe = memory.buffer().duplicate().order(ByteOrder.BIG_ENDIAN);
        this.base = memory.address();
        one.putLong(0, 1);
        this.oneAddress = PacketBuffer.wrap(one).address();
    }

    /**
     * Opens the socket on {@code device} in {@code namespace} (null or empty: the current one).
     *
     * @throws IOException when the namespace or the interface does not exist, or without CAP_NET_RAW
     */
    static Icmp6Socket open(String namespace, String device) throws IOException {
        int fd;
        try {
            fd = NetNamespace.callIn(namespace, () -> C.socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6));
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot enter network namespace " + namespace + ": " + e.getMessage(), e);
        }
        if (fd < 0) {
            int e = LibCLoader.errno();
            throw new IOException("cannot open a raw ICMPv6 socket" + where(namespace) + ": " + strerror(e)
                    + (e == 1 ? " (needs CAP_NET_RAW)" : ""));
        }
        int efd = -1;
        try {
            PacketBuffer memory = PacketBuffer.allocate(SIZE);
            ByteBuffer m = memory.buffer().duplicate().order(ByteOrder.nativeOrder());
            long base = memory.address();
            byte[] name = device.getBytes(StandardCharsets.US_ASCII);
            m.put(IFREQ, name).put(IFREQ + name.length, (byte) 0);
            if (C.ioctl(fd, SIOCGIFINDEX, base + IFREQ) < 0) {
                int e = LibCLoader.errno();
                throw new IOException(e == ENODEV ? "no interface " + device + where(namespace)
                        : "SIOCGIFINDEX " + device + ": " + strerror(e));
            }
            int index = m.getInt(IFREQ + 16);
            efd = C.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
            if (efd < 0) {
                throw new IOException("eventfd: " + strerror(LibCLoader.errno()));
            }
            Icmp6Socket s = new Icmp6Socket(fd, efd, index, device, memory);
            s.setup();
            return s;
        } catch (IOException | RuntimeException | Error e) {
            C.close(fd);
            if (efd >= 0) {
                C.close(efd);
            }
            throw e;
        }
    }

    private void setup() throws IOException {
        byte[] name = (device + "\0").getBytes(StandardCharsets.US_ASCII);
        mem.put(OPTION, name);
        setsockopt(SOL_SOCKET, SO_BINDTODEVICE, name.length, "SO_BINDTODEVICE " + device);
        setInt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS");
        setInt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS");
        setInt(IPPROTO_IPV6, IPV6_MULTICAST_IF, ifIndex, "IPV6_MULTICAST_IF");
        setInt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP");
        setInt(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
        for (int w = 0; w < 8; w++) {
            mem.putInt(OPTION + 4 * w, -1);
        }
        int t = RouterSolicitation.TYPE;
        mem.putInt(OPTION + 4 * (t >>> 5), ~(1 << (t & 31)));
        setsockopt(IPPROTO_ICMPV6, ICMP6_FILTER, 32, "ICMP6_FILTER");
        // struct ipv6_mreq { struct in6_addr; int ifindex; }: ff02::2, all routers
        mem.putLong(OPTION, 0).putLong(OPTION + 8, 0);
        mem.put(OPTION, (byte) 0xff).put(OPTION + 1, (byte) 0x02).put(OPTION + 15, (byte) 0x02);
        mem.putInt(OPTION + 16, ifIndex);
        setsockopt(IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, 20, "joining ff02::2 on " + device);
    }

    private void setInt(int level, int option, int value, String what) throws IOException {
        mem.putInt(OPTION, value);
        setsockopt(level, option, 4, what);
    }

    private void setsockopt(int level, int option, int length, String what) throws IOException {
        if (C.setsockopt(fd, level, option, base + OPTION, length) < 0) {
            throw new IOException("setsockopt " + what + ": " + strerror(LibCLoader.errno()));
        }
    }

    int interfaceIndex() {
        return ifIndex;
    }

    /** The interface's Ethernet address, or null when it has none (a TUN device, say). */
    byte[] ethernetAddress() {
        byte[] name = device.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 40; i++) {
            mem.put(IFREQ + i, (byte) 0);
        }
        mem.put(IFREQ, name);
        if (C.ioctl(fd, SIOCGIFHWADDR, base + IFREQ) < 0) {
            return null;
        }
        // ifr_hwaddr: struct sockaddr { sa_family_t sa_family; char sa_data[14]; }
        if ((mem.getShort(IFREQ + 16) & 0xFFFF) != ARPHRD_ETHER) {
            return null;
        }
        byte[] mac = new byte[6];
        mem.get(IFREQ + 18, mac);
        boolean zero = true;
        for (byte x : mac) {
            zero &= x == 0;
        }
        return zero ? null : mac;
    }

    /**
     * Sends {@code message} (ICMPv6, checksum left to the kernel) to {@code hi:lo} on the interface.
     *
     * @return 0, or the errno of a failed sendmsg
     */
    int send(byte[] message, long hi, long lo) {
        if (message.length > SEND_SIZE) {
            throw new IllegalArgumentException("ICMPv6 message of " + message.length + " bytes");
        }
        mem.put(SEND, message);
        // struct sockaddr_in6 { family, port, flowinfo, addr[16], scope_id }
        mem.putShort(ADDR, (short) AF_INET6).putShort(ADDR + 2, (short) 0).putInt(ADDR + 4, 0);
        memBe.putLong(ADDR + 8, hi).putLong(ADDR + 16, lo);
        mem.putInt(ADDR + 24, ifIndex);
        mem.putLong(IOVEC, base + SEND).putLong(IOVEC + 8, message.length);
        mem.putLong(MSGHDR, base + ADDR).putInt(MSGHDR + 8, 28).putInt(MSGHDR + 12, 0);
        mem.putLong(MSGHDR + 16, base + IOVEC).putLong(MSGHDR + 24, 1);
        mem.putLong(MSGHDR + 32, 0).putLong(MSGHDR + 40, 0).putInt(MSGHDR + 48, 0);
        return C.sendmsg(fd, base + MSGHDR, 0) < 0 ? LibCLoader.errno() : 0;
    }

    /**
     * Waits up to {@code timeoutMillis} for a packet or a {@link #wake()}.
     *
     * @return bit 0: the socket is readable; bit 1: woken (the wakeup is consumed)
     */
    int await(int timeoutMillis) throws IOException {
        mem.putInt(POLLFDS, fd).putShort(POLLFDS + 4, POLLIN).putShort(POLLFDS + 6, (short) 0);
        mem.putInt(POLLFDS + 8, eventFd).putShort(POLLFDS + 12, POLLIN).putShort(POLLFDS + 14, (short) 0);
        int r = C.poll(base + POLLFDS, 2, timeoutMillis);
        if (r < 0) {
            int e = LibCLoader.errno();
            if (e == EINTR) {
                return 0;
            }
            throw new IOException("poll on the ICMPv6 socket of " + device + ": " + strerror(e));
        }
        int ready = 0;
        if (mem.getShort(POLLFDS + 6) != 0) {
            ready |= 1;
        }
        if (mem.getShort(POLLFDS + 14) != 0) {
            ready |= 2;
            C.read(eventFd, base + EVENT, 8); // zeroes the counter; EAGAIN if another read got there first
        }
        return ready;
    }

    /**
     * Reads one packet without blocking into {@link #received()}.
     *
     * @return its length, or -1 when there is none ({@code EAGAIN}; also a packet the kernel dropped for its bad
     *         checksum)
     */
    int receive() throws IOException {
        mem.putLong(IOVEC, base + RECV).putLong(IOVEC + 8, RECV_SIZE);
        mem.putLong(MSGHDR, base + ADDR).putInt(MSGHDR + 8, 28).putInt(MSGHDR + 12, 0);
        mem.putLong(MSGHDR + 16, base + IOVEC).putLong(MSGHDR + 24, 1);
        mem.putLong(MSGHDR + 32, base + CONTROL).putLong(MSGHDR + 40, CONTROL_SIZE).putInt(MSGHDR + 48, 0);
        long n = C.recvmsg(fd, base + MSGHDR, MSG_DONTWAIT);
        if (n < 0) {
            int e = LibCLoader.errno();
            if (e == EAGAIN || e == EINTR) {
                return -1;
            }
            throw new IOException("recvmsg on the ICMPv6 socket of " + device + ": " + strerror(e));
        }
        sourceHi = memBe.getLong(ADDR + 8);
        sourceLo = memBe.getLong(ADDR + 16);
        hopLimit = -1;
        long controlLength = mem.getLong(MSGHDR + 40);
        int off = 0;
        while (off + 16 <= controlLength) {
            long cmsgLen = mem.getLong(CONTROL + off);
            if (cmsgLen < 16) {
                break;
            }
            if (mem.getInt(CONTROL + off + 8) == IPPROTO_IPV6 && mem.getInt(CONTROL + off + 12) == IPV6_HOPLIMIT
                    && cmsgLen >= 20) {
                hopLimit = mem.getInt(CONTROL + off + 16);
            }
            off += (int) ((cmsgLen + 7) & ~7L);
        }
        return (int) n;
    }

    /** The last packet received, from index 0 (big-endian). */
    ByteBuffer received() {
        return memBe;
    }

    int hopLimit() {
        return hopLimit;
    }

    long sourceHi() {
        return sourceHi;
    }

    long sourceLo() {
        return sourceLo;
    }

    /** Makes {@link #await} return now. Any thread; no-op once closed. */
    synchronized void wake() {
        if (!closed) {
            C.write(eventFd, oneAddress, 8); // EAGAIN only when the counter is full: it is readable anyway
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            C.close(fd);
            C.close(eventFd);
        }
    }

    static String strerror(int errno) {
        String s = C.strerror(errno);
        return (s == null ? "error" : s) + " (errno " + errno + ")";
    }

    private static String where(String namespace) {
        return namespace == null || namespace.isEmpty() ? "" : " in network namespace " + namespace;
    }
}
