package io.xlatbox.clat.net;

import io.xlatbox.engine.tun.NetNamespace;
import io.xlatbox.engine.tun.PacketBuffer;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A socket made with {@link Posix} in a network namespace: raw ICMP (IPv4, received with the IP header), raw
 * ICMPv6 (received without it; the kernel fills in the ICMPv6 checksum on send), or a UDP socket whose TTL can be
 * set. Every receive has a timeout. {@link #close()} may be called from another thread: an operation in progress
 * notices within 100 ms and the descriptor is closed by whoever finishes last, so it is never reused under a
 * thread still polling it.
 */
public final class RawSocket implements AutoCloseable {
    private static final int DATA = 65536;
    private static final int ADDR = DATA;            // sockaddr for sendto / recvmsg name (128)
    private static final int MSGHDR = ADDR + 128;    // struct msghdr (56)
    private static final int IOVEC = MSGHDR + 64;    // struct iovec (16)
    private static final int CONTROL = IOVEC + 64;   // ancillary data (256)
    private static final int CONTROL_SIZE = 256;
    private static final int POLLFD = CONTROL + CONTROL_SIZE; // struct pollfd (8)
    private static final int OPTION = POLLFD + 64;   // option values (64)
    private static final int SOCKLEN = OPTION + 64;  // socklen_t for getsockname (4)
    private static final int SIZE = SOCKLEN + 64;

    private final int fd;
    private final int family;
    private final String what;
    private final PacketBuffer memory = PacketBuffer.allocate(SIZE);
    private final ByteBuffer mem = memory.buffer().duplicate().order(ByteOrder.nativeOrder());
    private final long base = memory.address();
    private final AtomicInteger busy = new AtomicInteger();
    private volatile boolean closed;
    private boolean fdClosed;

    /** One received packet: its length in the caller's array, the sender, and the hop limit when known (else -1). */
    public record Received(int length, InetAddress source, int sourcePort, int hopLimit) {
    }

    private RawSocket(int fd, int family, String what) {
        this.fd = fd;
        this.family = family;
        this.what = what;
    }

    /** A raw ICMP socket (IPv4) in {@code namespace} (null: the current one). Needs CAP_NET_RAW. */
    public static RawSocket icmp4(String namespace) throws IOException {
        return open(namespace, Posix.AF_INET, Posix.SOCK_RAW, Posix.IPPROTO_ICMP, "raw ICMP socket");
    }

    /** A raw ICMPv6 socket in {@code namespace}. */
    public static RawSocket icmp6(String namespace) throws IOException {
        return open(namespace, Posix.AF_INET6, Posix.SOCK_RAW, Posix.IPPROTO_ICMPV6, "raw ICMPv6 socket");
    }

    /** A UDP socket (IPv4) in {@code namespace}, for probes with a chosen TTL. */
    public static RawSocket udp4(String namespace) throws IOException {
        return open(namespace, Posix.AF_INET, Posix.SOCK_DGRAM, Posix.IPPROTO_UDP, "UDP socket");
    }

    private static RawSocket open(String namespace, int family, int type, int protocol, String what)
            throws IOException {
        try {
            return NetNamespace.callIn(namespace, () -> {
                int fd = Posix.C.socket(family, type | Posix.SOCK_CLOEXEC, protocol);
                if (fd < 0) {
                    int e = Posix.errno();
                    throw new IOException("cannot open a " + what + (namespace != null ? " in namespace "
                            + namespace : "") + ": " + Posix.strerror(e) + (e == 1 ? " (needs root: CAP_NET_RAW)" : ""));
                }
                return new RawSocket(fd, family, what);
            });
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot open a " + what + " in namespace " + namespace + ": " + e.getMessage(), e);
        }
    }

    private void enter() throws IOException {
        busy.incrementAndGet();
        if (closed) {
            leave();
            throw new IOException(what + " closed");
        }
    }

    private void leave() {
        if (busy.decrementAndGet() == 0 && closed) {
            closeFd();
        }
    }

    private synchronized void closeFd() {
        if (!fdClosed) {
            fdClosed = true;
            Posix.C.close(fd);
        }
    }

    public void setInt(int level, int option, int value) throws IOException {
        enter();
        try {
            mem.putInt(OPTION, value);
            if (Posix.C.setsockopt(fd, level, option, base + OPTION, 4) < 0) {
                throw new IOException("setsockopt(" + level + ", " + option + ") on " + what + ": "
                        + Posix.strerror(Posix.errno()));
            }
        } finally {
            leave();
        }
    }

    public void setBytes(int level, int option, byte[] value) throws IOException {
        enter();
        try {
            mem.put(OPTION, value);
            if (Posix.C.setsockopt(fd, level, option, base + OPTION, value.length) < 0) {
                throw new IOException("setsockopt(" + level + ", " + option + ") on " + what + ": "
                        + Posix.strerror(Posix.errno()));
            }
        } finally {
            leave();
        }
    }

    /** SO_BINDTODEVICE: only packets of this interface. */
    public void bindToDevice(String device) throws IOException {
        byte[] name = (device + "\0").getBytes(StandardCharsets.US_ASCII);
        setBytes(Posix.SOL_SOCKET, Posix.SO_BINDTODEVICE, name);
    }

    /**
     * ICMP6_FILTER: only these ICMPv6 types reach the socket (struct icmp6_filter: eight 32-bit words, a set bit
     * blocks the type).
     */
    public void passOnlyIcmp6Types(int... types) throws IOException {
        int[] words = new int[8];
        java.util.Arrays.fill(words, -1);
        for (int t : types) {
            words[t >>> 5] &= ~(1 << (t & 31));
        }
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.nativeOrder());
        for (int w : words) {
            b.putInt(w);
        }
        setBytes(Posix.IPPROTO_ICMPV6, Posix.ICMP6_FILTER, b.array());
    }

    /** Binds a UDP socket to {@code port} on any address (0: a free port); returns the port bound. */
    public int bindPort(int port) throws IOException {
        enter();
        try {
            int len = writeSockaddr(null, port);
            if (Posix.C.bind(fd, base + ADDR, len) < 0) {
                throw new IOException("bind to port " + port + ": " + Posix.strerror(Posix.errno()));
            }
            mem.putInt(SOCKLEN, 128);
            if (Posix.C.getsockname(fd, base + ADDR, base + SOCKLEN) < 0) {
                throw new IOException("getsockname: " + Posix.strerror(Posix.errno()));
            }
            return ((mem.get(ADDR + 2) & 0xFF) << 8) | (mem.get(ADDR + 3) & 0xFF); // network byte order
        } finally {
            leave();
        }
    }

    /** Sends {@code data} to {@code destination} (port only for UDP); an IPv6 link-local needs {@code scopeId}. */
    public void send(byte[] data, InetAddress destination, int port, int scopeId) throws IOException {
        enter();
        try {
            mem.put(0, data);
            int len = writeSockaddr(destination, port);
            if (family == Posix.AF_INET6 && scopeId != 0) {
                mem.putInt(ADDR + 24, scopeId);
            }
            mem.putLong(IOVEC, base);
            mem.putLong(IOVEC + 8, data.length);
            mem.putLong(MSGHDR, base + ADDR);
            mem.putInt(MSGHDR + 8, len);
            mem.putInt(MSGHDR + 12, 0);
            mem.putLong(MSGHDR + 16, base + IOVEC);
            mem.putLong(MSGHDR + 24, 1);
            mem.putLong(MSGHDR + 32, 0);
            mem.putLong(MSGHDR + 40, 0);
            mem.putInt(MSGHDR + 48, 0);
            long n = Posix.C.sendmsg(fd, base + MSGHDR, 0);
            if (n < 0) {
                int e = Posix.errno();
                throw new SocketErrorException("send to " + destination.getHostAddress() + ": " + Posix.strerror(e), e);
            }
        } finally {
            leave();
        }
    }

    private int writeSockaddr(InetAddress a, int port) {
        for (int i = 0; i < 28; i++) {
            mem.put(ADDR + i, (byte) 0);
        }
        mem.putShort(ADDR, (short) family);
        mem.put(ADDR + 2, (byte) (port >>> 8)).put(ADDR + 3, (byte) port);
        if (family == Posix.AF_INET) {
            if (a != null) {
                mem.put(ADDR + 4, a.getAddress());
            }
            return 16;
        }
        if (a != null) {
            byte[] b = a.getAddress();
            if (b.length != 16) {
                throw new IllegalArgumentException("not an IPv6 address: " + a);
            }
            mem.put(ADDR + 8, b);
            if (a instanceof Inet6Address i6 && i6.getScopeId() != 0) {
                mem.putInt(ADDR + 24, i6.getScopeId());
            }
        }
        return 28;
    }

    /**
     * Waits up to {@code timeoutMillis} for a packet and copies it into {@code into}. Returns null on timeout or
     * when the socket was closed meanwhile.
     */
    public Received receive(byte[] into, long timeoutMillis) throws IOException {
        enter();
        try {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (!closed) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left < 0) {
                    return null;
                }
                mem.putInt(POLLFD, fd);
                mem.putShort(POLLFD + 4, Posix.POLLIN);
                mem.putShort(POLLFD + 6, (short) 0);
                int r = Posix.C.poll(base + POLLFD, 1, (int) Math.min(100, Math.max(left, 0)));
                if (r < 0) {
                    int e = Posix.errno();
                    if (e == Posix.EINTR) {
                        continue;
                    }
                    throw new IOException("poll on " + what + ": " + Posix.strerror(e));
                }
                if (r == 0) {
                    continue;
                }
                Received got = receiveNow(into);
                if (got != null) {
                    return got;
                }
            }
            return null;
        } finally {
            leave();
        }
    }

    private Received receiveNow(byte[] into) throws IOException {
        // struct msghdr { name, namelen, iov, iovlen, control, controllen, flags } on LP64
        mem.putLong(IOVEC, base);
        mem.putLong(IOVEC + 8, Math.min(into.length, DATA));
        mem.putLong(MSGHDR, base + ADDR);
        mem.putInt(MSGHDR + 8, 128);
        mem.putInt(MSGHDR + 12, 0);
        mem.putLong(MSGHDR + 16, base + IOVEC);
        mem.putLong(MSGHDR + 24, 1);
        mem.putLong(MSGHDR + 32, base + CONTROL);
        mem.putLong(MSGHDR + 40, CONTROL_SIZE);
        mem.putInt(MSGHDR + 48, 0);
        long n = Posix.C.recvmsg(fd, base + MSGHDR, 0x40 /* MSG_DONTWAIT */);
        if (n < 0) {
            int e = Posix.errno();
            if (e == Posix.EAGAIN || e == Posix.EINTR) {
                return null;
            }
            throw new SocketErrorException("receive on " + what + ": " + Posix.strerror(e), e);
        }
        int len = (int) n;
        mem.get(0, into, 0, len);
        InetAddress source;
        int port = ((mem.get(ADDR + 2) & 0xFF) << 8) | (mem.get(ADDR + 3) & 0xFF);
        try {
            if (family == Posix.AF_INET) {
                byte[] a = new byte[4];
                mem.get(ADDR + 4, a);
                source = Inet4Address.getByAddress(a);
            } else {
                byte[] a = new byte[16];
                mem.get(ADDR + 8, a);
                int scope = mem.getInt(ADDR + 24);
                source = Inet6Address.getByAddress(null, a, scope);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        int hopLimit = -1;
        long controlLen = mem.getLong(MSGHDR + 40);
        int off = 0;
        while (off + 16 <= controlLen) {
            long cmsgLen = mem.getLong(CONTROL + off);
            int level = mem.getInt(CONTROL + off + 8);
            int type = mem.getInt(CONTROL + off + 12);
            if (cmsgLen < 16) {
                break;
            }
            if (level == Posix.IPPROTO_IPV6 && type == Posix.IPV6_HOPLIMIT && cmsgLen >= 20) {
                hopLimit = mem.getInt(CONTROL + off + 16);
            }
            off += (int) ((cmsgLen + 7) & ~7L);
        }
        return new Received(len, source, port, hopLimit);
    }

    /** An interface's index as seen from {@code namespace}, or 0. */
    public static int interfaceIndex(String namespace, String name) throws IOException {
        try {
            return NetNamespace.callIn(namespace, () -> Posix.C.if_nametoindex(name));
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("if_nametoindex(" + name + ") in " + namespace + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (busy.get() == 0) {
            closeFd();
        }
    }

    @Override
    public String toString() {
        return what + " fd " + fd;
    }

    /** A socket call failed with an errno worth telling apart (unreachable, refused). */
    public static final class SocketErrorException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        SocketErrorException(String message, int errno) {
            super(message);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }
}
