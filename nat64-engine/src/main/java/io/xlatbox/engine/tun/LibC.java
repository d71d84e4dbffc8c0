package io.xlatbox.engine.tun;

import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;

/**
 * The few libc calls the TUN dataplane needs, bound once through jnr-ffi.
 *
 * <p>Buffers are passed as raw addresses ({@code @intptr_t long}), never as {@code ByteBuffer} or {@code Pointer}:
 * with only primitive arguments jnr-ffi generates a direct call into jffi that allocates nothing, which the
 * packet path relies on. errno is saved natively right after each {@link SaveError} call (the JVM may clobber the
 * real errno before Java reads it) and read back with {@link #errno()}.
 *
 * <p>The calls are in the nested {@link Binding}: jnr-ffi defines its implementation in a class loader of its
 * own, from which a package-private interface cannot be implemented (IllegalAccessError), so the interface is
 * public at the JVM level and kept out of the API by this package-private class.
 *
 * <p>The constants are the Linux values shared by x86-64 and arm64 (asm-generic); the class refuses to load
 * elsewhere rather than pass wrong flags to the kernel ({@link LibCLoader}).
 */
final class LibC {
    // open(2), fcntl(2)
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;

    // poll(2)
    static final short POLLIN = 0x1;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    static final short POLLNVAL = 0x20;

    // eventfd(2)
    static final int EFD_NONBLOCK = O_NONBLOCK;
    static final int EFD_CLOEXEC = O_CLOEXEC;

    // setns(2)
    static final int CLONE_NEWNET = 0x40000000;

    // socket(2)
    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = O_CLOEXEC;

    // errno
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EBUSY = 16;
    static final int EINVAL = 22;
    static final int ENOBUFS = 105;

    /** _IOW('T', 202, int): attach the fd to a TUN/TAP device, creating it if needed (tuntap.rst §3.1). */
    static final long TUNSETIFF = 0x400454caL;
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final long SIOCGIFMTU = 0x8921;
    static final long SIOCSIFMTU = 0x8922;
    static final long SIOCGIFINDEX = 0x8933;
    static final long SIOCSIFTXQLEN = 0x8943;

    // struct ifreq (include/uapi/linux/if.h): a 16-byte name, then a 24-byte union on 64-bit.
    static final int IFNAMSIZ = 16;
    static final int IFREQ_SIZE = 40;
    /** ifr_flags (short), ifr_mtu and ifr_ifindex (int) all sit at the start of the union. */
    static final int IFREQ_UNION = 16;

    // ifr_flags for TUNSETIFF (include/uapi/linux/if_tun.h) and the interface flag IFF_UP (if.h).
    static final short IFF_TUN = 0x0001;
    static final short IFF_MULTI_QUEUE = 0x0100;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;
    /** _IOW('T', 208, unsigned int) */
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final short IFF_UP = 0x1;

    static final Binding INSTANCE = LibCLoader.load(Binding.class, "TUN devices");

    private LibC() {
    }

    /** The libc functions, as jnr-ffi binds them. */
    public interface Binding {
        @SaveError
        @Variadic(fixedCount = 2)
        int open(String path, int flags);

        @SaveError
        int close(int fd);

        @SaveError
        @Variadic(fixedCount = 2)
        int ioctl(int fd, @u_int64_t long request, @intptr_t long argp);

        @SaveError
        @ssize_t
        long read(int fd, @intptr_t long buf, @size_t long count);

        @SaveError
        @ssize_t
        long write(int fd, @intptr_t long buf, @size_t long count);

        @SaveError
        int poll(@intptr_t long fds, @u_int64_t long nfds, int timeout);

        @SaveError
        int eventfd(int initval, int flags);

        @SaveError
        int setns(int fd, int nstype);

        @SaveError
        int socket(int domain, int type, int protocol);

        @SaveError
        @Variadic(fixedCount = 2)
        int fcntl(int fd, int cmd, int arg);

        /** Only for messages: glibc returns a constant string for every known errno. */
        @IgnoreError
        String strerror(int errnum);
    }

    /** errno of the last {@link SaveError} call on this thread. Allocates nothing. */
    static int errno() {
        return LibCLoader.errno();
    }
}
