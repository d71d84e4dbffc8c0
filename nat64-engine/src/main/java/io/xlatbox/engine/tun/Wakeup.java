package io.xlatbox.engine.tun;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Wakes threads blocked in {@link TunQueue#awaitReadable}: an eventfd(2) that they poll next to their queue.
 *
 * <p>The signal is sticky: {@link #signal()} adds to the eventfd counter and nothing reads it back until
 * {@link #reset()}, so every waiter, present and future, sees it readable (no EFD_SEMAPHORE, nothing consumed by
 * a waiter). One Wakeup can stop any number of queue threads. Closing it signals first; a closed Wakeup counts as
 * signalled for good.
 */
public final class Wakeup implements AutoCloseable {
    private static final Syscalls LIBC = LibC.INSTANCE;

    /** The 8-byte value 1 that signal() writes; never changed, so shared by every Wakeup and thread. */
    private static final ByteBuffer ONE_BUFFER = nativeLong(1);
    private static final long ONE = PacketBuffer.addressOf(ONE_BUFFER);

    /** Where reset() lets the kernel put the counter it drains; the value is not used. */
    private final ByteBuffer scratchBuffer = nativeLong(0);
    private final long scratch = PacketBuffer.addressOf(scratchBuffer);
    private volatile int fd;

    /** A new, unsignalled wakeup. */
    public Wakeup() throws TunException {
        int efd = LIBC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (efd < 0) {
            throw new TunException("eventfd", LibC.errno());
        }
        fd = efd;
    }

    /** Makes every awaitReadable using this wakeup return, now and until {@link #reset()}. No-op once closed. */
    public void signal() {
        int efd = fd;
        if (efd < 0) {
            return;
        }
        // EAGAIN only if the counter would pass 2^64 - 2: it is signalled either way.
        if (LIBC.write(efd, ONE, 8) < 0 && LibC.errno() != LibC.EAGAIN) {
            throw new UncheckedIOException(new TunException("signal (eventfd write)", LibC.errno()));
        }
    }

    /** Clears the signal, so that waiting blocks again. No-op once closed. */
    public void reset() {
        int efd = fd;
        if (efd < 0) {
            return;
        }
        // Reading an eventfd returns the counter and zeroes it; EAGAIN means it was already zero.
        if (LIBC.read(efd, scratch, 8) < 0 && LibC.errno() != LibC.EAGAIN) {
            throw new UncheckedIOException(new TunException("reset (eventfd read)", LibC.errno()));
        }
    }

    /** The eventfd, or -1 once closed. */
    int fdOrClosed() {
        return fd;
    }

    /** Signals, then closes the eventfd: threads already in poll(2) return, later waits return at once. */
    @Override
    public synchronized void close() {
        int efd = fd;
        if (efd >= 0) {
            signal();
            fd = -1;
            LIBC.close(efd);
        }
    }

    /** 8 bytes of native memory holding {@code value}; the field that keeps it also keeps its address valid. */
    private static ByteBuffer nativeLong(long value) {
        ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        b.putLong(0, value);
        return b;
    }

    @Override
    public String toString() {
        return "Wakeup[eventfd " + fd + "]";
    }
}
