package io.xlatbox.engine.tun;

import java.util.concurrent.Callable;

/**
 * Runs code inside a named network namespace, the ones {@code ip netns add} makes (a bind mount under
 * {@value #RUN_DIR}). setns(2) moves only the calling thread, so the JVM's other threads stay where they are.
 *
 * <p>A TUN device opened inside stays in that namespace, and so do sockets; their descriptors work from any
 * thread afterwards, which is why a dataplane opens its devices here once and then runs its loops anywhere.
 */
public final class NetNamespace {
    /** Where iproute2 keeps named namespaces (NETNS_RUN_DIR). */
    public static final String RUN_DIR = "/var/run/netns/";
    private static final String SELF = "/proc/thread-self/ns/net";

    private static final Syscalls LIBC = LibC.INSTANCE;

    private NetNamespace() {
    }

    /**
     * Calls {@code action} on this thread inside the network namespace {@code namespace}, then moves the thread
     * back to the namespace it was in, also when the action throws. A null or empty name calls it in place.
     *
     * @throws TunException when the namespace does not exist (ENOENT) or cannot be entered (EPERM without
     *         CAP_SYS_ADMIN), or, after the action, when the thread cannot return to its namespace
     * @throws Exception whatever {@code action} throws
     */
    public static <T> T callIn(String namespace, Callable<T> action) throws Exception {
        if (namespace == null || namespace.isEmpty()) {
            return action.call();
        }
        validate(namespace);
        int home = LIBC.open(SELF, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (home < 0) {
            throw new TunException("open " + SELF, LibC.errno());
        }
        try {
            String path = RUN_DIR + namespace;
            int target = LIBC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
            if (target < 0) {
                int errno = LibC.errno();
                throw new TunException("network namespace '" + namespace + "': open " + path, errno,
                        errno == LibC.ENOENT ? "no such namespace (ip netns add " + namespace + ")" : null);
            }
            try {
                if (LIBC.setns(target, LibC.CLONE_NEWNET) < 0) {
                    int errno = LibC.errno();
                    throw new TunException("setns into network namespace '" + namespace + "'", errno,
                            errno == LibC.EPERM ? "needs CAP_SYS_ADMIN" : errno == LibC.EINVAL
                                    ? path + " is not a network namespace" : null);
                }
            } finally {
                LIBC.close(target); // entered or not, the namespace no longer needs this reference
            }
            T result;
            try {
                result = action.call();
            } catch (Throwable t) {
                try {
                    restore(home, namespace);
                } catch (TunException | RuntimeException restoreFailed) {
                    t.addSuppressed(restoreFailed);
                }
                throw t;
            }
            restore(home, namespace);
            return result;
        } finally {
            LIBC.close(home);
        }
    }

    /** Back to the thread's original namespace. Failing here would leave the thread elsewhere: it must throw. */
    private static void restore(int home, String namespace) throws TunException {
        if (LIBC.setns(home, LibC.CLONE_NEWNET) < 0) {
            throw new TunException("setns back from network namespace '" + namespace + "' (thread "
                    + Thread.currentThread().getName() + " is still inside it)", LibC.errno());
        }
    }

    /** A name that `ip netns` could have made: a single path component. */
    static void validate(String namespace) {
        if (namespace.indexOf('/') >= 0 || namespace.indexOf('\0') >= 0 || namespace.equals(".")
                || namespace.equals("..") || namespace.length() > 255) {
            throw new IllegalArgumentException("invalid network namespace name '" + namespace
                    + "': a name under " + RUN_DIR + " (no '/', not '.' or '..')");
        }
    }
}
