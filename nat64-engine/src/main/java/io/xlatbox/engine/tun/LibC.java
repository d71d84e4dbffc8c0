package io.xlatbox.engine.tun;

/**
 * The constants of the libc calls the TUN dataplane makes, and the calls ({@link Syscalls}) bound once.
 *
 * <p>The calls are {@link Syscalls}, bound once; errno of each is read back with {@link #errno()}.
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

    static final Syscalls INSTANCE = LibCLoader.load(Syscalls.class, "TUN devices");

    private LibC() {
    }

    /** errno of the last {@link SaveError} call on this thread. Allocates nothing. */
    static int errno() {
        return LibCLoader.errno();
    }
}
