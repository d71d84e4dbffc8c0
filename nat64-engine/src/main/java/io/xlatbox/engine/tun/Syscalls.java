package io.xlatbox.engine.tun;

import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.u_int64_t;

/**
 * The libc functions xlatbox calls (TUN devices, namespaces, raw sockets), bound through {@link LibCLoader}.
 *
 * <p>Buffers are raw addresses ({@code @intptr_t long}), never {@code ByteBuffer} or {@code Pointer}: with only
 * primitive arguments jnr-ffi makes a direct call that allocates nothing, which the packet path relies on. errno
 * is saved right after each {@link SaveError} call and read back with {@link LibCLoader#errno()}. There is no
 * sendto(2): jnr-ffi 2.2's primitive fast path garbles a sixth argument (seen as a random addrlen), so datagrams
 * go out with sendmsg(2).
 */
public interface Syscalls {
    @SaveError
    @Variadic(fixedCount = 2)
    int open(String path, int flags);

    @SaveError
    int close(int fd);

    @SaveError
    @Variadic(fixedCount = 2)
    int fcntl(int fd, int cmd, int arg);

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
    int setsockopt(int fd, int level, int name, @intptr_t long value, int length);

    @SaveError
    int bind(int fd, @intptr_t long address, int length);

    @SaveError
    int getsockname(int fd, @intptr_t long address, @intptr_t long lengthPointer);

    @SaveError
    @ssize_t
    long sendmsg(int fd, @intptr_t long msghdr, int flags);

    @SaveError
    @ssize_t
    long recvmsg(int fd, @intptr_t long msghdr, int flags);

    @IgnoreError
    int if_nametoindex(String name);

    /** Only for messages: glibc returns a constant string for every known errno. */
    @IgnoreError
    String strerror(int errnum);
}
