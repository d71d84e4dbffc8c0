package io.xlatbox.clat.net;

import io.xlatbox.engine.tun.LibCLoader;
import io.xlatbox.engine.tun.Syscalls;

/**
 * The socket calls Java has no API for, bound through jnr-ffi: raw ICMP and ICMPv6 sockets (router solicitations
 * and advertisements, echo with a chosen TTL, reading ICMP errors), IP_TTL on UDP, and recvmsg for the hop limit
 * of a received router advertisement. Memory is passed as raw addresses of direct buffers; errno is saved right
 * after each call and read with {@link #errno()}.
 *
 * <p>The constants are Linux's, the same on x86-64 and arm64; the class refuses other platforms ({@link LibCLoader}).
 */
public final class Posix {
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 0x80000;

    public static final int SOL_SOCKET = 1;
    public static final int SO_RCVBUF = 8;
    public static final int SO_BINDTODEVICE = 25;

    public static final int IPPROTO_IP = 0;
    public static final int IPPROTO_ICMP = 1;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_IPV6 = 41;
    public static final int IPPROTO_ICMPV6 = 58;

    public static final int IP_TTL = 2;
    public static final int IPV6_UNICAST_HOPS = 16;
    public static final int IPV6_MULTICAST_IF = 17;
    public static final int IPV6_MULTICAST_HOPS = 18;
    public static final int IPV6_RECVHOPLIMIT = 51;
    public static final int IPV6_HOPLIMIT = 52;
    /** Level IPPROTO_ICMPV6: struct icmp6_filter, a bit per type, set = blocked. */
    public static final int ICMP6_FILTER = 1;

    public static final short POLLIN = 0x1;

    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int EADDRINUSE = 98;
    public static final int ENETUNREACH = 101;
    public static final int ECONNREFUSED = 111;
    public static final int EHOSTUNREACH = 113;

    static final Syscalls C = LibCLoader.load(Syscalls.class, "raw sockets");

    private Posix() {
    }

    public static int errno() {
        return LibCLoader.errno();
    }

    public static String strerror(int errno) {
        String s = C.strerror(errno);
        return s == null ? "errno " + errno : s;
    }
}
