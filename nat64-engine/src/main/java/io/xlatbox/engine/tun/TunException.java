package io.xlatbox.engine.tun;

import java.io.IOException;

/**
 * A system call on a TUN device, an eventfd or a network namespace failed. The message names what was being done
 * and to which device, then the error, e.g. {@code TUNSETIFF on 'nat64': Operation not permitted (EPERM, errno 1)}.
 */
public final class TunException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    /** {@code what} is the operation and its object, e.g. {@code "TUNSETIFF on 'nat64'"}; errno is appended. */
    public TunException(String what, int errno) {
        this(what, errno, null);
    }

    /** As {@link #TunException(String, int)}, with a hint after the errno that says what probably went wrong. */
    public TunException(String what, int errno, String hint) {
        super(what + ": " + describe(errno) + (hint == null ? "" : "; " + hint));
        this.errno = errno;
    }

    /** The errno the kernel returned, e.g. 16 for EBUSY. */
    public int errno() {
        return errno;
    }

    /** {@code "Device or resource busy (EBUSY, errno 16)"}. */
    static String describe(int errno) {
        String text;
        try {
            text = LibC.INSTANCE.strerror(errno);
        } catch (LinkageError | RuntimeException e) {
            text = null; // the binding itself failed to load: the errno name still says enough
        }
        String name = name(errno);
        return (text == null ? "error" : text) + " (" + (name == null ? "" : name + ", ") + "errno " + errno + ")";
    }

    /** The symbolic name of a Linux errno (asm-generic numbering), or null if it is not one a TUN path sees. */
    static String name(int errno) {
        return switch (errno) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 3 -> "ESRCH";
            case 4 -> "EINTR";
            case 5 -> "EIO";
            case 6 -> "ENXIO";
            case 7 -> "E2BIG";
            case 9 -> "EBADF";
            case 11 -> "EAGAIN";
            case 12 -> "ENOMEM";
            case 13 -> "EACCES";
            case 14 -> "EFAULT";
            case 16 -> "EBUSY";
            case 17 -> "EEXIST";
            case 19 -> "ENODEV";
            case 20 -> "ENOTDIR";
            case 21 -> "EISDIR";
            case 22 -> "EINVAL";
            case 23 -> "ENFILE";
            case 24 -> "EMFILE";
            case 25 -> "ENOTTY";
            case 28 -> "ENOSPC";
            case 30 -> "EROFS";
            case 36 -> "ENAMETOOLONG";
            case 38 -> "ENOSYS";
            case 40 -> "ELOOP";
            case 75 -> "EOVERFLOW";
            case 77 -> "EBADFD";
            case 88 -> "ENOTSOCK";
            case 90 -> "EMSGSIZE";
            case 93 -> "EPROTONOSUPPORT";
            case 95 -> "EOPNOTSUPP";
            case 97 -> "EAFNOSUPPORT";
            case 100 -> "ENETDOWN";
            case 101 -> "ENETUNREACH";
            case 105 -> "ENOBUFS";
            default -> null;
        };
    }
}
