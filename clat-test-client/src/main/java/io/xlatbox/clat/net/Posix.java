package io.xlatbox.clat.net;

import io.xlatbox.engine.tun.LibCLoader;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;

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

    static final Binding C = LibCLoader.load(Binding.class, "raw sockets");

    private Posix() {
    }

    /** The libc functions, as jnr-ffi binds them (public only because jnr-ffi implements it in another loader). */
    public interface Binding {
        @SaveError
        int socket(int domain, int type, int protocol);

        @SaveError
        int setsockopt(int fd, int level, int name, @intptr_t long value, int length);

        @SaveError
        int bind(int fd, @intptr_t long address, int length);

        @SaveError
        int getsockname(int fd, @intptr_t long address, @intptr_t long lengthPointer);

        /** sendmsg, not sendto: jnr-ffi's primitive fast path garbles a sixth argument (seen as a random addrlen). */
        @SaveError
        @ssize_t
        long sendmsg(int fd, @intptr_t long msghdr, int flags);

        @SaveError
        @ssize_t
        long recvmsg(int fd, @intptr_t long msghdr, int flags);

        @SaveError
        int poll(@intptr_t long fds, @u_int64_t long nfds, int timeout);

        @SaveError
        int close(int fd);

        @IgnoreError
        int if_nametoindex(String name);

        @IgnoreError
        String strerror(int errnum);
    }

    public static int errno() {
        return LibCLoader.errno();
    }

    public static String strerror(int errno) {
        String s = C.strerror(errno);
        return s == null ? "errno " + errno : s;
    }
}
