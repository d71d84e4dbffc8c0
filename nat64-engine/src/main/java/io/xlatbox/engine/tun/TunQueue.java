package io.xlatbox.engine.tun;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * One queue (one file descriptor) of a {@link TunDevice}. Each read returns one whole IP packet and each write
 * sends one (tuntap.rst §3.2 "Frame format": with IFF_NO_PI there is no packet-information header, the packet
 * starts at the IP header). The descriptor is non-blocking; {@link #awaitReadable} is the blocking part.
 *
 * <p>Nothing here allocates or copies per call: buffers are direct and passed to the kernel by address. A queue
 * remembers the addresses of the last sixteen {@code ByteBuffer}s it saw; callers that rotate through more use
 * {@link PacketBuffer}.
 *
 * <p>read and write may be called from different threads at once; {@link #awaitReadable} from one thread at a
 * time (it owns the queue's pollfd array). Close the device only after the threads using it have stopped: the
 * kernel does not wake a poll(2) whose descriptor another thread closes, which is what {@link Wakeup} is for.
 */
public final class TunQueue {
    private static final Syscalls LIBC = LibC.INSTANCE;
    private static final int CACHED_BUFFERS = 16;
    /** struct pollfd { int fd; short events; short revents; }: [0] this queue, [1] the wakeup's eventfd. */
    private static final int POLLFD_SIZE = 8;

    private final String device;
    private final int index;
    private final int fd;
    private volatile boolean closed;

    /** Preallocated for poll(2); only awaitReadable touches it. */
    private final ByteBuffer pollfds = ByteBuffer.allocateDirect(2 * POLLFD_SIZE).order(ByteOrder.nativeOrder());
    private final long pollfdsAddress = PacketBuffer.addressOf(pollfds);

    /**
     * Recently used buffers and their addresses. Entries are immutable, so a racing reader sees either a whole
     * entry or a miss, never a buffer paired with another buffer's address; a miss costs one JNI call and one
     * small object. The entry also keeps its buffer reachable, so the memory cannot be freed under a call.
     */
    private final Entry[] cache = new Entry[CACHED_BUFFERS];
    private int victim;

    private static final class Entry {
        final ByteBuffer buffer;
        final long address;

        Entry(ByteBuffer buffer, long address) {
            this.buffer = buffer;
            this.address = address;
        }
    }

    TunQueue(String device, int index, int fd) {
        this.device = device;
        this.index = index;
        this.fd = fd;
        pollfds.putInt(0, fd);
        pollfds.putShort(4, LibC.POLLIN);
    }

    /** This queue's position in its device, 0 to {@code queues() - 1}. */
    public int index() {
        return index;
    }

    /** The file descriptor, for diagnostics and for callers that add it to their own poll set. */
    public int fd() {
        return fd;
    }

    /**
     * Reads one packet into {@code direct[offset, offset + maxLength)} and returns its length, or 0 when no
     * packet is waiting (EAGAIN).
     *
     * <p>A packet longer than {@code maxLength} is cut to it and the rest is dropped; with IFF_NO_PI the kernel
     * says nothing of it and returns {@code maxLength}. Give the buffer at least the device MTU.
     */
    public int read(ByteBuffer direct, int offset, int maxLength) throws TunException {
        if (direct.isReadOnly()) {
            throw new IllegalArgumentException("cannot read a packet into a read-only buffer");
        }
        Objects.checkFromIndexSize(offset, maxLength, direct.capacity());
        int n = readAt(address(direct) + offset, maxLength);
        Reference.reachabilityFence(direct);
        return n;
    }

    /** As {@link #read(ByteBuffer, int, int)}, with the address already known. */
    public int read(PacketBuffer buffer, int offset, int maxLength) throws TunException {
        Objects.checkFromIndexSize(offset, maxLength, buffer.capacity());
        int n = readAt(buffer.address() + offset, maxLength);
        Reference.reachabilityFence(buffer);
        return n;
    }

    /**
     * Sends the packet in {@code direct[offset, offset + length)} into the kernel. Returns false when the kernel
     * had no room for it (EAGAIN, ENOBUFS): the caller counts a drop. Other errors throw, e.g. EINVAL for bytes
     * that are not an IPv4 or IPv6 packet, EIO when the device is down.
     */
    public boolean write(ByteBuffer direct, int offset, int length) throws TunException {
        Objects.checkFromIndexSize(offset, length, direct.capacity());
        boolean sent = writeAt(address(direct) + offset, length);
        Reference.reachabilityFence(direct);
        return sent;
    }

    /** As {@link #write(ByteBuffer, int, int)}, with the address already known. */
    public boolean write(PacketBuffer buffer, int offset, int length) throws TunException {
        Objects.checkFromIndexSize(offset, length, buffer.capacity());
        boolean sent = writeAt(buffer.address() + offset, length);
        Reference.reachabilityFence(buffer);
        return sent;
    }

    /**
     * Waits until this queue has a packet to read (true), {@code wakeup} is signalled or closed (false), or
     * {@code timeoutMillis} pass (false; negative waits forever). {@code wakeup} may be null. A queue whose
     * device has gone (deleted, or its namespace destroyed) counts as readable, so that the read reports it.
     * A signal that interrupts poll(2) returns false early, like a timeout.
     */
    public boolean awaitReadable(Wakeup wakeup, int timeoutMillis) throws TunException {
        checkOpen();
        ByteBuffer p = pollfds;
        p.putShort(6, (short) 0);
        int nfds = 1;
        if (wakeup != null) {
            int wakeFd = wakeup.fdOrClosed();
            if (wakeFd < 0) {
                return false; // closed counts as signalled for good
            }
            p.putInt(POLLFD_SIZE, wakeFd);
            p.putShort(POLLFD_SIZE + 4, LibC.POLLIN);
            p.putShort(POLLFD_SIZE + 6, (short) 0);
            nfds = 2;
        }
        int ready = LIBC.poll(pollfdsAddress, nfds, timeoutMillis);
        if (ready < 0) {
            int errno = LibC.errno();
            if (errno == LibC.EINTR) {
                return false;
            }
            throw new TunException("poll on " + this, errno);
        }
        if (ready == 0) {
            return false;
        }
        short revents = p.getShort(6);
        if ((revents & LibC.POLLNVAL) != 0) {
            throw new TunException("poll on " + this, LibC.EBADF, "the descriptor was closed");
        }
        // POLLERR/POLLHUP (the device went away) also make read(2) return at once, with the reason.
        return (revents & (LibC.POLLIN | LibC.POLLERR | LibC.POLLHUP)) != 0;
    }

    private int readAt(long address, int maxLength) throws TunException {
        int queueFd = checkOpen();
        for (;;) {
            long n = LIBC.read(queueFd, address, maxLength);
            if (n >= 0) {
                return (int) n;
            }
            int errno = LibC.errno();
            if (errno == LibC.EAGAIN) {
                return 0;
            }
            if (errno != LibC.EINTR) {
                throw new TunException("read on " + this, errno);
            }
        }
    }

    private boolean writeAt(long address, int length) throws TunException {
        int queueFd = checkOpen();
        for (;;) {
            long n = LIBC.write(queueFd, address, length);
            if (n >= 0) {
                return true; // a TUN write takes the whole packet or fails
            }
            int errno = LibC.errno();
            if (errno == LibC.EAGAIN || errno == LibC.ENOBUFS) {
                return false;
            }
            if (errno != LibC.EINTR) {
                throw new TunException("write on " + this, errno);
            }
        }
    }

    private long address(ByteBuffer direct) {
        Entry[] c = cache;
        for (int i = 0; i < CACHED_BUFFERS; i++) {
            Entry e = c[i];
            if (e != null && e.buffer == direct) {
                return e.address;
            }
        }
        return remember(direct);
    }

    private long remember(ByteBuffer direct) {
        long address = PacketBuffer.addressOf(direct);
        int slot = victim;
        cache[slot] = new Entry(direct, address);
        victim = (slot + 1) % CACHED_BUFFERS;
        return address;
    }

    /** The descriptor; refuses a closed queue, whose number the kernel may already have given to another file. */
    private int checkOpen() throws TunException {
        if (closed) {
            throw new TunException(this + " is closed", LibC.EBADF);
        }
        return fd;
    }

    /** Closes the descriptor; a multi-queue device loses this queue, the device goes with its last one. */
    void close() {
        if (!closed) {
            closed = true;
            LIBC.close(fd); // Linux releases the descriptor even when close(2) reports an error
            Arrays.fill(cache, null);
        }
    }

    @Override
    public String toString() {
        return "'" + device + "' queue " + index;
    }
}
